#!/usr/bin/env python3
"""Scores one volume's pgc-volume report against its segmentation (make volumes):
the 3-D box's IoU with the segmentation's own box (voxel indices, half-open), and the
Dice of the map above FRAC x its maximum against the segmentation's voxels > 0.
Usage: volume_score.py REPORT.tsv MAP.nii.gz SEG.nii.gz FRAC -> one TSV line
(box_iou, dice, seg_box) on standard output."""
import csv
import sys

import nibabel as nib
import numpy as np


def main():
    report, map_path, seg_path, frac = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    with open(report, newline="") as f:
        row = next(csv.DictReader(f, delimiter="\t"))
    seg = np.asarray(nib.load(seg_path).dataobj) > 0
    m = np.asarray(nib.load(map_path).dataobj, dtype=np.float64)
    if seg.shape != m.shape:
        sys.exit(f"volume_score.py: '{map_path}' is {m.shape}, '{seg_path}' {seg.shape}")
    idx = np.nonzero(seg)
    sbox = [(int(a.min()), int(a.max()) + 1) for a in idx] if seg.any() else None
    iou = "NA"
    keys = ["i0", "i1", "j0", "j1", "k0", "k1"]
    if sbox and all(row[k] != "NA" for k in keys):
        p = [(int(row["i0"]), int(row["i1"])), (int(row["j0"]), int(row["j1"])), (int(row["k0"]), int(row["k1"]))]
        inter = np.prod([max(0, min(a[1], b[1]) - max(a[0], b[0])) for a, b in zip(p, sbox)])
        vol = lambda b: np.prod([hi - lo for lo, hi in b])
        iou = f"{inter / (vol(p) + vol(sbox) - inter):.3f}"
    pred = m > frac * m.max() if m.max() > 0 else np.zeros_like(seg)
    denom = pred.sum() + seg.sum()
    dice = f"{2 * np.logical_and(pred, seg).sum() / denom:.3f}" if denom else "NA"
    box = "NA" if not sbox else " ".join(f"{lo}:{hi}" for lo, hi in sbox)
    print(f"{iou}\t{dice}\t{box}")


main()
