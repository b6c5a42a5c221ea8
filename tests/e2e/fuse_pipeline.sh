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
    pgc-fuse --scales 1 <cams.pgc | $FX values pgcam >all1.txt && head -n 256 all1.txt >got &&
    $FX emit blobs | $FX values feat.s1 >all2.txt && head -n 256 all2.txt |
        awk "{ printf \"%.9g\n\", (\$1 - 0.1) / 0.9 }" >want &&
    paste got want | awk "{ d = \$1 - \$2; if (d < -1e-6 || d > 1e-6) exit 1 }"'

expect_ok 'an all-zero frame fuses to an all-zero map' '
    pgc-fuse <cams.pgc | $FX dump | grep -q "^b	pgcam	16x16	0	0	0$"'

expect_ok '--drop removes the scale maps; --op is recorded' '
    pgc-fuse --drop --op max <cams.pgc >o.pgc && $FX dump <o.pgc >d &&
    ! grep -q "	cam.s" d && grep -a -q "op: max" o.pgc && grep -a -q "scales: 1,2" o.pgc'

expect_ok 'mean of two maps never exceeds their max' '
    pgc-fuse --op mean <cams.pgc | $FX values pgcam >all3.txt && head -n 256 all3.txt >mean &&
    pgc-fuse --op max <cams.pgc | $FX values pgcam >all4.txt && head -n 256 all4.txt >max &&
    test $(wc -l <mean) = 256 && test $(wc -l <max) = 256 &&
    paste mean max | awk "{ if (\$1 > \$2 + 1e-7) exit 1 }"'

# The sum of n normalised maps is n times their mean, so the sum normalised again is the
# mean min-max normalised: 0 where the mean is least, 1 where it is greatest.
expect_ok 'sum is the mean normalised again to [0, 1]' '
    pgc-fuse --op mean <cams.pgc | $FX values pgcam >all5.txt && head -n 256 all5.txt >mean &&
    pgc-fuse --op sum <cams.pgc | $FX values pgcam >all6.txt && head -n 256 all6.txt >sum &&
    test $(wc -l <sum) = 256 &&
    awk "NR == 1 || \$1 < lo { lo = \$1 } NR == 1 || \$1 > hi { hi = \$1 }
         END { if (hi <= lo) exit 1; print lo, hi }" mean >range &&
    read lo hi <range &&
    paste sum mean | awk -v lo=$lo -v hi=$hi "{ w = (\$2 - lo) / (hi - lo); d = \$1 - w;
        if (d < -1e-6 || d > 1e-6) exit 1; if (\$1 < 0 || \$1 > 1) exit 1 }" &&
    sort -g sum | head -n 1 | grep -qx 0 && sort -g sum | tail -n 1 | grep -qx 1'

expect_ok 'an empty stream gives an empty stream' '$FX emit empty | pgc-fuse | $FX dump >d && test ! -s d'

expect_exit 1 'NaN in a map is bad input' '$FX emit camnan | pgc-fuse >/dev/null'
expect_ok 'the NaN message names the frame' '
    $FX emit camnan | pgc-fuse >/dev/null 2>err; test $? = 1 && grep -q "frame .m1.: cam.s1 holds NaN" err'
expect_exit 1 'a frame without maps is bad input' '$FX emit image | pgc-fuse >/dev/null'
expect_exit 1 'a missing scale is bad input' 'pgc-fuse --scales 1,3 <cams.pgc >/dev/null'
expect_exit 2 'an unknown op is a usage error' 'pgc-fuse --op min <cams.pgc'
expect_ok '--help prints usage and exits 0' 'pgc-fuse -h | grep -q "^usage: pgc-fuse"'
