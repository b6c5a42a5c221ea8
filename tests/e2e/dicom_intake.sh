# DICOM in through dcm2niix: a series made here from the bundled slab (and its
# segmentation) with pydicom, converted by Debian's dcm2niix as the README says, comes
# out of pgcam with the original's geometry: the same voxels in the same world places,
# and the same tumour box in world millimetres.
. "$(dirname "$0")/lib.sh"
PY=
for p in python3 /usr/bin/python3; do
    if "$p" -c 'import nibabel, pydicom' 2>/dev/null; then PY=$p; break; fi
done
if [ -z "$PY" ] || ! command -v dcm2niix > /dev/null; then
    skip 'DICOM intake' 'python3-nibabel, python3-pydicom or dcm2niix missing (run tests/deps.sh as root)'
    exit 0
fi
SLAB=$EX/volume/tcga_du_7294_t1c_slab.nii.gz SEG=$EX/volume/tcga_du_7294_seg_slab.nii.gz

expect_ok 'a DICOM series of the slab converts to the same voxels at the same places' '
    $PY $TOP/tests/data/mkdicom.py $SLAB dcm/t1c --series 1 --description t1c &&
    $PY $TOP/tests/data/mkdicom.py $SEG dcm/seg --series 2 --description seg &&
    test $(ls dcm/t1c | wc -l) -eq 32 && mkdir nii &&
    dcm2niix -z y -b n -f %d -o nii dcm/t1c > /dev/null && dcm2niix -z y -b n -f %d -o nii dcm/seg > /dev/null &&
    $PY -c "
import nibabel as nib, numpy as np
for a, b in ((\"$SLAB\", \"nii/t1c.nii.gz\"), (\"$SEG\", \"nii/seg.nii.gz\")):
    a, b = nib.as_closest_canonical(nib.load(a)), nib.as_closest_canonical(nib.load(b))
    assert a.shape == b.shape, (a.shape, b.shape)
    assert np.allclose(a.affine, b.affine, atol=1e-4), (a.affine, b.affine)
    assert np.array_equal(np.asarray(a.dataobj), np.asarray(b.dataobj))
"'

# dcm2niix stores the rows bottom-up (j flipped against the original), so the index of a
# coronal slice counts the other way; the slices themselves are the same pictures.
expect_ok 'pgc-slice gives the same radiological slices from the DICOM as from the NIfTI' '
    strip() { pgc-info | sed -E "s/^[^ ]+ //; s/ (axial|coronal|sagittal):[0-9]+//; s/source=[^ ]*//"; }
    for ax in axial coronal sagittal; do
        pgc-slice --axis $ax $SLAB | strip > a.txt && pgc-slice --axis $ax nii/t1c.nii.gz | strip > b.txt &&
        test $(wc -l < a.txt) -gt 0 && { cmp -s a.txt b.txt || tac b.txt | cmp -s a.txt -; } || exit 1
    done &&
    pgc-slice --axis coronal $SLAB | strip > a.txt && pgc-slice --axis coronal nii/t1c.nii.gz | strip | tac | cmp a.txt -'

expect_ok 'pgc-volume reports the same world-mm tumour box for the DICOM and the NIfTI' '
    pgc-slice --axis all $SLAB --seg $SEG | pgc-volume --map truth --boxes truth > a.tsv &&
    pgc-slice --axis all nii/t1c.nii.gz --seg nii/seg.nii.gz | pgc-volume --map truth --boxes truth -o out > b.tsv &&
    test $(wc -l < b.tsv) -eq 4 &&
    cut -f2-4,11-20 a.tsv > a.cut && cut -f2-4,11-20 b.tsv > b.cut && cmp a.cut b.cut &&
    $PY -c "
import nibabel as nib, numpy as np
a, b = nib.load(\"nii/t1c.nii.gz\"), nib.load(\"out/t1c.axial.truth.nii.gz\")
assert b.shape == a.shape and np.array_equal(a.affine, b.affine)
assert int(b.header[\"sform_code\"]) == int(a.header[\"sform_code\"])
s = np.asarray(nib.load(\"nii/seg.nii.gz\").dataobj) > 0
assert np.asarray(b.dataobj)[s].min() == 1
"'
