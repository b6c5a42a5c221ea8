#!/usr/bin/env bash
# pgc-fuse on synthetic streams (tests/unit/cam_fixtures.c documents them).
. "$(dirname "$0")/lib.sh"
: "${UNIT:?}"
case $UNIT in /*) ;; *) UNIT=$TOP/$UNIT ;; esac # run.sh passes it relative to TOP
FX=$UNIT/cam_fixtures
$FX emit blobs | pgc-cam >"$T/cams.pgc"

expect_ok 'pgcam has the image size, spans [0, 1] and keeps the scale maps' '
    pgc-fuse <cams.pgc | $FX dump >d &&
    grep -q "^a	pgcam	16x16	0	1	" d && grep -q "^c	pgcam	16x16	0	1	" d &&
    test $(grep -c "	cam.s" d) = 6'

expect_ok 'one scale at the image size is that map min-max normalised' '
    pgc-fuse --scales 1 <cams.pgc | $FX values pgcam | head -n 256 >got &&
    $FX emit blobs | $FX values feat.s1 | head -n 256 |
        awk "{ printf \"%.9g\n\", (\$1 - 0.1) / 0.9 }" >want &&
    paste got want | awk "{ d = \$1 - \$2; if (d < -1e-6 || d > 1e-6) exit 1 }"'

expect_ok 'an all-zero frame fuses to an all-zero map' '
    pgc-fuse <cams.pgc | $FX dump | grep -q "^b	pgcam	16x16	0	0	0$"'

expect_ok '--drop removes the scale maps; --op is recorded' '
    pgc-fuse --drop --op max <cams.pgc >o.pgc && $FX dump <o.pgc >d &&
    ! grep -q "	cam.s" d && grep -a -q "op: max" o.pgc && grep -a -q "scales: 1,2" o.pgc'

expect_ok 'mean of two maps never exceeds their max, sum is renormalised' '
    pgc-fuse --op mean <cams.pgc | $FX values pgcam | head -n 256 >mean &&
    pgc-fuse --op max <cams.pgc | $FX values pgcam | head -n 256 >max &&
    paste mean max | awk "{ if (\$1 > \$2 + 1e-7) exit 1 }"'

expect_ok 'an empty stream gives an empty stream' '$FX emit empty | pgc-fuse | $FX dump >d && test ! -s d'

expect_exit 1 'NaN in a map is bad input' '$FX emit camnan | pgc-fuse >/dev/null'
expect_ok 'the NaN message names the frame' '
    $FX emit camnan | pgc-fuse 2>&1 >/dev/null | grep -q "frame .m1.: cam.s1 holds NaN"'
expect_exit 1 'a frame without maps is bad input' '$FX emit image | pgc-fuse >/dev/null'
expect_exit 1 'a missing scale is bad input' 'pgc-fuse --scales 1,3 <cams.pgc >/dev/null'
expect_exit 2 'an unknown op is a usage error' 'pgc-fuse --op min <cams.pgc'
expect_ok '--help prints usage and exits 0' 'pgc-fuse -h | grep -q "^usage: pgc-fuse"'
