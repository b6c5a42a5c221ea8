#!/usr/bin/env bash
# pgc-box on synthetic streams: the blobs fixture's scale 1 has two regions, boxes
# (3 2 7 5) and (9 10 14 12), peaks 1 and (0.8 - 0.1) / 0.9 after normalisation; every
# transform doubles, so source boxes are twice the image boxes.
. "$(dirname "$0")/lib.sh"
: "${UNIT:?}"
case $UNIT in /*) ;; *) UNIT=$TOP/$UNIT ;; esac # run.sh passes it relative to TOP
FX=$UNIT/cam_fixtures
$FX emit blobs | pgc-cam | pgc-fuse --scales 1 >"$T/s1.pgc"

expect_ok 'two blobs give two boxes in image and source pixels' '
    pgc-box --tsv <s1.pgc >got &&
    printf "frame\tx0\ty0\tx1\ty1\tsx0\tsy0\tsx1\tsy1\tpeak\tprob\n" >want &&
    printf "a\t3\t2\t7\t5\t6\t4\t14\t10\t1\t0.9\n" >>want &&
    printf "a\t9\t10\t14\t12\t18\t20\t28\t24\t0.777778\t0.9\n" >>want && diff want got'

expect_ok 'the stream gets boxes and boxes.src records' '
    pgc-box <s1.pgc | $FX dump >d &&
    grep -q "^a	boxes	2x4	2	14	" d && grep -q "^a	boxes.src	2x4	4	28	" d &&
    grep -q "^b	boxes	0x4" d && grep -q "^c	boxes	0x4" d'

expect_ok 'frames below the probability threshold get no boxes' '
    pgc-box --tsv --prob-threshold 0.25 <s1.pgc | cut -f 1 | sort | uniq -c | tr -s " " >got &&
    printf " 2 a\n 2 c\n 1 frame\n" >want && diff want got'

expect_ok '--largest, --min-area and --frac' '
    test $(pgc-box --tsv --largest <s1.pgc | wc -l) = 2 &&
    pgc-box --tsv --largest <s1.pgc | grep -q "^a	3	2	7	5	" &&
    pgc-box --tsv --min-area 11 <s1.pgc | grep -q "^a	3	2	7	5	" &&
    test $(pgc-box --tsv --min-area 13 <s1.pgc | wc -l) = 1 &&
    test $(pgc-box --tsv --frac 0.9 <s1.pgc | wc -l) = 2'

expect_ok '--map thresholds another map' '
    $FX emit blobs | pgc-cam | pgc-fuse | pgc-box --tsv --map cam.s2 >got &&
    grep -q "^a	" got && ! grep -q "^b	" got'

expect_ok 'an empty stream gives the header only' '
    $FX emit empty | pgc-box --tsv >got && test $(wc -l <got) = 1'

# 4096 copies of the frame make a table of about 250 KiB, four times a pipe's buffer:
# pgc-box must meet the closed pipe (EPIPE) before it is done.
expect_ok 'a closed pipe downstream is not an error' '
    cp s1.pgc many.pgc && for i in $(seq 12); do cat many.pgc many.pgc >m2 && mv m2 many.pgc; done &&
    test $(pgc-box --tsv <many.pgc | wc -c) -gt $((4 * 65536)) &&
    { pgc-box --tsv <many.pgc; echo $? >rc; } | head -n 1 >/dev/null && test $(cat rc) = 0'

expect_exit 1 'a frame without the map is bad input' '$FX emit image | pgc-box >/dev/null'
expect_exit 1 'NaN in the map is bad input' '$FX emit camnan | pgc-box --map cam.s1 >/dev/null'
expect_exit 2 'a fraction above 1 is a usage error' 'pgc-box --frac 2 <s1.pgc'
expect_exit 2 'a missing option value is a usage error' 'pgc-box --map'
expect_ok '--help prints usage and exits 0' 'pgc-box --help | grep -q "^usage: pgc-box"'
