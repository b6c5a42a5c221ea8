#!/usr/bin/env bash
# What a hostile probe found behind the readers (issue 11): each row of its table is a
# behaviour here, named by what the filters do now. Streams no command would write come
# from tests/data/mkstream.py.
. "$(dirname "$0")/lib.sh"
MKS="python3 $TOP/tests/data/mkstream.py"
MODEL=$EX/model/dcfpn.model

# D1: one size rule (multiples of 16 from 16 to 8192) wherever an image meets a network.
for d in 0x0 0x16 16x0 8x16; do
    expect_exit 1 "pgc-infer refuses a ${d} image, naming the frame (D1)" "
        $MKS 'frame: a;name: image|f32|$d' > s.pgc &&
        fails_with \"frame .a.: image is $d; H and W must be multiples of 16\" pgc-infer -m $MODEL < s.pgc"
done
expect_exit 1 "pgc-train refuses a 0x0 labelled image, naming the file and the frame (D1, D16)" "
    $MKS 'frame: z;name: image;label: tumour|f32|0x0' > s.pgc &&
    fails_with \"cannot train on .s.pgc.: frame .z.: image is 0x0\" pgc-train s.pgc -o m.model --threads 1"

# D2, D3: pgc-score on frames that lack a label, or carry an empty map.
expect_ok "pgc-score scores PNG frames sliced without --labels (D2)" '
    python3 $TOP/tests/data/mkpng.py grey8 16 16 a.png > /dev/null &&
    pgc-slice a.png | pgc-score > s.tsv && grep -q "^frames	1$" s.tsv'
expect_exit 1 "pgc-score refuses an empty pgcam beside a truth box, naming the frame (D3)" "
    $MKS 'frame: a;name: truth|f32|1x4|0,0,2,2' 'frame: a;name: pgcam|f32|0x16' > s.pgc &&
    fails_with \"frame .a.: pgcam is not a non-empty f32 (y x) map\" pgc-score s.pgc"

# D4: a checkpoint's step count is range-checked; NaN stops training with one line.
SYN=$UNIT/nn_synth; case $SYN in /*) ;; *) SYN=$TOP/$SYN ;; esac
"$SYN" "$T/train.pgc" 16 32 1 > /dev/null
TR="pgc-train train.pgc --width 2 --batch 4 --threads 1"
# set_u64 FILE OFFSET VALUE: writes a model header field and mends the checksum.
set_u64() {
    python3 -c '
import struct, sys, zlib
p, at, v = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
b = bytearray(open(p, "rb").read())
struct.pack_into("<Q", b, at, v)
struct.pack_into("<I", b, len(b) - 4, zlib.crc32(bytes(b[:-4])))
open(p, "wb").write(b)' "$@"
}
for step in 9223372036854775808 18446744073709551615; do
    expect_exit 1 "pgc-train --resume refuses a checkpoint claiming $step steps (D4)" "
        $TR --iters 1 --checkpoint ck$step.pgm -o m$step.model 2>/dev/null && set_u64 ck$step.pgm 32 $step &&
        fails_with \"ck$step.pgm.*step count $step\" $TR --iters 2 --resume ck$step.pgm -o r.model"
done

# D5: the 1 MiB metadata limit holds on write as on read.
# big_meta FILE BYTES: frame a's image metadata, BYTES long, in lines a reader takes.
big_meta() {
    python3 -c '
import sys
n, s, i = int(sys.argv[2]), "frame: a\nname: image\n", 0
while len(s) < n - 4100:
    s += "k%d: %s\n" % (i, "x" * 4000); i += 1
open(sys.argv[1], "w").write(s + "z: " + "y" * (n - len(s) - 4) + "\n")' "$@"
}
expect_exit 1 "pgc-prep refuses to grow a record past 1 MiB of metadata, naming the frame (D5, D16)" "
    big_meta m.txt 1048576 && $MKS '@m.txt|u8|16x16' > s.pgc && pgc-info s.pgc > /dev/null &&
    fails_with \"frame .a.: metadata longer than 1048576 bytes\" pgc-prep --size 16 < s.pgc"

# D6: a frame is its adjacent records: an id that comes back, or two images, is refused.
IMG='name: image|f32|16x16'
expect_exit 1 "pgc-score refuses frames a, b, a interleaved, naming the frame and its byte (D6)" "
    $MKS 'frame: a;$IMG' 'frame: b;$IMG' 'frame: a;name: truth|f32|1x4|0,0,2,2' > s.pgc &&
    fails_with \"'s.pgc': frame 'a' appears again at byte 2496\" pgc-score s.pgc"
expect_exit 1 "pgc-prep refuses a frame whose truth comes after another frame (D6)" "
    $MKS 'frame: a;$IMG' 'frame: b;$IMG' 'frame: a;name: truth|f32|1x4|0,0,2,2' > s.pgc &&
    fails_with \"frame 'a' appears again\" pgc-prep --size 16 < s.pgc"
expect_exit 1 "pgc-infer refuses a frame with two images (D6)" "
    $MKS 'frame: a;$IMG' 'frame: a;$IMG' > s.pgc &&
    fails_with \"frame 'a' holds 2 image records\" pgc-infer -m $MODEL < s.pgc"
expect_ok "a stream concatenated with itself is two streams, each whole (D6)" "
    $MKS 'frame: a;$IMG' 'frame: b;$IMG' > s.pgc && cat s.pgc s.pgc | pgc-score > o.tsv &&
    grep -q '^frames	4$' o.tsv"

# D11: --help that cannot be written says so.
for cmd in $(cd "$BIN" && ls pgc-* | grep -v '\.so$'); do
    expect_exit 1 "$cmd --help onto a full disk says it could not write (D11)" "
        fails_with \"$cmd: cannot write the help to standard output: No space left\" bash -c '$cmd --help > /dev/full'"
    expect_exit 1 "$cmd --help onto a closed stdout says it could not write (D11)" "
        fails_with \"$cmd: cannot write the help\" bash -c '$cmd --help >&-'"
done
expect_ok "--help into a pipe closed early is not an error (D11)" '
    pgc-train --help | head -c 1 > /dev/null && test ${PIPESTATUS[0]} = 0'

# D9, D10: every file written follows -o's rule (--force to replace) and fails loudly.
expect_exit 1 "pgc-train keeps an existing --checkpoint unless --force (D9)" "
    echo keep > ck.old && fails_with \"'ck.old' exists; use --force\" $TR --iters 1 --checkpoint ck.old -o c1.model &&
    grep -qx keep ck.old"
expect_exit 1 "pgc-train keeps an existing --log unless --force (D9)" "
    echo keep > l.old && fails_with \"'l.old' exists; use --force\" $TR --iters 1 --log l.old -o c2.model"
expect_ok "pgc-train --force replaces them; --resume continues its own checkpoint and log (D9)" "
    echo old > ck3 && echo old > l3 && $TR --iters 2 --checkpoint ck3 --log l3 -o c3.model --force 2>/dev/null &&
    ! grep -q old l3 && $TR --iters 4 --resume ck3 --checkpoint ck3 --log l3 -o c4.model 2>/dev/null &&
    test \$(grep -c '^[0-9]' l3) = 2"
expect_ok "pgc-train --log onto a full disk fails naming the log (D10)" "
    $TR --iters 1 --log /dev/full -o c5.model 2> err; test \$? = 1 &&
    tail -n 1 err | grep -q \"^pgc-train: cannot write '/dev/full': No space left\""
expect_exit 1 "pgc-score keeps an existing --per-frame file unless --force (D9)" "
    $MKS 'frame: a;$IMG' > s.pgc && echo keep > pf.tsv &&
    fails_with \"'pf.tsv' exists; use --force\" pgc-score --per-frame pf.tsv s.pgc && grep -qx keep pf.tsv"
expect_ok "pgc-score --per-frame --force replaces it, leaving no temporary file (D9)" "
    $MKS 'frame: a;$IMG' > s.pgc && echo keep > pf.tsv &&
    pgc-score --per-frame pf.tsv --force s.pgc > /dev/null && grep -q '^a	' pf.tsv &&
    test \"\$(ls pf.tsv*)\" = pf.tsv"
expect_exit 1 "pgc-score --per-frame that fails midway leaves the old file (D9)" "
    $MKS 'frame: a;$IMG' 'frame: b;$IMG' 'frame: a;$IMG' > s.pgc && echo keep > pf.tsv &&
    fails_with 'appears again' pgc-score --per-frame pf.tsv --force s.pgc && grep -qx keep pf.tsv &&
    test \"\$(ls pf.tsv*)\" = pf.tsv"
expect_exit 1 "pgc-score --per-frame onto a full disk fails naming it (D10)" "
    $MKS 'frame: a;$IMG' > s.pgc && fails_with \"cannot write '/dev/full'\" pgc-score --per-frame /dev/full s.pgc"

# D8: metadata is UTF-8 with unique keys (stream.md), checked as it is read.
expect_exit 1 "pgc-info --json refuses metadata that is not UTF-8, naming the file (D8)" "
    printf 'frame: a\nsource: caf\351.png\n' > m.txt && $MKS '@m.txt|u8|2x2' > s.pgc &&
    fails_with \"'s.pgc': record at byte 64: metadata value of 'source' is not UTF-8\" pgc-info --json s.pgc"
expect_exit 1 "pgc-info --json refuses a key given twice (D8)" "
    $MKS 'frame: a;name: image;frame: b|u8|2x2' > s.pgc &&
    fails_with \"'s.pgc': record at byte 64: metadata key 'frame' appears twice\" pgc-info --json s.pgc"
expect_ok "UTF-8 metadata reaches pgc-info --json as valid JSON (D8)" "
    printf 'frame: a\nsource: caf\303\251.png\n' > m.txt && $MKS '@m.txt|u8|2x2' > s.pgc &&
    pgc-info --json s.pgc > j.txt &&
    python3 -c 'import json; [json.loads(l) for l in open(\"j.txt\", encoding=\"utf-8\")]' &&
    grep -q \"\$(printf 'caf\303\251')\" j.txt"

# D18: an end-of-stream record is all zero but its tag and kind.
for f in dtype=5 rank=1 dim0=3; do
    expect_exit 1 "pgc-info refuses an end-of-stream record with $f (D18)" "
        $MKS --no-end 'frame: a;$IMG' 'END|$f' > s.pgc &&
        fails_with \"'s.pgc': end-of-stream record at byte 1280 has byte\" pgc-info s.pgc"
done

# D12: a palette PNG with a tRNS chunk is read, its alpha ignored as RGBA's is.
expect_ok "pgc-slice reads a palette PNG with transparency as the same greys (D12)" "
    python3 $TOP/tests/data/mkpng.py palette-trns 16 16 t.png > /dev/null &&
    python3 $TOP/tests/data/mkpng.py palette 16 16 p.png > /dev/null &&
    pgc-slice t.png | pgc-npy --export tx && pgc-slice p.png | pgc-npy --export px &&
    cmp tx/t.image.npy px/p.image.npy"

# D13: one rule for a transform, pgc-box's as pgc-prep's: bounded, invertible.
for tf in "1e300 0 0 0 1e300 0" "0 0 0 0 0 0" "1e10 0 0 0 1 0" "1 2 0 2 4 0"; do
    expect_exit 1 "pgc-box refuses the transform '$tf' (D13)" "
        $MKS 'frame: a;name: pgcam;transform: $tf|f32|16x16|0,1' > s.pgc &&
        fails_with \"frame 'a': pgcam has a bad transform '$tf'\" pgc-box < s.pgc"
    expect_exit 1 "pgc-prep refuses the transform '$tf' (D13)" "
        $MKS 'frame: a;name: image;transform: $tf|f32|16x16|0,1' > s.pgc &&
        fails_with \"bad transform '$tf'\" pgc-prep < s.pgc"
done
expect_ok "pgc-box maps boxes through a plain scale and shift (D13)" "
    $MKS 'frame: a;name: pgcam;transform: 2 0 10 0 2 20|f32|16x16|0,1' > s.pgc && pgc-box < s.pgc > b.pgc"

# D14, D15: one file per frame: ids that would share a name are refused, long ids fit.
TWO="$MKS 'frame: t1c:axial:7;$IMG' 'frame: t1c_axial_7;$IMG'"
expect_exit 1 "pgc-render names both frames that would make one file (D14)" "
    $TWO > s.pgc && fails_with \"frames 't1c:axial:7' and 't1c_axial_7' both make the file name 'r/t1c_axial_7.png'\" pgc-render -o r s.pgc"
expect_exit 1 "pgc-render --force still loses neither frame (D14)" "
    $TWO > s.pgc && fails_with \"both make the file name\" pgc-render -o r --force s.pgc"
expect_exit 1 "pgc-npy --export --force names both frames that would make one file (D14)" "
    $TWO > s.pgc && fails_with \"frames 't1c:axial:7' record 'image' and 't1c_axial_7' record 'image' both make\" pgc-npy --export x --force < s.pgc"
LONG=$(printf 'v%.0s' $(seq 4095))
expect_ok "pgc-npy --export and pgc-render take a 4095-character frame id (D15)" "
    $MKS 'frame: $LONG;$IMG' 'frame: ${LONG%v}w;$IMG' > s.pgc && pgc-npy --export x15 < s.pgc &&
    test \$(ls x15 | wc -l) = 4 && pgc-render -o r15 < s.pgc && test \$(ls r15 | wc -l) = 2 &&
    test \$(grep -lx 'frame: $LONG' x15/*.meta | wc -l) = 1"

# D16: a message names the file (and the frame) it is about.
expect_exit 1 "pgc-npy --import names the .meta file and line of a value past 4095 bytes (D16)" "
    $MKS 'frame: a;$IMG' | pgc-npy --export x16 &&
    printf 'note: %05000d\n' 0 >> x16/a.image.meta &&
    fails_with \"cannot read 'x16/a.image.meta': line 4: metadata value of 'note' is 5000 bytes\" pgc-npy --import x16/a.image.npy"

# D17: pgc-slice reads a pipe, which can be read once only.
expect_ok "pgc-slice reads a PNG piped to /dev/stdin as it reads the file (D17)" "
    python3 $TOP/tests/data/mkpng.py grey8 16 16 a.png > /dev/null &&
    cat a.png | pgc-slice /dev/stdin | pgc-npy --export p17 && pgc-slice a.png | pgc-npy --export f17 &&
    cmp p17/stdin.image.npy f17/a.image.npy"
expect_ok "pgc-slice reads a NIfTI volume piped to /dev/stdin (D17)" "
    cat $EX/volume/tcga_du_7294_t1c_slab.nii.gz | pgc-slice /dev/stdin > p.pgc &&
    pgc-slice $EX/volume/tcga_du_7294_t1c_slab.nii.gz > f.pgc &&
    test \$(pgc-info p.pgc | wc -l) = \$(pgc-info f.pgc | wc -l) && test \$(pgc-info p.pgc | wc -l) -gt 0"
expect_exit 1 "pgc-slice names an empty pipe (D17)" "
    fails_with \"cannot read '/dev/stdin': empty file\" bash -c 'true | pgc-slice /dev/stdin'"

# D19: a CSV from a spreadsheet: a byte order mark, lines ending in CR.
expect_ok "pgc-slice --labels reads a CSV with a BOM and CR line ends (D19)" "
    python3 $TOP/tests/data/mkpng.py grey8 16 16 a.png > /dev/null &&
    printf '\357\273\277file,label\ra.png,tumour\r' > l.csv &&
    pgc-slice --labels l.csv a.png | pgc-info | grep -q ' label=tumour '"

# R1: a voxel cap on the voxels held (PGC_MAX_VOXELS, README "Resource caps"): a small
# .nii.gz can claim gigabytes of zeros. Read whole, the volume is held; read per slice
# (the one view asked for cuts across k), one slice of it.
# big_nii FILE I J K: a NIfTI-1 u8 header claiming I x J x K voxels, without the data.
big_nii() {
    python3 -c '
import struct, sys
h = bytearray(352); struct.pack_into("<i", h, 0, 348)
struct.pack_into("<8h", h, 40, 3, *map(int, sys.argv[2:5]), 1, 1, 1, 1)
struct.pack_into("<2h", h, 70, 2, 8); struct.pack_into("<8f", h, 76, *[1.0] * 8)
struct.pack_into("<2f", h, 108, 352.0, 1.0); h[344:348] = b"n+1\0"
open(sys.argv[1], "wb").write(h)' "$@"
}
expect_exit 1 "pgc-slice refuses a volume of 2^30 voxels from its header, naming the file and the cap (R1)" "
    big_nii big.nii 1024 1024 1024 &&
    fails_with \"cannot read 'big.nii': 1024 x 1024 x 1024 = 1073741824 voxels, more than the limit of 268435456 (PGC_MAX_VOXELS)\" pgc-slice big.nii"
expect_exit 1 "pgc-slice takes its voxel cap from PGC_MAX_VOXELS (R1)" "
    fails_with \"more than the limit of 1000 (PGC_MAX_VOXELS)\" env PGC_MAX_VOXELS=1000 pgc-slice $EX/volume/tcga_du_7294_t1c_slab.nii.gz"
expect_exit 1 "pgc-slice refuses a PGC_MAX_VOXELS that is not a number (R1)" "
    fails_with \"PGC_MAX_VOXELS is 'lots', not a whole number in 1..2147483648\" env PGC_MAX_VOXELS=lots pgc-slice $EX/volume/tcga_du_7294_t1c_slab.nii.gz"
# The example volume is LPS, 240 x 240 x 32: axial cuts across k, 57600 voxels a slice.
VOL=$EX/volume/tcga_du_7294_t1c_slab.nii.gz SEG=$EX/volume/tcga_du_7294_seg_slab.nii.gz
expect_ok "pgc-slice streams a volume over the cap along k, byte for byte as without the cap (R1)" "
    for opts in '' '--seg $SEG' '--seg $SEG --min-fg 0.2 --every 3 --range 2:29' '--range 30:' \
                '--label none --tumour-type glioma --every 7'; do
        pgc-slice $VOL \$opts > a.pgc && PGC_MAX_VOXELS=60000 pgc-slice $VOL \$opts > b.pgc &&
        cmp a.pgc b.pgc || exit 1
    done && test \$(pgc-info b.pgc | wc -l) -eq 5"
expect_ok "a piped volume streams along k as well (R1)" "
    pgc-slice /dev/stdin < $VOL > a.pgc && cat $VOL | PGC_MAX_VOXELS=60000 pgc-slice /dev/stdin > b.pgc &&
    cmp a.pgc b.pgc"
for axis in coronal sagittal all; do
    expect_exit 1 "the same volume cut across k (--axis $axis) is read whole, and refused by the cap (R1)" "
        fails_with \"cannot read '$VOL': 240 x 240 x 32 = 1843200 voxels, more than the limit of 60000 (PGC_MAX_VOXELS)\" env PGC_MAX_VOXELS=60000 pgc-slice --axis $axis $VOL"
done
expect_exit 1 "a slice over the cap is refused as the volume is (R1)" "
    fails_with \"more than the limit of 57599 (PGC_MAX_VOXELS)\" env PGC_MAX_VOXELS=57599 pgc-slice $VOL"
# zero_gz FILE I J K: a NIfTI-1 u8 volume of zeros, gzip'd (I J K of 512 512 128: 32 MiB
# of voxels in 32 KiB, 128 MiB as f32, which the whole reader would hold).
zero_gz() {
    local f=$1; shift
    { big_nii /dev/stdout "$@" && head -c $(($1 * $2 * $3)) /dev/zero; } | gzip -1 > "$f"
}
expect_ok "pgc-slice of a large all-zero .nii.gz | head: its first frame at once, one slice held (R1)" "
    zero_gz big.nii.gz 512 512 128 &&
    test \$( (/usr/bin/time -f %M -o mem pgc-slice big.nii.gz; echo \$? > rc) | head -c 1000 | wc -c) -eq 1000 &&
    test \$(cat rc) -eq 0 && test \$(tail -n 1 mem) -lt 60000"
expect_exit 1 "a .nii.gz cut short in its voxel data: the frames before it, then one line naming it (R1)" "
    cp $VOL v.nii.gz && pgc-slice v.nii.gz > full.pgc && head -c 240000 $VOL > v.nii.gz &&
    { fails_with \"cannot read 'v.nii.gz': truncated gzip stream\" pgc-slice v.nii.gz; rc=\$?; } &&
    pgc-slice v.nii.gz > cut.pgc 2> /dev/null; n=\$(stat -c %s cut.pgc) &&
    test \$n -gt 1000000 && cmp -n \$n cut.pgc full.pgc && exit \$rc"

# R2: boxes a frame are capped for pgc-score (PGC_SCORE_MAX_BOXES); matching them is
# linear in memory (tests/unit/hardening.c).
expect_exit 1 "pgc-score refuses a frame of 4097 truth boxes, naming the frame and the cap (R2)" "
    $MKS 'frame: a;name: truth|f32|4097x4|0,0,2,2' 'frame: a;name: boxes|f32|1x4|0,0,2,2' > s.pgc &&
    fails_with \"frame 'a': 4097 truth boxes, more than the limit of 4096 a frame (PGC_SCORE_MAX_BOXES)\" pgc-score s.pgc"
expect_ok "pgc-score scores a frame of 4096 identical truth and predicted boxes, every one matched (R2)" "
    $MKS 'frame: a;name: truth|f32|4096x4|0,0,2,2' 'frame: a;name: boxes|f32|4096x4|0,0,2,2' > s.pgc &&
    pgc-score s.pgc > s.tsv && grep -q '^iou50_recall	1.000000' s.tsv"

# pgc-prep's frame work, now in lib/prep_frame.c: a box record it cannot map is named
# by its name (it was named by its first dim name: 'y record is not ...').
expect_exit 1 "pgc-prep names a truth record that is not n x 4 by its name" "
    $MKS 'frame: a;$IMG' 'frame: a;name: truth|f32|3x3' > s.pgc &&
    fails_with \"frame 'a': truth record is not f32 (box, coord) n x 4\" pgc-prep --size 16 < s.pgc"

expect_ok 'an error about a file whose name holds a newline is still one line' '
    { pgc-slice "$(printf "no\nsuch.png")" 2>err; test $? -eq 1; } && test "$(wc -l < err)" -eq 1 &&
    grep -q "no such.png" err'

# A record header's payload length is a claim: the reader reserves room as the bytes
# arrive (16 MiB, then doubling), so a short stream claiming 2 GiB is "truncated" in a
# process that could never hold 2 GiB, not "out of memory" (fuzz_filters' finding).
python3 -c '
import struct, sys
sys.path.insert(0, sys.argv[1])
from mkstream import STREAM_HEADER, pack_record
r = bytearray(pack_record(b"frame: a\nname: image\n", 5, (1, 1), bytes(4), ["y", "x"]))
struct.pack_into("<QQ", r, 16, 16384, 32768)  # dims: 2 GiB of f32
struct.pack_into("<Q", r, 80, 4 * 16384 * 32768)  # and the payload length to match
sys.stdout.buffer.write(STREAM_HEADER + bytes(r[:-64]) + bytes(4096))
' "$TOP/tests/data" > "$T/claim.pgc"
# A process that cannot hold 2 GiB: ulimit -v, or under ASan (which reserves terabytes
# of shadow and so cannot run under ulimit -v) its own allocation limit.
if grep -q __asan_init "$(command -v pgc-info)"; then
    SMALL="export ASAN_OPTIONS=$ASAN_OPTIONS:max_allocation_size_mb=1024:allocator_may_return_null=1;"
else
    SMALL="ulimit -v 1048576;"
fi
expect_exit 1 'a stream whose record claims 2 GiB but holds 4 KiB is truncated, whatever memory there is' '
    ('"$SMALL"' fails_with "truncated stream" pgc-info claim.pgc)'
# and a record larger than that first room reads back whole as the room doubles: 40 MB
# of f32 whose first 16 MiB hold 1, the rest 0 (a lost or moved part moves the mean)
python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
from mkstream import STREAM_HEADER, end_record, pack_record
import array
n = 3200 * 3200; ones = (16 << 20) // 4
a = array.array("f", [1.0]) * ones + array.array("f", [0.0]) * (n - ones)
sys.stdout.buffer.write(STREAM_HEADER + pack_record(b"frame: a\nname: image\n", 5, (3200, 3200), a.tobytes(), ["y", "x"]) + end_record())
' "$TOP/tests/data" > "$T/big.pgc"
expect_ok 'a record larger than the reader'"'"'s first room reads back whole' '
    pgc-info big.pgc | grep -q "min=0 max=1 mean=0.4096$"'

# An error line names the file whole, however long its path (PATH_MAX is 4096).
LONG=$(printf 'd%.0s/' $(seq 1 1500))x.png
expect_exit 1 "a 3000-character path is named whole in the one error line" '
    pgc-slice "$LONG" 2> e > /dev/null; rc=$?; cat e >&2;
    grep -qF "cannot read '"'"'$LONG'"'"': No such file or directory" e || exit 99; exit $rc'
