#!/usr/bin/env bash
# pgc-train end to end, on a synthetic set (tests/unit/nn_synth.c): a bright blob is a
# tumour, noise alone is not.
. "$(dirname "$0")/lib.sh"
SYN=$UNIT/nn_synth; case $SYN in /*) ;; *) SYN=$TOP/$SYN ;; esac
"$SYN" "$T/train.pgc" 300 32 1 && "$SYN" "$T/val.pgc" 100 32 2 || { echo "not ok - synthetic data"; exit 1; }
TR="pgc-train train.pgc --width 4 --batch 16 --threads 1"

expect_ok 'help goes to stdout and exits 0' 'pgc-train --help | grep -q "usage: pgc-train"'

expect_ok 'learns the synthetic task well above chance' '
    '"$TR"' --iters 120 --val val.pgc --val-every 60 --log log.tsv -o m.model 2>err &&
    test -s m.model &&
    awk -F"\t" "NR > 1 && \$6 != \"\" { acc = \$6 } END { exit !(acc >= 0.9) }" log.tsv &&
    grep -q "validation accuracy" err'

expect_ok 'the log has a header and a row per --log-every steps' '
    '"$TR"' --iters 20 --log-every 5 --log l.tsv -o l.model 2>/dev/null &&
    head -1 l.tsv | grep -q "^iter	loss	train_acc	lr	images_per_s	val_acc" &&
    test "$(wc -l < l.tsv)" -eq 5'

expect_ok '--strong-augment trains and the model records it' '
    '"$TR"' --iters 5 --strong-augment -o s.model 2>/dev/null && grep -qa "augment: strong" s.model &&
    '"$TR"' --iters 5 -o n.model 2>/dev/null && grep -qa "augment: on" n.model'

expect_ok 'the same seed and threads give the same model, bit for bit' '
    '"$TR"' --iters 15 --seed 7 -o a.model 2>/dev/null &&
    '"$TR"' --iters 15 --seed 7 -o b.model 2>/dev/null && cmp a.model b.model &&
    '"$TR"' --iters 15 --seed 8 -o c.model 2>/dev/null && outputs_differ a.model c.model val.pgc'

expect_ok 'a resumed run continues exactly' '
    '"$TR"' --iters 20 -o full.model 2>/dev/null &&
    '"$TR"' --iters 10 --checkpoint ck.pgm -o half.model 2>/dev/null &&
    '"$TR"' --iters 20 --resume ck.pgm -o resumed.model 2>/dev/null &&
    cmp full.model resumed.model'

expect_ok 'epochs count passes over the labelled images' '
    '"$TR"' --epochs 1 --batch 30 -o e.model 2>err && grep -q "after 9 steps" err'

expect_ok 'the periodic checkpoint replaces itself' '
    '"$TR"' --iters 6 --checkpoint ck2.pgm --checkpoint-every 3 -o k.model 2>/dev/null &&
    test -s ck2.pgm && ! ls ck2.pgm.tmp* 2>/dev/null'

expect_ok 'every architecture trains a step' '
    for a in dcfpn fpn multigap multigap-dc; do
        '"$TR"' --arch $a --iters 2 -o $a.model 2>/dev/null || exit 1
    done && pgc-train train.pgc --arch resnet50 --width 2 --batch 2 --iters 1 -o r.model 2>/dev/null'

expect_ok 'concatenated streams are one training set' '
    cat train.pgc val.pgc > both.pgc &&
    pgc-train both.pgc --width 4 --threads 1 --iters 1 -o both.model 2>err && grep -q ": 360 images" err'

expect_ok '--device gpu without GPU support says so and trains on the CPU' '
    '"$TR"' --iters 2 --device gpu -o g.model 2>err && grep -q "using the CPU" err && test -s g.model'

touch "$T/exists.model"
expect_exit 1 'an existing model is not replaced without --force' "$TR --iters 1 -o exists.model"
expect_ok '--force replaces it' "$TR --iters 1 -o exists.model --force 2>/dev/null && test -s exists.model"
expect_exit 2 'no -o is a usage error' "$TR --iters 1"
expect_exit 2 'an unknown architecture is a usage error' "$TR --arch vgg -o v.model"
expect_exit 2 'bad class weights are a usage error' "$TR --class-weights 1,x -o w.model"
expect_exit 1 'a missing training file is refused' "pgc-train nope.pgc -o n.model"
"$SYN" "$T/odd.pgc" 4 30 1
expect_exit 1 'images that are not multiples of 16 are refused' "pgc-train odd.pgc -o o.model"
expect_exit 1 'standard input is refused (training seeks), in a line naming it' \
    "fails_with \"cannot train on '-'\" pgc-train - -o stdin.model < train.pgc"
cp "$T/train.pgc" "$T/keep.pgc"; cp "$T/val.pgc" "$T/keepval.pgc"
expect_exit 2 'a model is never written over its own training set, --force or not' \
    "pgc-train keep.pgc -o keep.pgc --force --iters 2; rc=\$?; cmp keep.pgc train.pgc && exit \$rc"
expect_exit 2 'nor a log or a checkpoint over --val' \
    "pgc-train train.pgc --val keepval.pgc --log ./keepval.pgc --force --iters 2 -o v2.model; rc=\$?; cmp keepval.pgc val.pgc && exit \$rc"
expect_exit 2 'nor a model over the checkpoint it resumes from' \
    "$TR --iters 2 --checkpoint c0.ckpt -o c0.model 2>/dev/null && $TR --iters 4 --resume c0.ckpt -o c0.ckpt --force"
head -c 5000 "$T/train.pgc" > "$T/cut.pgc"
expect_exit 1 'a truncated training stream is refused' "pgc-train cut.pgc -o t.model"
expect_exit 1 'resuming from a model that is not a checkpoint is refused' \
    "$TR --iters 2 --resume a.model -o r2.model"
