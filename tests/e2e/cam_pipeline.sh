#!/usr/bin/env bash
# pgc-cam on synthetic streams (tests/unit/cam_fixtures.c documents them): scale 1 of the
# blobs fixture has Grad-CAM = channel 0 / 256, scale 2 = the 2 x 2 pooled channel 0.
. "$(dirname "$0")/lib.sh"
# (Fixture output goes to a file before head: under pipefail a writer that head cuts off
# would fail the pipeline.)
: "${UNIT:?}"
case $UNIT in /*) ;; *) UNIT=$TOP/$UNIT ;; esac # run.sh passes it relative to TOP
FX=$UNIT/cam_fixtures
$FX emit blobs >"$T/blobs.pgc"

expect_ok 'cam.s1 is the mean-gradient weighted feature map' '
    pgc-cam <blobs.pgc | $FX values cam.s1 >all1.txt && head -n 256 all1.txt >got &&
    $FX emit blobs | $FX values feat.s1 >all2.txt && head -n 256 all2.txt | awk "{ printf \"%.9g\n\", \$1 / 256 }" >want &&
    paste got want | awk "{ d = \$1 - \$2; if (d < -1e-9 || d > 1e-9) exit 1 }"'

expect_ok 'every scale gets a map at its own resolution and features are dropped' '
    pgc-cam <blobs.pgc | $FX dump >d &&
    grep -q "^a	cam.s1	16x16	" d && grep -q "^a	cam.s2	8x8	" d &&
    ! grep -q "feat\|grad" d && test $(grep -c "	cam.s" d) = 6 &&
    grep -q "^a	truth	2x4" d && grep -q "^a	prob	2	" d'

expect_ok '--keep keeps features; --scales picks maps' '
    pgc-cam --keep --scales 2 <blobs.pgc | $FX dump >d &&
    test $(grep -c "	feat.s" d) = 6 && ! grep -q cam.s1 d && test $(grep -c cam.s2 d) = 3'

expect_ok '--method cam is h w times the signed sum (here 256 x A / 256 = A)' '
    pgc-cam --method cam --scales 1 <blobs.pgc | $FX values cam.s1 >all3.txt && head -n 256 all3.txt >got &&
    $FX emit blobs | $FX values feat.s1 >all4.txt && head -n 256 all4.txt >want && cmp got want'

expect_ok 'methods are recorded in the metadata' '
    for m in gradcam cam gradcam++ layercam hirescam; do
        pgc-cam --method $m <blobs.pgc >o.pgc || exit 1
        grep -a -q "method: $m" o.pgc || exit 1
    done'

expect_ok 'an empty stream gives an empty stream' '
    $FX emit empty | pgc-cam | $FX dump >d && test ! -s d'

expect_ok 'frames without feature maps pass through' '
    $FX emit image | pgc-cam | $FX dump >d && test $(wc -l <d) = 1 && grep -q "^m1	image" d'

expect_ok 'a closed pipe downstream is not an error' '
    for i in $(seq 100); do cat blobs.pgc; done | pgc-cam | head -c 1000 >/dev/null;
    test ${PIPESTATUS[1]} = 0'

expect_exit 1 'NaN in a feature map is bad input' '$FX emit nan | pgc-cam >/dev/null'
expect_ok 'the NaN message names the frame and the record' '
    $FX emit nan | pgc-cam >/dev/null 2>err; test $? = 1 && grep -q "frame .n1.: feat.s1 holds NaN" err'
expect_exit 1 'a missing scale is bad input' 'pgc-cam --scales 3 <blobs.pgc >/dev/null'
expect_exit 1 'a truncated stream is bad input' '$FX emit truncated | pgc-cam >/dev/null'
expect_exit 1 'a feature map without its gradient is bad input' '$FX emit nograd | pgc-cam >/dev/null'
expect_exit 2 'an unknown method is a usage error' 'pgc-cam --method scorecam <blobs.pgc'
expect_exit 2 'a bad scale list is a usage error' 'pgc-cam --scales 0,1 <blobs.pgc'
expect_exit 1 'a missing file is bad input' 'pgc-cam nonexistent.pgc >/dev/null'
expect_ok '--help prints usage and exits 0' 'pgc-cam --help | grep -q "^usage: pgc-cam"'
