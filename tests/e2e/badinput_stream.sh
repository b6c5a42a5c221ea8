# Damaged tables and streams: exit 1, one line on stderr naming the input, no crash.
. "$(dirname "$0")/lib.sh"
MK="python3 $TOP/tests/data/mkpng.py"
img() { $MK grey8 16 16 "$1" > /dev/null; }

expect_exit 1 'a labels table without a label column' '
    img a.png && printf "file,class\na.png,tumour\n" > l.csv &&
    fails_with "l.csv.*no .label. column" pgc-slice --labels l.csv a.png'
expect_exit 1 'a labels table with a short row' '
    img a.png && printf "file,label,x\na.png,tumour\n" > l.csv &&
    fails_with "l.csv.*line 2: 2 fields, header has 3" pgc-slice --labels l.csv a.png'
expect_exit 1 'a labels table giving one file two labels' '
    img a.png && printf "file,label\na.png,tumour\nx/a.png,none\n" > l.csv &&
    fails_with "l.csv.*two labels" pgc-slice --labels l.csv a.png'
expect_exit 1 'a boxes table with a word for a number' '
    img a.png && printf "file,x0,y0,x1,y1\na.png,1,2,three,4\n" > b.csv &&
    fails_with "b.csv.*line 2: x1 .three. is not a number" pgc-slice --boxes b.csv a.png'
expect_exit 1 'a boxes table with an inside-out box' '
    img a.png && printf "file,x0,y0,x1,y1\na.png,5,2,1,4\n" > b.csv &&
    fails_with "b.csv.*empty box" pgc-slice --boxes b.csv a.png'
expect_exit 1 'a binary file given as a table' '
    img a.png && fails_with "a.png.*binary" pgc-slice --boxes a.png a.png'
expect_exit 1 'a missing table' 'img a.png && fails_with "nope.csv" pgc-slice --labels nope.csv a.png'

expect_exit 1 'an image holding NaN stops pgc-prep' '
    python3 -c "
import struct
h = \"{\x27descr\x27: \x27<f4\x27, \x27fortran_order\x27: False, \x27shape\x27: (2, 2), }\"
h += \" \" * (63 - (10 + len(h)) % 64) + \"\\n\"
open(\"n.image.npy\", \"wb\").write(b\"\\x93NUMPY\\x01\\x00\" + struct.pack(\"<H\", len(h)) + h.encode()
    + struct.pack(\"<4f\", 1, float(\"nan\"), 2, 3))
" && pgc-npy --import n.image.npy > n.pgc && fails_with "frame .n.: image holds NaN" pgc-prep < n.pgc'
expect_exit 1 'an image of rank 3 stops pgc-prep' '
    python3 -c "
import struct
h = \"{\x27descr\x27: \x27|u1\x27, \x27fortran_order\x27: False, \x27shape\x27: (1, 2, 2), }\"
h += \" \" * (63 - (10 + len(h)) % 64) + \"\\n\"
open(\"r.image.npy\", \"wb\").write(b\"\\x93NUMPY\\x01\\x00\" + struct.pack(\"<H\", len(h)) + h.encode() + bytes(4))
" && pgc-npy --import r.image.npy > r.pgc && fails_with "frame .r.: image has rank 3" pgc-prep < r.pgc'
expect_exit 1 'a malformed transform stops pgc-prep' '
    img t.png && pgc-slice t.png | pgc-npy --export tx &&
    sed -i "s/^transform: .*/transform: 1 0 zero 0 1 0/" tx/t.image.meta &&
    pgc-npy --import tx/t.image.npy > t.pgc && fails_with "bad transform" pgc-prep < t.pgc'

for name in pgc-prep pgc-info pgc-npy; do
    tool=$name; [ $name = pgc-npy ] && tool="pgc-npy --export \$(mktemp -d -p .)" # a fresh dir
    for cut in 10 64 100 200 400; do
        expect_exit 1 "$name: a stream cut after $cut bytes" "
            img s.png && pgc-slice s.png > s.pgc && head -c $cut s.pgc > c.pgc &&
            fails_with \"truncated\\|not a pgcam\\|empty\" $tool < c.pgc"
    done
    expect_exit 1 "$name: a stream without its end record" "
        img s.png && pgc-slice s.png > s.pgc && head -c \$(( \$(stat -c %s s.pgc) - 128 )) s.pgc > c.pgc &&
        fails_with truncated $tool < c.pgc"
    expect_exit 1 "$name: a stream with a damaged record header" "
        img s.png && pgc-slice s.png > s.pgc && printf '\\377\\377' | dd of=s.pgc bs=1 seek=84 conv=notrunc 2>/dev/null &&
        fails_with \"stdin.*dimension 0\" $tool < s.pgc"
done
