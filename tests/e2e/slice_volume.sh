# pgc-slice on NIfTI volumes: formats, orientation, segmentation truth, slice selection.
. "$(dirname "$0")/lib.sh"
MKNII="python3 $TOP/tests/data/mknii.py"
json() { pgc-info --json "$1" > "$1.json" && python3 -c "
import json, csv, sys
R = [json.loads(l) for l in open('$1.json')]
T = lambda r: [float(v) for v in r['meta']['transform'].split()]
def back(t, b):  # box b mapped through transform t (format/stream.md), as integers
    xs = [t[0]*x + t[1]*y + t[2] for x in (b[0], b[2]) for y in (b[1], b[3])]
    ys = [t[3]*x + t[4]*y + t[5] for x in (b[0], b[2]) for y in (b[1], b[3])]
    return [round(min(xs)), round(min(ys)), round(max(xs)), round(max(ys))]
$2"; }

expect_ok 'every dtype, byte order, version and compression gives the same slices' '
    for dt in u8 i16 u16 i32 f32 f64; do
        $MKNII a.nii --dtype $dt --dims 2 5 6 || exit 1
        $MKNII b.nii.gz --dtype $dt --dims 2 5 6 --be --v2 --gz || exit 1
        pgc-slice a.nii | pgc-info | cut -d" " -f2- > a.txt &&
        pgc-slice b.nii.gz | pgc-info | cut -d" " -f2- | sed s/b.nii.gz/a.nii/ > b.txt &&
        cmp a.txt b.txt && test $(wc -l < a.txt) -eq 6 || exit 1
    done'

expect_ok 'the file type is told by its bytes, not its name' '
    $MKNII v.dat --gz && pgc-slice v.dat | pgc-info | grep -q "^v:axial:0 image f32"'

expect_ok 'axial slices of a volume: f32 y x, frame ids, spacing from pixdim' '
    $MKNII v.nii --dims 4 5 6 --pixdim 0.5 2 3 && pgc-slice v.nii > s.pgc && json s.pgc "
assert [r[\"meta\"][\"frame\"] for r in R] == [\"v:axial:%d\" % k for k in range(6)]
r = R[2]
assert r[\"dtype\"] == \"f32\" and r[\"dims\"] == [5, 4] and r[\"dimnames\"] == [\"y\", \"x\"], r
m = r[\"meta\"]
assert (m[\"name\"], m[\"source\"], m[\"axis\"], m[\"index\"]) == (\"image\", \"v.nii\", \"axial\", \"2\"), m
assert m[\"spacing\"] == \"2 0.5\" and \"label\" not in m, m
# no sform or qform: array axes are R, A, S, so axial flips both in-plane axes
assert T(r) == [-1, 0, 4, 0, -1, 5], T(r)
# values 100 i + 10 j + k at k = 2
assert (r[\"min\"], r[\"max\"]) == (2, 342), r
"'

expect_ok '--axis all gives axial, coronal then sagittal with their sizes' '
    $MKNII v.nii --dims 4 5 6 && pgc-slice --axis all v.nii > s.pgc && json s.pgc "
axes = [r[\"meta\"][\"axis\"] for r in R]
assert axes == [\"axial\"] * 6 + [\"coronal\"] * 5 + [\"sagittal\"] * 4, axes
assert R[6][\"dims\"] == [6, 4] and R[11][\"dims\"] == [6, 5]
assert (R[6][\"min\"], R[6][\"max\"]) == (0, 305)    # coronal j = 0
assert (R[12][\"min\"], R[12][\"max\"]) == (100, 145)  # sagittal i = 1
"'

expect_ok '--range and --every choose indices; --min-fg skips empty slices' '
    $MKNII v.nii --dims 3 3 10 --expr "1 if k >= 4 or (k == 2 and i == 0 and j == 0) else 0" &&
    pgc-slice --range 2:9 --every 3 v.nii | pgc-info | cut -d" " -f1 | tr "\n" " " > got &&
    grep -qx "v:axial:2 v:axial:5 v:axial:8 " got &&
    pgc-slice --range :3 v.nii | pgc-info | wc -l | grep -qx 3 &&
    pgc-slice --range 8: v.nii | pgc-info | wc -l | grep -qx 2 &&
    pgc-slice --min-fg 0.1 v.nii | pgc-info | cut -d" " -f1 | tr "\n" " " > got2 &&
    grep -qx "v:axial:2 v:axial:4 v:axial:5 v:axial:6 v:axial:7 v:axial:8 v:axial:9 " got2 &&
    pgc-slice --min-fg 0.5 v.nii | pgc-info | wc -l | grep -qx 6'

expect_ok '--seg gives the label and one box per 8-connected region' '
    $MKNII t.nii --dims 8 6 3 --expr "1 + i + j" &&
    $MKNII s.nii --dims 8 6 3 --dtype u8 --expr "1 if k == 1 and ((i < 2 and j < 2) or (i == 5 and j in (3, 4)) or (i == 6 and j == 5)) else 0" &&
    pgc-slice --seg s.nii t.nii > out.pgc && json out.pgc "
names = [(r[\"meta\"][\"frame\"], r[\"meta\"][\"name\"]) for r in R]
assert names == [(\"t:axial:%d\" % k, n) for k in range(3) for n in (\"image\", \"truth\")], names
assert [R[i][\"meta\"][\"label\"] for i in (0, 2, 4)] == [\"none\", \"tumour\", \"none\"]
assert R[1][\"dims\"] == [0, 4] and R[5][\"dims\"] == [0, 4]
# in the source (i, j): block [0,2)x[0,2), and the diagonal run (5,3) (5,4) (6,5)
got = sorted(back(T(R[3]), b) for b in R[3][\"boxes\"])
assert got == [[0, 0, 2, 2], [5, 3, 7, 6]], got
assert T(R[3]) == T(R[2]) and R[3][\"meta\"][\"label\"] == \"tumour\"
"'

expect_ok 'a qform or sform turning the volume around gives the same radiological slices' '
    # one object in world space, stored as RAS, as LPS by sform, and as LPS by qform: the
    # marker (seg) sits at the patient right, posterior, in the upper slice
    $MKNII ras.nii --dims 4 5 2 --sform "1 0 0 0; 0 1 0 0; 0 0 1 0" &&
    $MKNII ras_s.nii --dims 4 5 2 --dtype u8 --expr "int(i == 3 and j < 2 and k == 1)" &&
    for f in lps q; do
        o="--sform \"-1 0 0 0; 0 -1 0 0; 0 0 1 0\""; [ $f = q ] && o="--qform 0 0 1 1"
        eval $MKNII $f.nii --dims 4 5 2 $o --expr "\"100*(3-i) + 10*(4-j) + k\"" &&
        eval $MKNII ${f}_s.nii --dims 4 5 2 --dtype u8 $o --expr "\"int(i == 0 and j > 2 and k == 1)\"" || exit 1
    done &&
    for f in ras lps q; do pgc-slice $f.nii --seg ${f}_s.nii --axis all | pgc-info --json > $f.json || exit 1; done &&
    python3 -c "
import json
def views(f):
    R = [json.loads(l) for l in open(f + \".json\")]
    return [(r[\"meta\"][\"axis\"], r[\"meta\"][\"name\"], r[\"dims\"], r[\"min\"], r[\"max\"], r[\"mean\"],
             r.get(\"boxes\"), r[\"meta\"].get(\"label\")) for r in R]
ras, lps, q = views(\"ras\"), views(\"lps\"), views(\"q\")
ax = lambda v: [x for x in v if x[0] == \"axial\"]
assert ax(ras) == ax(lps) == ax(q), (ax(ras), ax(lps))
assert sorted(ras, key=str) == sorted(lps, key=str) == sorted(q, key=str)
# the marker is on the left of the image (patient right), at the bottom (posterior)
tru = [x for x in ax(ras) if x[1] == \"truth\" and x[6]]
assert tru == [(\"axial\", \"truth\", [1, 4], 0, 5, 2.25, [[0, 3, 1, 5]], \"tumour\")], tru
"'

expect_exit 2 '--seg with two volumes is a usage error' 'pgc-slice --seg s.nii a.nii b.nii'
expect_exit 2 'a bad --axis is a usage error' 'pgc-slice --axis oblique a.nii'
expect_exit 2 'a bad --range is a usage error' 'pgc-slice --range 5:2 a.nii'
expect_exit 2 'a bad --min-fg is a usage error' 'pgc-slice --min-fg 2 a.nii'
expect_exit 1 'a segmentation on another grid fails with one line' '
    $MKNII t.nii --dims 4 4 4 && $MKNII s.nii --dims 4 4 5 && pgc-slice --seg s.nii t.nii > /dev/null'
expect_exit 1 'a file that is neither PNG nor NIfTI fails with one line' '
    echo "hello world" > x.nii && pgc-slice x.nii > /dev/null'

# Known answers: slices_axial.csv lists, per axial index z, the tumour box in voxel
# indices (i first array axis). Every emitted truth box, mapped back through transform,
# must give exactly that box (their union, when a slice has several regions).
check_known() { # folder t1c seg
    local d=$DATA/nifti/$1
    if [ ! -f "$d/slices_axial.csv" ]; then skip "known answers of $1" "no $d"; return; fi
    expect_ok "known answers of $1: labels and boxes of all 155 axial slices" "
        pgc-slice $d/$2 --axis axial --seg $d/$3 > s.pgc && json s.pgc \"
rows = {int(r['z']): r for r in csv.DictReader(open('$d/slices_axial.csv'))}
imgs, truths = R[0::2], R[1::2]
assert len(imgs) == len(rows) == 155, len(imgs)
for img, tru in zip(imgs, truths):
    z = int(img['meta']['index']); row = rows[z]
    assert img['meta']['label'] == ('tumour' if int(row['tumour_voxels']) else 'none'), z
    boxes = [back(T(tru), b) for b in tru['boxes']]
    if not boxes:
        assert row['i0'] == '', z
        continue
    union = [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]
    want = [int(row[k]) for k in ('i0', 'j0', 'i1', 'j1')]
    assert union == want, (z, union, want)
print('slices with tumour:', sum(1 for r in rows.values() if r['i0']), file=sys.stderr)
\""
    expect_ok "known answers of $1: --min-fg keeps exactly the slices with enough brain" "
        pgc-slice $d/$2 --min-fg 0.2 > s.pgc && json s.pgc \"
rows = list(csv.DictReader(open('$d/slices_axial.csv')))
want = [int(r['z']) for r in rows if int(r['brain_voxels']) >= 0.2 * 240 * 240]
got = [int(r['meta']['index']) for r in R]
assert got == want and 0 < len(got) < 155, (got, want)
\""
}
check_known brainles_tcga_du_7294 t1c_bet.nii.gz seg_fusion_mav.nii.gz
check_known brainles_aurora_brats_met_example t1c.nii.gz seg_aurora_t1c_only_model.nii.gz

d=$DATA/nifti/brainles_aurora_brats_met_example
if [ -f "$d/t1c.nii.gz" ]; then
expect_ok 'a RAS volume is flipped in both axes, an LPS one is not' '
    pgc-slice --range 70:71 $d/t1c.nii.gz | pgc-info --json | grep -q "\"transform\":\"-1 0 240 0 -1 240\"" &&
    pgc-slice --range 70:71 $DATA/nifti/brainles_tcga_du_7294/t1c_bet.nii.gz | pgc-info --json |
        grep -q "\"transform\":\"1 0 0 0 1 0\""'
else
    skip 'a RAS volume is flipped in both axes, an LPS one is not' "no $d"
fi

V=$TOP/examples/volume
expect_ok 'the bundled slab slices with its segmentation' '
    pgc-slice $V/tcga_du_7294_t1c_slab.nii.gz --seg $V/tcga_du_7294_seg_slab.nii.gz | pgc-info > out &&
    test $(grep -c " image f32 \[y=240 x=240\]" out) -eq 32 && grep -q "label=tumour" out'

expect_ok '--label gives every slice of a volume without a segmentation one weak label' '
    $MKNII v.nii --dims 4 5 6 && pgc-slice v.nii --label none | pgc-info > i.txt &&
    test $(grep -c " image " i.txt) -eq 6 && test $(grep -c "label=none" i.txt) -eq 6'

expect_exit 2 '--label with --seg is a usage error' '
    $MKNII v.nii --dims 4 5 6 && pgc-slice v.nii --seg v.nii --label none > /dev/null'
