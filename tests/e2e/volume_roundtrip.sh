# pgc-volume: maps back on the source's own grid, checked by an independent reader
# (nibabel): every NIfTI written has the input's dims, affine, qform, sform and codes;
# pgc-slice's `image` written back is the input voxel for voxel along every axis; the
# report's world-mm box is the segmentation's own box.
. "$(dirname "$0")/lib.sh"
MKNII="python3 $TOP/tests/data/mknii.py"
# nibabel is Debian's python3-nibabel (tests/deps.sh): the system python, which may not
# be the first python3 on PATH.
PY=
for p in python3 /usr/bin/python3; do
    if "$p" -c 'import nibabel' 2>/dev/null; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
    skip 'nibabel round trips' 'python3-nibabel missing (run tests/deps.sh as root)'
    exit 0
fi

# same.py IN [exact | MASK AXIS] OUT...: each OUT is a float32 NIfTI on IN's grid; with
# exact, its voxels are IN's; with a mask (a Python expression of the index k along
# array axis AXIS) IN's where it holds and 0 elsewhere.
cat > "$T/same.py" <<'PYEOF'
import sys
import nibabel as nib
import numpy as np
args = sys.argv[1:]
a = nib.load(args.pop(0))
mode = args.pop(0) if args[0] == "exact" else None
if args[0].startswith("mask:"):
    mode, axis = args.pop(0)[5:], int(args.pop(0))
ha = a.header
for out in args:
    b = nib.load(out)
    hb = b.header
    assert b.shape == a.shape, (b.shape, a.shape)
    assert hb.get_data_dtype() == np.float32, hb.get_data_dtype()
    assert type(hb) is type(ha), (type(hb), type(ha))  # NIfTI-1 stays 1, 2 stays 2
    assert np.array_equal(b.affine, a.affine), (b.affine, a.affine)
    for f in ("qform_code", "sform_code", "xyzt_units", "dim_info"):
        assert int(hb[f]) == int(ha[f]), (f, hb[f], ha[f])
    assert np.array_equal(hb.get_qform(), ha.get_qform()), (hb.get_qform(), ha.get_qform())
    assert np.array_equal(hb.get_sform(), ha.get_sform()), (hb.get_sform(), ha.get_sform())
    assert np.array_equal(hb["pixdim"], ha["pixdim"]), (hb["pixdim"], ha["pixdim"])
    assert nib.aff2axcodes(b.affine) == nib.aff2axcodes(a.affine)
    if mode is None:
        continue
    va = np.asarray(a.dataobj, dtype=np.float64).astype(np.float32)
    vb = np.asarray(b.dataobj)
    if mode != "exact":
        keep = np.array([eval(mode, {}, {"k": k}) for k in range(a.shape[axis])])
        shape = [1, 1, 1]; shape[axis] = -1
        va = np.where(keep.reshape(shape), va, 0)
    assert np.array_equal(va, vb), (out, np.argwhere(va != vb)[:5])
PYEOF
SAME="$PY $T/same.py"

# RAS and LPS, by sform and by qform, axes permuted and tilted, NIfTI-1 and -2, both byte
# orders: all with 5 x 6 x 7 voxels of different sizes and values 100 i + 10 j + k.
grid() {
    local p="--dims 5 6 7 --dtype f32 --expr 100*i+10*j+k+0.25 --pixdim 0.5 2 3"
    case $1 in
    ras) $MKNII v.nii $p --sform "0.5 0 0 -10; 0 2 0 20; 0 0 3 -30" ;;
    lps) $MKNII v.nii $p --sform "-0.5 0 0 10; 0 -2 0 20; 0 0 3 -30" ;;
    lps_qform) $MKNII v.nii $p --qform 0 0 1 1 ;;
    ras_qform_qfac_-1) $MKNII v.nii $p --qform 0 0 0 -1 ;;
    permuted_tilted) $MKNII v.nii $p --sform "0 0.1 3 1; 0.5 0 0 2; 0 2 0.2 3" ;;
    lps_nifti2_big_endian) $MKNII v.nii $p --v2 --be --sform "-0.5 0 0 10; 0 -2 0 20; 0 0 3 -30" ;;
    esac
}
for g in ras lps lps_qform ras_qform_qfac_-1 permuted_tilted lps_nifti2_big_endian; do
    expect_ok "$g: image back from axial, coronal and sagittal slices is the input exactly" "
        rm -rf out && grid $g &&
        for ax in axial coronal sagittal; do
            pgc-slice --axis \$ax v.nii | pgc-volume --map image -o out > r.tsv || exit 1
        done && \$SAME v.nii exact out/v.axial.image.nii.gz out/v.coronal.image.nii.gz out/v.sagittal.image.nii.gz"
done

expect_ok 'a volume cut along all three axes gives three files and three rows' '
    rm -rf out &&    $MKNII v.nii --dims 5 6 7 --sform "-1 0 0 0; 0 -1 0 0; 0 0 1 0" &&
    pgc-slice --axis all v.nii | pgc-volume --map image -o out > r.tsv &&
    test $(wc -l < r.tsv) -eq 4 && cut -f2,3 r.tsv | tr "\t\n" ":," | grep -qx "axis:slices,axial:7,coronal:6,sagittal:5," &&
    $SAME v.nii exact out/v.axial.image.nii.gz out/v.coronal.image.nii.gz out/v.sagittal.image.nii.gz'

expect_ok 'slices left out by --every and --range are zero, the others exact' '
    rm -rf out out2 &&    $MKNII v.nii --dims 5 6 9 --sform "-1 0 0 0; 0 -1 0 0; 0 0 1 0" --expr "1 + i + j + k" &&
    pgc-slice --every 3 --range 1: v.nii | pgc-volume --map image -o out > r.tsv &&
    $SAME v.nii "mask:k % 3 == 1" 2 out/v.axial.image.nii.gz &&
    pgc-slice --axis sagittal --range 2:4 v.nii | pgc-volume --map image -o out2 > r.tsv &&
    $SAME v.nii "mask:2 <= k < 4" 0 out2/v.sagittal.image.nii.gz'

expect_ok 'voxel sizes of 0 read as 1 mm, and the map written back says 1 mm (no reader warns)' '
    rm -rf out && $MKNII v.nii --dims 5 6 7 --pixdim 0 2 0 &&
    pgc-slice v.nii | pgc-volume --map image -o out > r.tsv &&
    $PY -c "
import logging, sys, nibabel as nib, numpy as np
class Fail(logging.Handler):
    def emit(self, r): sys.exit(\"nibabel warns: \" + r.getMessage())
logging.getLogger(\"nibabel\").addHandler(Fail())
b = nib.load(\"out/v.axial.image.nii.gz\")
assert list(b.header[\"pixdim\"][1:4]) == [1, 2, 1], b.header[\"pixdim\"]
logging.getLogger(\"nibabel\").handlers.clear()
a = nib.load(\"v.nii\")
assert np.array_equal(b.affine, a.affine), (b.affine, a.affine)
assert np.array_equal(np.asarray(b.dataobj), np.asarray(a.dataobj, np.float32))
"'

SLAB=$EX/volume/tcga_du_7294_t1c_slab.nii.gz SEG=$EX/volume/tcga_du_7294_seg_slab.nii.gz
expect_ok 'the bundled TCGA slab: image back along every axis is the input exactly' '
    rm -rf out &&    pgc-slice --axis all $SLAB | pgc-volume --map image -o out > r.tsv &&
    $SAME $SLAB exact out/tcga_du_7294_t1c_slab.axial.image.nii.gz \
        out/tcga_du_7294_t1c_slab.coronal.image.nii.gz out/tcga_du_7294_t1c_slab.sagittal.image.nii.gz'

# segbox.py SEG REPORT [prep-cropped]: the report's rows hold the segmentation's own box
# (voxels > 0) in voxel indices and in world mm through nibabel's affine.
cat > "$T/segbox.py" <<'PYEOF'
import csv, itertools, sys
import nibabel as nib
import numpy as np
s = nib.load(sys.argv[1])
idx = np.argwhere(np.asarray(s.dataobj) > 0)
lo, hi = idx.min(0), idx.max(0) + 1
corners = np.array([[(hi if c >> a & 1 else lo)[a] - 0.5 for a in range(3)]
                    for c in range(8)])
world = nib.affines.apply_affine(s.affine, corners)
wmin, wmax = world.min(0), world.max(0)
rows = list(csv.DictReader(open(sys.argv[2]), delimiter="\t"))
assert rows, "no rows"
for r in rows:
    got = [int(r[k]) for k in ("i0", "j0", "k0")], [int(r[k]) for k in ("i1", "j1", "k1")]
    assert got == (lo.tolist(), hi.tolist()), (r["axis"], got, lo, hi)
    for w, ax in enumerate("xyz"):
        assert abs(float(r[ax + "_min_mm"]) - wmin[w]) < 1e-3, (ax, r, wmin)
        assert abs(float(r[ax + "_max_mm"]) - wmax[w]) < 1e-3, (ax, r, wmax)
        assert abs(float(r["extent_%s_mm" % ax]) - (wmax[w] - wmin[w])) < 1e-3
print(lo, hi, wmin, wmax)
PYEOF
expect_ok 'the report box of the segmentation truth is the segmentation box nibabel finds' '
    pgc-slice --axis all $SLAB --seg $SEG | pgc-volume --map truth --boxes truth > r.tsv &&
    test $(wc -l < r.tsv) -eq 4 && $PY segbox.py $SEG r.tsv'

expect_ok 'the same through pgc-prep, which resizes 240 -> 128 and back' '
    pgc-slice $SLAB --seg $SEG | pgc-prep --size 128 | pgc-volume --map truth --boxes truth > r.tsv &&
    $PY segbox.py $SEG r.tsv &&
    pgc-slice --axis sagittal $SLAB --seg $SEG | pgc-prep --size 64 --fit pad | pgc-volume --map truth --boxes truth > r.tsv &&
    $PY segbox.py $SEG r.tsv'

expect_ok 'a truth mask on the slab covers the segmentation box slice by slice' '
    rm -rf out &&    pgc-slice $SLAB --seg $SEG | pgc-prep --size 128 | pgc-volume --map truth -o out > r.tsv &&
    $SAME $SLAB out/tcga_du_7294_t1c_slab.axial.truth.nii.gz && $PY -c "
import nibabel as nib, numpy as np
m = np.asarray(nib.load(\"out/tcga_du_7294_t1c_slab.axial.truth.nii.gz\").dataobj)
s = np.asarray(nib.load(\"$SEG\").dataobj) > 0
assert set(np.unique(m)) <= {0.0, 1.0}
assert m[s].min() == 1, \"a tumour voxel outside every truth box\"
assert m.sum() < 1.5 * s.sum() + 10000, (m.sum(), s.sum())
"'

expect_ok 'the whole chain with the shipped model: pgcam on the grid, a report row, a plot' '
    rm -rf out &&    pgc-slice $SLAB --seg $SEG | pgc-prep --size 128 | pgc-infer -m $EX/model/dcfpn.model 2>/dev/null |
        pgc-cam | pgc-fuse --scales all | pgc-box |
        pgc-volume -o out --plot out/p.png > r.tsv &&
    $SAME $SLAB out/tcga_du_7294_t1c_slab.axial.pgcam.nii.gz &&
    $PY -c "
import csv, struct, nibabel as nib, numpy as np
r = list(csv.DictReader(open(\"r.tsv\"), delimiter=\"\t\"))
assert len(r) == 1 and r[0][\"slices\"] == \"32\" and r[0][\"map\"] == \"pgcam\", r
assert 0 <= float(r[0][\"max_prob\"]) <= 1 and float(r[0][\"volume_ml\"]) >= 0, r
m = np.asarray(nib.load(\"out/tcga_du_7294_t1c_slab.axial.pgcam.nii.gz\").dataobj)
assert 0 <= m.min() and 0 < m.max() <= 1.0001, (m.min(), m.max())
png = open(\"out/p.png\", \"rb\").read()
assert png[:8] == b\"\\x89PNG\\r\\n\\x1a\\n\" and struct.unpack(\">II\", png[16:24]) == (640, 220)
"'

# ---- refusals: one line, exit 1, and no file (not even a temporary one) left behind
expect_exit 1 'an index outside the volume (the source changed since slicing)' '
    rm -rf out && $MKNII v.nii --dims 4 4 6 && pgc-slice v.nii > s.pgc && $MKNII v.nii --dims 4 4 3 &&
    pgc-volume --map image -o out < s.pgc > /dev/null; rc=$?; test -z "$(ls out)" && exit $rc'
expect_exit 1 'frames of one volume that disagree in geometry' '
    rm -rf out && $MKNII v.nii --dims 8 8 4 &&
    { pgc-slice --range 0:2 v.nii | pgc-prep --size 8; pgc-slice --range 2:4 v.nii | pgc-prep --size 16; } |
    pgc-volume -o out --map image > /dev/null; rc=$?; test -z "$(ls out)" && exit $rc'
expect_exit 1 'frames from another grid' '
    $MKNII v.nii --dims 8 8 4 && pgc-slice v.nii > s.pgc && $MKNII v.nii --dims 6 5 4 &&
    pgc-volume --map image < s.pgc > /dev/null'
expect_exit 1 'a volume whose frames are not adjacent' '
    $MKNII a.nii --dims 4 4 4 && $MKNII b.nii --dims 4 4 4 &&
    { pgc-slice --range 0:2 a.nii b.nii; pgc-slice --range 2:4 a.nii; } | pgc-volume --map image > /dev/null'
expect_exit 1 'a frame without the map' '
    $MKNII v.nii && pgc-slice v.nii | pgc-volume > /dev/null'
expect_exit 1 'a PNG frame is not a volume slice' '
    python3 $TOP/tests/data/mkpng.py grey8 4 4 a.png && pgc-slice a.png | pgc-volume --map image > /dev/null'
expect_exit 1 'an existing output without --force' '
    rm -rf out && $MKNII v.nii && pgc-slice v.nii | pgc-volume --map image -o out > /dev/null &&
    pgc-slice v.nii | pgc-volume --map image -o out > /dev/null'
expect_ok '--force replaces it' '
    rm -rf out && $MKNII v.nii && pgc-slice v.nii | pgc-volume --map image -o out > /dev/null &&
    pgc-slice v.nii | pgc-volume --force --map image -o out > /dev/null && test $(ls out | wc -l) -eq 1'
expect_exit 1 'a second volume with one --plot file' '
    $MKNII a.nii && $MKNII b.nii && pgc-slice a.nii b.nii | pgc-volume --map image --plot p.png > /dev/null'
expect_ok '--plot with %s gives one picture per volume' '
    $MKNII a.nii && $MKNII b.nii && pgc-slice a.nii b.nii | pgc-volume --map image --plot "p-%s.png" > /dev/null &&
    test -s p-a.axial.png && test -s p-b.axial.png'
expect_exit 2 'bad usage: --frac out of range' 'pgc-volume --frac 2 < /dev/null'
expect_ok '--help says the volume is an estimate, not a segmentation' '
    pgc-volume --help | tr "\n" " " | grep -Eq "weakly +supervised +estimate.*NOT a segmentation"'
