#!/usr/bin/env bash
# pgc-score on the blobs fixture through pgc-cam | pgc-fuse --scales 1 | pgc-box. Worked
# out by hand: frame a finds both truth boxes exactly (TP 2), b has no truth and no box,
# c's probability 0.3 suppresses its box (FN 1). TP 2, FP 0, FN 1, GT 3: precision 1,
# recall 2/3, F1 0.8, accuracy 2/3. Both maps (a, c) put their maximum in a truth box and
# their regions match exactly at threshold 0. Labels: a tumour 0.9 (TP), b none 0.2 (TN),
# c tumour 0.3 (FN): accuracy 2/3, sensitivity 1/2, specificity 1, AUC 1.
. "$(dirname "$0")/lib.sh"
: "${UNIT:?}"
case $UNIT in /*) ;; *) UNIT=$TOP/$UNIT ;; esac # run.sh passes it relative to TOP
FX=$UNIT/cam_fixtures
$FX emit blobs | pgc-cam | pgc-fuse --scales 1 | pgc-box >"$T/boxed.pgc"
get() { awk -F'\t' -v m="$2" '$1 == m { print $2 }' "$1"; }

expect_ok 'the paper scores of a known set' '
    pgc-score <boxed.pgc >s && head -n 1 s | grep -q "^metric	value$" &&
    test "$(get s tp) $(get s fp) $(get s fn) $(get s gt_boxes)" = "2 0 1 3" &&
    test "$(get s iobb_precision) $(get s iobb_recall)" = "1.000000 0.666667" &&
    test "$(get s iobb_f1) $(get s iobb_accuracy)" = "0.800000 0.666667"'

expect_ok 'IoU scores, MaxBoxAccV2 and the pointing game' '
    pgc-score <boxed.pgc >s &&
    test "$(get s iou50_precision) $(get s iou50_recall) $(get s iou70_f1)" = "1.000000 0.666667 0.800000" &&
    test "$(get s frames_map) $(get s maxboxacc_v2) $(get s pointing_game)" = "2 1.000000 1.000000"'

expect_ok 'classification scores from labels and probabilities' '
    pgc-score <boxed.pgc >s &&
    test "$(get s cls_accuracy) $(get s sensitivity) $(get s specificity) $(get s roc_auc)" = \
         "0.666667 0.500000 1.000000 1.000000"'

expect_ok 'a truth CSV in source pixels gives the same scores' '
    printf "file,x0,y0,x1,y1\na.png,6,4,14,10\n/x/a.png,18,20,28,24\nc.png,6,4,14,10\n" >t.csv &&
    pgc-score <boxed.pgc >s1 && pgc-score --truth t.csv <boxed.pgc >s2 && diff s1 s2'

expect_ok 'a CSV box in image pixels does not match in source pixels' '
    printf "file,x0,y0,x1,y1\na.png,3,2,7,5\n" >t.csv &&
    pgc-score --truth t.csv <boxed.pgc >s && test "$(get s tp) $(get s fp)" = "0 2"'

expect_ok '--per-frame writes one line per frame' '
    pgc-score --per-frame pf.tsv <boxed.pgc >/dev/null &&
    test $(wc -l <pf.tsv) = 4 && grep -q "^a	2	2	2	0	0	1	1	tumour	0.9$" pf.tsv &&
    grep -q "^c	1	0	0	0	1	NA	1	tumour	0.3$" pf.tsv'

expect_ok 'a stream without boxes or maps scores classification only' '
    $FX emit blobs | pgc-score >s && test "$(get s iobb_f1) $(get s maxboxacc_v2)" = "n/a n/a" &&
    test "$(get s cls_accuracy)" = 0.666667'

expect_ok 'an empty stream reports n/a, not NaN' '
    $FX emit empty | pgc-score >s && test "$(get s frames)" = 0 &&
    test "$(get s iobb_precision) $(get s roc_auc)" = "n/a n/a" && ! grep -qi nan s'

expect_exit 1 'a truncated stream is bad input' '$FX emit truncated | pgc-score >/dev/null'
expect_exit 1 'a bad truth CSV is bad input' '
    printf "file,x0\n" >bad.csv && pgc-score --truth bad.csv <boxed.pgc >/dev/null'
expect_exit 1 'a missing truth CSV is bad input' 'pgc-score --truth nope.csv <boxed.pgc >/dev/null'
expect_exit 2 'an unknown option is a usage error' 'pgc-score --frobnicate <boxed.pgc'
expect_ok '--help prints usage and exits 0' 'pgc-score --help | grep -q "^usage: pgc-score"'
