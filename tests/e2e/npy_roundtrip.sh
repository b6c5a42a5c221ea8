# pgc-npy: records out to .npy + .meta and back, read by an independent .npy parser.
. "$(dirname "$0")/lib.sh"
MK="python3 $TOP/tests/data/mkpng.py"
MKNII="python3 $TOP/tests/data/mknii.py"
# A .npy reader with the standard library only: (descr, shape, values).
NPY='
import ast, struct, sys
def npy(path):
    b = open(path, "rb").read()
    assert b[:8] == b"\x93NUMPY\x01\x00", b[:8]
    hl = struct.unpack("<H", b[8:10])[0]
    assert (10 + hl) % 64 == 0 and b[10 + hl - 1:10 + hl] == b"\n"
    h = ast.literal_eval(b[10:10 + hl].decode())
    assert h["fortran_order"] is False
    code = {"<f4": "f", "|u1": "B", "<u2": "H", "<i2": "h", "<i4": "i", "<f8": "d"}[h["descr"]]
    n = 1
    for d in h["shape"]: n *= d
    return h["descr"], h["shape"], struct.unpack("<%d%s" % (n, code), b[10 + hl:])
'

expect_ok 'help goes to stdout and exits 0' 'pgc-npy --help | grep -q "usage: pgc-npy"'
expect_exit 2 'neither --export nor --import is a usage error' 'pgc-npy'
expect_exit 2 'both are a usage error' 'pgc-npy --export d --import x.npy'

expect_ok 'export writes <frame>.<name>.npy and .meta, and import gives back the same stream' '
    $MK grey16 5 3 a.png >/dev/null && printf "file,x0,y0,x1,y1\na.png,1,1,3,2\n" > b.csv &&
    pgc-slice --boxes b.csv a.png > s.pgc && pgc-npy --export out < s.pgc &&
    ls out | tr "\n" " " | grep -qx "a.image.meta a.image.npy a.truth.meta a.truth.npy " &&
    head -n 1 out/a.image.meta | grep -qx "# dims: y x" && grep -qx "name: truth" out/a.truth.meta &&
    pgc-npy --import out/a.image.npy out/a.truth.npy > back.pgc && cmp s.pgc back.pgc'

expect_ok 'the .npy files hold the pixels, row by row, for numpy' '
    $MK grey8 5 3 a.png >/dev/null && pgc-slice a.png | pgc-npy --export px &&
    python3 -c "$NPY
d, shape, v = npy(\"px/a.image.npy\")
assert d == \"|u1\" and shape == (3, 5), (d, shape)
assert list(v) == [(7 * x + 13 * y) % 256 for y in range(3) for x in range(5)], v
"'

expect_ok 'pixels of an axial slice are the radiologically oriented voxels' '
    $MKNII v.nii --dims 4 5 3 --expr "100*i + 10*j + k" &&
    $MKNII w.nii --dims 4 5 3 --sform "-1 0 0 0; 0 -1 0 0; 0 0 1 0" &&
    pgc-slice --range 2:3 v.nii w.nii | pgc-npy --export ax &&
    python3 -c "$NPY
_, shape, v = npy(\"ax/v_axial_2.image.npy\")
assert shape == (5, 4)
# no orientation: i -> R, j -> A. Row 0 = most anterior (j = 4), column 0 = most right (i = 3)
want = [100 * (3 - c) + 10 * (4 - r) + 2 for r in range(5) for c in range(4)]
assert list(v) == want, (v, want)
_, _, w = npy(\"ax/w_axial_2.image.npy\")
assert list(w) == [100 * c + 10 * r + 2 for r in range(5) for c in range(4)]  # LPS: as stored
"'

expect_ok 'frame ids become safe file names' '
    $MKNII v.nii --dims 2 2 2 && pgc-slice v.nii | pgc-npy --export safe &&
    test -f safe/v_axial_0.image.npy && test -f safe/v_axial_1.image.meta &&
    grep -qx "frame: v:axial:0" safe/v_axial_0.image.meta'

expect_exit 1 'existing files are not overwritten' '
    $MK grey8 2 2 a.png >/dev/null && pgc-slice a.png > s.pgc &&
    pgc-npy --export ow < s.pgc && pgc-npy --export ow < s.pgc'
expect_ok 'unless --force' '
    $MK grey8 2 2 a.png >/dev/null && pgc-slice a.png > s.pgc &&
    pgc-npy --export fo < s.pgc && pgc-npy --export fo --force s.pgc'

expect_ok '--force replaces a file by a new one: a symlink in the way is replaced, its target kept' '
    $MK grey8 2 2 a.png >/dev/null && pgc-slice a.png > s.pgc && mkdir sl && echo keep > kept.txt &&
    ln -s ../kept.txt sl/a.image.npy && pgc-npy --export sl --force s.pgc &&
    test ! -L sl/a.image.npy && grep -qx keep kept.txt && test -z "$(ls sl | grep tmp)"'

expect_ok 'import without .meta takes frame and name from the file name' '
    python3 -c "
import struct
h = \"{\x27descr\x27: \x27>f4\x27, \x27fortran_order\x27: False, \x27shape\x27: (2, 4), }\"
h += \" \" * (63 - (10 + len(h)) % 64) + \"\\n\"
open(\"x7.truth.npy\", \"wb\").write(b\"\\x93NUMPY\\x01\\x00\" + struct.pack(\"<H\", len(h)) + h.encode()
    + struct.pack(\">8f\", 1, 2, 3, 4, 5.5, 6, 7, 8))
" && pgc-npy --import x7.truth.npy | pgc-info > x7.txt &&
    grep -qx "x7 truth f32 \[box=2 coord=4\] min=1 max=8 mean=4.5625 \[1 2 3 4\] \[5.5 6 7 8\]" x7.txt'

expect_exit 1 'a truncated .npy fails with one line' '
    $MK grey8 8 8 a.png >/dev/null && pgc-slice a.png | pgc-npy --export tr &&
    head -c 100 tr/a.image.npy > cut.npy && pgc-npy --import cut.npy > /dev/null'
expect_exit 1 'a file that is not .npy fails with one line' '
    echo hello > bad.npy && pgc-npy --import bad.npy > /dev/null'
expect_exit 1 'a bad .meta line fails with one line' '
    $MK grey8 8 8 a.png >/dev/null && pgc-slice a.png | pgc-npy --export bm &&
    echo "no colon here" >> bm/a.image.meta && pgc-npy --import bm/a.image.npy > /dev/null'
expect_exit 1 'a truncated stream fails export with one line' '
    $MK grey8 64 64 a.png >/dev/null && pgc-slice a.png | head -c 2000 | pgc-npy --export ts'
