# pgc-prep: resize, crop or pad, normalise; transform and truth boxes follow the image.
. "$(dirname "$0")/lib.sh"
MK="python3 $TOP/tests/data/mkpng.py"
json() { pgc-info --json "$1" > "$1.json" && python3 -c "
import json, csv, sys
R = [json.loads(l) for l in open('$1.json')]
T = lambda r: [float(v) for v in r['meta']['transform'].split()]
def back(t, b):  # maps box b through transform t, as format/stream.md defines it
    xs = [t[0]*x + t[1]*y + t[2] for x in (b[0], b[2]) for y in (b[1], b[3])]
    ys = [t[3]*x + t[4]*y + t[5] for x in (b[0], b[2]) for y in (b[1], b[3])]
    return [min(xs), min(ys), max(xs), max(ys)]
near = lambda a, b, tol=1e-3: len(a) == len(b) and all(abs(x - y) <= tol for x, y in zip(a, b))
$2"; }

expect_ok 'help goes to stdout and exits 0' 'pgc-prep --help | grep -q "usage: pgc-prep"'
expect_exit 2 'a size out of range is a usage error' 'pgc-prep --size 0 < /dev/null'
expect_exit 2 'an unknown fit is a usage error' 'pgc-prep --fit stretch < /dev/null'
expect_exit 2 'an unknown norm is a usage error' 'pgc-prep --norm minmax < /dev/null'
expect_exit 2 'percentiles out of order are a usage error' 'pgc-prep --pct 90:10 < /dev/null'
expect_exit 2 'a stray argument is a usage error' 'pgc-prep file.pgc < /dev/null'

expect_ok 'the image becomes f32 N x N in [0, 1] with metadata in place' '
    $MK grey8 40 30 a.png >/dev/null && pgc-slice a.png | pgc-prep --size 16 > s.pgc && json s.pgc "
r = R[0]
assert r[\"dtype\"] == \"f32\" and r[\"dims\"] == [16, 16] and r[\"dimnames\"] == [\"y\", \"x\"], r
assert r[\"min\"] >= 0 and r[\"max\"] <= 1 and r[\"max\"] > 0.9, r
assert list(r[\"meta\"])[:7] == [\"frame\", \"name\", \"source\", \"axis\", \"index\", \"spacing\", \"transform\"]
assert r[\"meta\"][\"norm\"] == \"pct 0.5 99.5\"
# shorter side 30 -> 16, the other 40 -> round(21.33) = 21; centre crop drops 2 columns
assert near(T(r), [40/21, 0, 2 * 40/21, 0, 30/16, 0], 1e-6), T(r)
assert near([float(v) for v in r[\"meta\"][\"spacing\"].split()], [30/16, 40/21], 1e-6)
"'

expect_ok 'pad keeps every box and maps it back to its source pixels' '
    $MK grey8 50 20 b.png >/dev/null &&
    printf "file,x0,y0,x1,y1\nb.png,0,0,7,3\nb.png,40,10,50,20\n" > boxes.csv &&
    pgc-slice --boxes boxes.csv b.png | pgc-prep --size 25 --fit pad > s.pgc && json s.pgc "
img, tru = R
assert img[\"dims\"] == [25, 25] and tru[\"dims\"] == [2, 4]
assert T(img) == T(tru), (T(img), T(tru))
got = [back(T(tru), b) for b in tru[\"boxes\"]]
assert near(got[0], [0, 0, 7, 3]) and near(got[1], [40, 10, 50, 20]), got
"'

expect_ok 'crop clips boxes to the kept part and drops boxes left empty' '
    $MK grey8 40 10 c.png >/dev/null &&
    printf "file,x0,y0,x1,y1\nc.png,0,0,5,5\nc.png,12,2,20,8\nc.png,30,0,40,10\n" > boxes.csv &&
    pgc-slice --boxes boxes.csv c.png | pgc-prep --size 10 > s.pgc && json s.pgc "
img, tru = R
# the kept part is source columns 15..25 (centre crop of 40 to 10 at scale 1)
assert near(T(img), [1, 0, 15, 0, 1, 0]), T(img)
assert [back(T(tru), b) for b in tru[\"boxes\"]] == [[15, 2, 20, 8]], tru
"'

expect_ok 'upscaling a transform chain still maps back (prep twice)' '
    $MK grey8 30 20 d.png >/dev/null && printf "file,x0,y0,x1,y1\nd.png,10,5,20,15\n" > boxes.csv &&
    pgc-slice --boxes boxes.csv d.png | pgc-prep --size 64 --fit pad | pgc-prep --size 32 > s.pgc &&
    json s.pgc "
img, tru = R
assert near(back(T(tru), tru[\"boxes\"][0]), [10, 5, 20, 15]), tru
"'

expect_ok '--norm none at the same size keeps the values' '
    $MK grey8 8 8 e.png > mean && pgc-slice e.png | pgc-prep --size 8 --norm none > s.pgc && json s.pgc "
assert abs(R[0][\"mean\"] - float(open(\"mean\").read())) < 1e-4 and R[0][\"max\"] == 0 + 7*7 + 13*7 % 256, R[0]
assert R[0][\"meta\"][\"norm\"] == \"none\"
"'

expect_ok '--norm zscore gives the foreground mean 0 and sd 1' '
    $MK grey16 9 9 f.png >/dev/null && pgc-slice f.png | pgc-prep --size 9 --norm zscore > s.pgc &&
    pgc-slice f.png | pgc-prep --size 9 --norm none > raw.pgc && json s.pgc "
R2 = [json.loads(l) for l in __import__(\"subprocess\").check_output([\"pgc-info\", \"--json\", \"raw.pgc\"]).splitlines()]
# the image is 81 pixels, one of them (0, 0) zero: background stays 0, so the mean over
# all 81 pixels is 0 and the foreground values are standardised
assert abs(R[0][\"mean\"]) < 1e-5, R[0]
assert R[0][\"meta\"][\"norm\"] == \"zscore\"
"'

expect_ok 'frames without an image pass through, and the stream ends cleanly' '
    $MK grey8 8 8 g.png >/dev/null && : > empty.csv && printf "file,x0,y0,x1,y1\n" > boxes.csv &&
    pgc-slice --boxes boxes.csv g.png g.png | pgc-prep --size 4 | pgc-info > out &&
    test $(wc -l < out) -eq 4 && grep -q "^g-2 truth f32 \[box=0 coord=4\]" out'

expect_exit 1 'a frame with two images is refused' '
    $MK grey8 8 8 k.png >/dev/null && pgc-slice k.png > k.pgc && cat k.pgc k.pgc | pgc-prep > /dev/null'
expect_exit 1 'a truncated stream fails with one line' '
    $MK grey8 64 64 h.png >/dev/null && pgc-slice h.png | head -c 3000 | pgc-prep > /dev/null'
expect_exit 1 'input that is not a stream fails with one line' 'echo junk | pgc-prep > /dev/null'

expect_ok 'a closed pipe downstream is not an error' '
    set -o pipefail; $MK grey8 64 64 i.png >/dev/null &&
    pgc-slice $(for i in $(seq 100); do echo i.png; done) > many.pgc &&
    pgc-prep --size 64 < many.pgc | head -c 100 > /dev/null'

expect_ok 'memory stays flat over a long stream' '
    $MK grey8 128 128 j.png >/dev/null &&
    pgc-slice $(for i in $(seq 20); do echo j.png; done) > few.pgc &&
    pgc-slice $(for i in $(seq 600); do echo j.png; done) > lots.pgc &&
    /usr/bin/time -f %M pgc-prep --size 128 < few.pgc 2> m1 > /dev/null &&
    /usr/bin/time -f %M pgc-prep --size 128 < lots.pgc 2> m2 > /dev/null &&
    test $(tail -n 1 m2) -lt $(( $(tail -n 1 m1) + 2048 ))'

E=$TOP/examples/slices
expect_ok 'the example slices come out 224 x 224 with boxes that map back inside the source box' '
    pgc-slice --labels $E/labels.csv --boxes $E/boxes.csv $E/*.png | pgc-prep > s.pgc && json s.pgc "
rows = list(csv.DictReader(open(\"$E/boxes.csv\")))
for img, tru in zip(R[0::2], R[1::2]):
    assert img[\"dims\"] == [224, 224] and img[\"meta\"][\"label\"] == \"tumour\"
    want = [[float(r[k]) for k in (\"x0\", \"y0\", \"x1\", \"y1\")] for r in rows
            if r[\"file\"] == img[\"meta\"][\"frame\"] + \".png\"]
    got = [back(T(tru), b) for b in tru[\"boxes\"]]
    assert len(got) == len(want) and all(near(g, w) for g, w in zip(got, want)), (got, want)
"'

expect_ok 'records other than image and truth pass through unchanged' '
    $MK grey8 16 16 p.png >/dev/null && pgc-slice p.png | pgc-npy --export pa &&
    cp pa/p.image.npy pa/p.extra.npy && sed "s/^name: image/name: extra/" pa/p.image.meta > pa/p.extra.meta &&
    pgc-npy --import pa/p.image.npy pa/p.extra.npy | pgc-prep --size 8 | pgc-npy --export pb &&
    cmp pa/p.extra.npy pb/p.extra.npy && cmp pa/p.extra.meta pb/p.extra.meta &&
    ! cmp -s pa/p.image.npy pb/p.image.npy'
