# pgc-slice on PNG images: one frame per image, labels and boxes from the data CSVs.
. "$(dirname "$0")/lib.sh"
MK="python3 $TOP/tests/data/mkpng.py"
# json FILE PYTHON: runs PYTHON with R = the list of records of pgc-info --json FILE.
json() { pgc-info --json "$1" > "$1.json" && python3 -c "
import json, csv, sys
R = [json.loads(l) for l in open('$1.json')]
$2"; }

expect_ok 'help goes to stdout and exits 0' 'pgc-slice --help | grep -q "usage: pgc-slice"'
expect_exit 2 'no input is a usage error' 'pgc-slice'
expect_exit 2 'an unknown option is a usage error' 'pgc-slice --bogus a.png'
expect_exit 2 'an option without its value is a usage error' 'pgc-slice a.png --labels'

expect_ok 'a bad input part way leaves the frames before it written, and the stream unended' '
    $MK grey8 8 8 a.png >/dev/null && echo junk > b.png && pgc-slice a.png > one.pgc &&
    { pgc-slice a.png b.png > two.pgc 2>err; test $? -eq 1; } && test "$(wc -l < err)" -eq 1 &&
    grep -q "b.png" err && test -s two.pgc && test $(stat -c %s two.pgc) -lt $(stat -c %s one.pgc) &&
    cmp -n $(stat -c %s two.pgc) one.pgc two.pgc &&
    ! pgc-info two.pgc > info 2>ierr && grep -q "^a image" info && grep -q "truncated" ierr'

expect_ok 'every colour type becomes one grey image with the metadata of a png slice' '
    for k in grey8 grey16 rgb rgba palette; do $MK $k 6 4 $k.png > $k.mean || exit 1; done &&
    pgc-slice grey8.png grey16.png rgb.png rgba.png palette.png > s.pgc &&
    json s.pgc "
assert [r[\"meta\"][\"frame\"] for r in R] == [\"grey8\", \"grey16\", \"rgb\", \"rgba\", \"palette\"]
for r in R:
    k = r[\"meta\"][\"frame\"]
    assert r[\"dtype\"] == (\"u16\" if k == \"grey16\" else \"u8\"), r
    assert r[\"dims\"] == [4, 6] and r[\"dimnames\"] == [\"y\", \"x\"]
    m = r[\"meta\"]
    assert (m[\"name\"], m[\"source\"], m[\"axis\"], m[\"index\"]) == (\"image\", k + \".png\", \"png\", \"0\"), m
    assert (m[\"spacing\"], m[\"transform\"]) == (\"1 1\", \"1 0 0 0 1 0\"), m
    assert \"label\" not in m
    assert abs(r[\"mean\"] - float(open(k + \".mean\").read())) < 1e-3, (k, r[\"mean\"])
"'

expect_ok 'labels and boxes are looked up by basename, several boxes per file kept in order' '
    $MK grey8 20 10 one.png >/dev/null && mkdir d && $MK grey8 20 10 d/two.png >/dev/null &&
    printf "file,label,extra\nimages/one.png,tumour,x\ntwo.png,none,y\n" > labels.csv &&
    printf "file,x0,y0,x1,y1\none.png,1,2,5,6\nx/one.png,10,0,20,10\n" > boxes.csv &&
    pgc-slice --labels labels.csv --boxes boxes.csv one.png d/two.png > s.pgc && json s.pgc "
assert [(r[\"meta\"][\"frame\"], r[\"meta\"][\"name\"]) for r in R] == [
    (\"one\", \"image\"), (\"one\", \"truth\"), (\"two\", \"image\"), (\"two\", \"truth\")], R
assert R[0][\"meta\"][\"label\"] == \"tumour\" and R[2][\"meta\"][\"label\"] == \"none\"
assert R[1][\"boxes\"] == [[1, 2, 5, 6], [10, 0, 20, 10]] and R[1][\"dtype\"] == \"f32\"
assert R[1][\"dimnames\"] == [\"box\", \"coord\"] and R[3][\"dims\"] == [0, 4]
assert all(R[1][\"meta\"][k] == R[0][\"meta\"][k] for k in R[0][\"meta\"] if k != \"name\")
"'

expect_ok 'boxes are clipped to the image and dropped when nothing is left' '
    $MK grey8 20 10 c.png >/dev/null &&
    printf "file,x0,y0,x1,y1\nc.png,-5,2,30,6\nc.png,25,0,30,5\n" > boxes.csv &&
    pgc-slice --boxes boxes.csv c.png > s.pgc && json s.pgc "
assert R[1][\"boxes\"] == [[0, 2, 20, 6]], R[1]
"'

expect_ok 'two files with one basename get distinct frame ids' '
    mkdir a b && $MK grey8 4 4 a/x.png >/dev/null && $MK grey8 4 4 b/x.png >/dev/null &&
    pgc-slice a/x.png b/x.png > s.pgc && json s.pgc "
assert [r[\"meta\"][\"frame\"] for r in R] == [\"x\", \"x-2\"], R
"'

expect_ok '--list reads paths one per line, skipping blanks and comments' '
    $MK grey8 4 4 p.png >/dev/null && $MK grey8 4 4 q.png >/dev/null &&
    printf "p.png\n\n# note\nq.png\n" > list && pgc-slice --list list > s.pgc &&
    printf "q.png\n" | pgc-slice p.png --list - > t.pgc &&
    pgc-info s.pgc | cut -d" " -f1 | tr "\n" " " | grep -qx "p q " &&
    pgc-info t.pgc | cut -d" " -f1 | tr "\n" " " | grep -qx "p q "'

expect_exit 1 'a missing image fails with one line naming it' '
    $MK grey8 4 4 ok.png >/dev/null && pgc-slice ok.png missing.png > /dev/null'
expect_exit 1 'and the stream it leaves behind fails downstream' '
    $MK grey8 4 4 ok.png >/dev/null; pgc-slice ok.png missing.png 2>/dev/null | pgc-info'
expect_exit 1 'a label other than tumour or none fails with the line' '
    $MK grey8 4 4 ok.png >/dev/null && printf "file,label\nok.png,maybe\n" > l.csv &&
    pgc-slice --labels l.csv ok.png > /dev/null'
if command -v script >/dev/null; then
expect_ok 'a terminal on stdout is refused' '
    $MK grey8 4 4 ok.png >/dev/null; script -qec "pgc-slice ok.png; echo rc=\$?" /dev/null > out;
    grep -q "to a terminal" out && grep -q "rc=2" out'
else
    skip 'a terminal on stdout is refused' 'no script(1)'
fi

expect_ok 'a closed pipe downstream is not an error' '
    set -o pipefail; $MK grey8 64 64 big.png >/dev/null &&
    pgc-slice $(for i in $(seq 200); do echo big.png; done) | head -c 100 > /dev/null'

# The real data, when it is there.
F=$DATA/figshare_cheng_t1ce
if [ -f "$F/boxes.csv" ]; then
expect_ok 'figshare images carry their label and every box of boxes.csv' '
    pgc-slice --labels $F/labels.csv --boxes $F/boxes.csv $F/images/0001.png $F/images/0002.png > s.pgc &&
    json s.pgc "
rows = list(csv.DictReader(open(\"$F/boxes.csv\")))
for i in (1, 3):
    f = R[i][\"meta\"][\"frame\"] + \".png\"
    want = [[float(r[k]) for k in (\"x0\", \"y0\", \"x1\", \"y1\")] for r in rows if r[\"file\"] == f]
    assert R[i][\"boxes\"] == want and want, (f, R[i][\"boxes\"], want)
    assert R[i][\"meta\"][\"label\"] == \"tumour\"
assert R[0][\"dims\"] == [512, 512]
"'
else
    skip 'figshare images carry their label and every box of boxes.csv' "no $F"
fi

E=$TOP/examples/slices
expect_ok 'the bundled example slices slice with their boxes' '
    pgc-slice --labels $E/labels.csv --boxes $E/boxes.csv $E/*.png > s.pgc && json s.pgc "
assert len(R) == 12 and all(len(r[\"boxes\"]) >= 1 for r in R[1::2]), R
"'
