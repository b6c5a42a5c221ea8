# Damaged PNGs: exit 1, one line on stderr naming the file and what is wrong, no crash.
. "$(dirname "$0")/lib.sh"
MK="python3 $TOP/tests/data/mkpng.py"
# fails_with PATTERN CMD...: runs CMD (stdout dropped), passes its stderr on, and returns
# its status, or 99 when stderr lacks PATTERN.
# patch FILE OFFSET HEXBYTES [fixcrc CHUNKSTART LEN]: overwrites bytes in place.
patch() { python3 -c "
import sys, zlib, struct
f, off, hx = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
b = bytearray(open(f, 'rb').read()); b[off:off + len(hx)] = hx
if len(sys.argv) > 4:  # recompute the CRC of the chunk whose type starts at argv[4]
    s, n = int(sys.argv[4]), int(sys.argv[5])
    b[s + 4 + n:s + 8 + n] = struct.pack('>I', zlib.crc32(bytes(b[s:s + 4 + n])) & 0xffffffff)
open(f, 'wb').write(b)" "$@"; }

good() { $MK grey8 64 48 "$1" > /dev/null; }

for cut in 4 20 40 60 200; do
    expect_exit 1 "a png cut after $cut bytes" "good c$cut.png && head -c $cut c$cut.png > t.png &&
        fails_with \"cannot read 't.png': .*\\(truncated\\|not a png\\|neither\\)\" pgc-slice t.png"
done
expect_exit 1 'a png cut just before IEND' '
    good a.png && head -c $(( $(stat -c %s a.png) - 12 )) a.png > t.png &&
    fails_with "cannot read '\''t.png'\'': truncated" pgc-slice t.png'
expect_exit 1 'a png whose IHDR CRC is wrong' '
    good a.png && patch a.png 29 00000000 && fails_with "t*a.png.*CRC" pgc-slice a.png'
expect_exit 1 'a png whose IDAT CRC is wrong' '
    good a.png && n=$(python3 -c "import struct; print(struct.unpack(\">I\", open(\"a.png\",\"rb\").read()[33:37])[0])") &&
    patch a.png $((41 + n)) 00000000 && fails_with "a.png.*CRC" pgc-slice a.png'
expect_exit 1 'a png whose compressed data is damaged (CRC fixed up)' '
    good a.png && n=$(python3 -c "import struct; print(struct.unpack(\">I\", open(\"a.png\",\"rb\").read()[33:37])[0])") &&
    patch a.png 43 ffffffffffff 37 $n && fails_with "a.png.*corrupt png" pgc-slice a.png'
expect_exit 1 'a png with the wrong magic' '
    good a.png && patch a.png 1 58 && fails_with "a.png.*neither a PNG nor a NIfTI" pgc-slice a.png'
expect_exit 1 'a png claiming 100000 pixels across' '
    good a.png && patch a.png 16 000186a0 12 13 && fails_with "a.png.*width exceeds" pgc-slice a.png'
expect_exit 1 'a png claiming 16384 x 16384 in a few hundred bytes' '
    good a.png && patch a.png 16 0000400000004000 12 13 && fails_with "a.png.*truncated" pgc-slice a.png'
expect_exit 1 'a png of width 0' '
    good a.png && patch a.png 16 00000000 12 13 && fails_with "a.png" pgc-slice a.png'
expect_exit 1 'a png with a bad colour type' '
    good a.png && patch a.png 25 07 12 13 && fails_with "a.png.*corrupt png" pgc-slice a.png'
expect_exit 1 'an empty file' ': > e.png && fails_with "e.png.*empty" pgc-slice e.png'
expect_exit 1 'a directory' 'mkdir d.png && fails_with "d.png" pgc-slice d.png'
expect_exit 1 'a missing file' 'fails_with "nope.png.*No such file" pgc-slice nope.png'
