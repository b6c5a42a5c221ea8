#!/usr/bin/env python3
"""Writes a NIfTI volume as a DICOM series (one MR Image Storage file per slice along k),
for the DICOM intake test. Needs nibabel and pydicom (Debian python3-nibabel,
python3-pydicom).

    mkdicom.py IN.nii[.gz] OUTDIR [--series N] [--description TEXT]

Geometry: DICOM's patient frame is LPS, NIfTI's world RAS, so each position and direction
is the NIfTI one with x and y negated. Columns of a DICOM image run along i, rows along
j: ImageOrientationPatient is the LPS direction of i then of j, PixelSpacing is the j
then the i step, ImagePositionPatient the centre of voxel (0, 0, k). Values are stored
as int16 (the volume must hold whole numbers in its range).
"""
import argparse
import os

import nibabel as nib
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

MR = "1.2.840.10008.5.1.4.1.1.4"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("src")
    p.add_argument("out")
    p.add_argument("--series", type=int, default=1)
    p.add_argument("--description", default="t1c")
    p.add_argument("--study-uid", default="1.2.826.0.1.3680043.8.498.1")
    a = p.parse_args()
    img = nib.load(a.src)
    vol = np.asarray(img.dataobj)
    assert vol.ndim == 3 and np.all(vol == np.round(vol)), "a 3-d volume of whole numbers"
    vol = vol.astype(np.int16)
    flip = np.diag([-1.0, -1.0, 1.0])
    m = flip @ img.affine[:3, :3]
    o = flip @ img.affine[:3, 3]
    di, dj = np.linalg.norm(m[:, 0]), np.linalg.norm(m[:, 1])
    iop = list(m[:, 0] / di) + list(m[:, 1] / dj)
    thick = float(np.linalg.norm(m[:, 2]))
    series, frame = generate_uid(), generate_uid()
    os.makedirs(a.out, exist_ok=True)
    for k in range(vol.shape[2]):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = MR
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        path = os.path.join(a.out, "IM%04d.dcm" % k)
        ds = FileDataset(path, {}, file_meta=meta, preamble=b"\0" * 128)
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.SOPClassUID, ds.SOPInstanceUID = MR, meta.MediaStorageSOPInstanceUID
        ds.Modality, ds.PatientName, ds.PatientID = "MR", "Test^Volume", "PGCAM0001"
        ds.StudyInstanceUID, ds.SeriesInstanceUID = a.study_uid, series
        ds.FrameOfReferenceUID = frame
        ds.StudyDate, ds.SeriesDate, ds.StudyTime = "20240101", "20240101", "120000"
        ds.SeriesNumber, ds.InstanceNumber = a.series, k + 1
        ds.SeriesDescription = ds.ProtocolName = a.description
        ds.ImageType = ["ORIGINAL", "PRIMARY", "M"]
        ds.ImagePositionPatient = [float(v) for v in o + m[:, 2] * k]
        ds.ImageOrientationPatient = [float(v) for v in iop]
        ds.PixelSpacing = [float(dj), float(di)]
        ds.SliceThickness = ds.SpacingBetweenSlices = thick
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.Rows, ds.Columns = vol.shape[1], vol.shape[0]
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.PixelData = np.ascontiguousarray(vol[:, :, k].T).tobytes()  # (rows j, columns i)
        ds.save_as(path, write_like_original=False)


main()
