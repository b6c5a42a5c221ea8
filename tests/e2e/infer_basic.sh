#!/usr/bin/env bash
# pgc-infer end to end: shapes of what it adds, pass-through, refusals.
. "$(dirname "$0")/lib.sh"
SYN=$UNIT/nn_synth; case $SYN in /*) ;; *) SYN=$TOP/$SYN ;; esac
"$SYN" "$T/train.pgc" 60 32 1 && "$SYN" "$T/val.pgc" 11 32 2 &&
    (cd "$T" && pgc-train train.pgc --width 4 --iters 20 --threads 1 -o m.model 2>/dev/null) ||
    { echo "not ok - synthetic data and model"; exit 1; }
list() { "$SYN" --list "$1"; }

expect_ok 'help goes to stdout and exits 0' 'pgc-infer --help | grep -q "usage: pgc-infer"'

expect_ok 'each frame gets prob, then feat and grad per scale, with the pyramid shapes' '
    pgc-infer -m m.model < val.pgc > out.pgc && list out.pgc > out.txt &&
    test "$(grep -c "^image " out.txt)" -eq 11 &&
    test "$(grep -c "^prob f32 2 " out.txt)" -eq 11 &&
    for s in "1 4x32x32" "2 8x16x16" "3 16x8x8" "4 32x4x4" "5 64x2x2"; do
        set -- $s
        test "$(grep -c "^feat.s$1 f32 $2 .*scale=$1" out.txt)" -eq 11 &&
        test "$(grep -c "^grad.s$1 f32 $2 .*scale=$1" out.txt)" -eq 11 || exit 1
    done &&
    head -12 out.txt | awk "{print \$1}" | tr "\n" " " |
        grep -q "^image prob feat.s1 grad.s1 feat.s2 grad.s2 feat.s3 grad.s3 feat.s4 grad.s4 feat.s5 grad.s5 $"'

expect_ok 'prob carries prob and pred, and the image gets a prob key' '
    pgc-infer -m m.model < val.pgc > out.pgc && list out.pgc > out.txt &&
    grep "^prob " out.txt | grep -q "pred=\(tumour\|none\)" &&
    grep "^image " out.txt | grep -q " prob=[0-9.e-]*$" &&
    grep "^feat.s1 " out.txt | head -1 | grep -q "frame=synth-0 .*name=feat.s1"'

# (GEMMs over 1 or 4 images may round differently in the last bit)
probs() { list "$1" | grep "^prob " | sed "s/.* prob=\([^ ]*\) .*/\1/"; }
expect_ok 'the batch size does not change the results' '
    pgc-infer -m m.model --batch 1 < val.pgc > b1.pgc && pgc-infer -m m.model --batch 4 < val.pgc > b4.pgc &&
    test "$(probs b1.pgc | wc -l)" -eq 11 &&
    paste <(probs b1.pgc) <(probs b4.pgc) | awk "{ d = \$1 - \$2; if (d < 0) d = -d; if (d > 1e-5) exit 1 }"'

expect_ok '--no-grad and --scales choose what is added' '
    pgc-infer -m m.model --no-grad --scales 1,4 < val.pgc > ng.pgc && list ng.pgc > ng.txt &&
    ! grep -q "^grad" ng.txt && test "$(grep -c "^feat.s1 " ng.txt)" -eq 11 &&
    test "$(grep -c "^feat.s4 " ng.txt)" -eq 11 && ! grep -q "^feat.s2" ng.txt'

expect_ok 'running twice replaces, not duplicates, what it adds' '
    pgc-infer -m m.model < val.pgc | pgc-infer -m m.model --scales 2 > twice.pgc &&
    test "$(list twice.pgc | grep -c "^prob ")" -eq 11 && ! list twice.pgc | grep -q "^feat.s1"'

expect_ok 'a resnet50 model gives one scale: its last block' '
    pgc-train train.pgc --arch resnet50 --width 2 --batch 4 --iters 1 --threads 1 -o r.model 2>/dev/null &&
    pgc-infer -m r.model < val.pgc > r.pgc && list r.pgc > r.txt &&
    test "$(grep -c "^feat.s1 f32 64x1x1 " r.txt)" -eq 11 && test "$(grep -c "^grad.s1 " r.txt)" -eq 11 &&
    ! grep -q "^feat.s2" r.txt'

expect_ok '--device gpu without GPU support says so in one line and runs' '
    pgc-infer -m m.model --device gpu < val.pgc 2>err > g.pgc && test "$(wc -l < err)" -eq 1 &&
    grep -q "using the CPU" err && test -s g.pgc'

# --mirror: what the mirror image adds is exactly what a plain run on the mirrored
# images gives, mirrored back; the image's own half and its prob do not change.
expect_ok '--mirror doubles the channels of every scale and leaves the rest as it was' '
    pgc-infer -m m.model --mirror < val.pgc > mir.pgc && list mir.pgc > mir.txt &&
    for s in "1 8x32x32" "2 16x16x16" "5 128x2x2"; do set -- $s
        test "$(grep -c "^feat.s$1 f32 $2 " mir.txt)" -eq 11 && test "$(grep -c "^grad.s$1 f32 $2 " mir.txt)" -eq 11 || exit 1
    done &&
    pgc-infer -m m.model < val.pgc > own.pgc && cmp <(probs own.pgc) <(probs mir.pgc)'
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
expect_ok '--mirror: the second half is the maps of the mirrored images, mirrored back, to the bit' '
    pgc-npy --export own val.pgc && mkdir flip && for f in own/*.image.npy; do
        /usr/bin/python3 -c "import numpy as n, sys; n.save(sys.argv[2], n.ascontiguousarray(n.load(sys.argv[1])[:, ::-1]))" $f flip/${f#own/} &&
        cp ${f%.npy}.meta flip/; done &&
    pgc-npy --import $(ls flip/*.npy | sort -V) | pgc-infer -m m.model > flipped.pgc && pgc-infer -m m.model --mirror < val.pgc > mir.pgc &&
    pgc-infer -m m.model < val.pgc > own.pgc &&
    pgc-npy --export a own.pgc && pgc-npy --export b flipped.pgc && pgc-npy --export c mir.pgc &&
    /usr/bin/python3 - <<PY
import glob, numpy as n
files = sorted(glob.glob("c/*.s[1-5].npy"))
assert len(files) == 11 * 10, len(files)
for f in files:
    m = n.load(f); k = m.shape[0] // 2
    own, flip = n.load(f.replace("c/", "a/")), n.load(f.replace("c/", "b/"))
    assert n.array_equal(m[:k], own), f
    assert n.array_equal(m[k:], flip[:, :, ::-1]), f
PY'
else skip '--mirror against mirrored images' 'no numpy'; fi

# An ensemble (-m twice): each model's maps, in the order given, along c; prob the mean
# of the models' probabilities. With two classes the score is the tumour logit whatever
# the ensemble says, so each half is exactly that model's own run.
(cd "$T" && pgc-train train.pgc --width 8 --iters 20 --seed 7 --threads 1 -o m8.model 2>/dev/null &&
    pgc-train train.pgc --arch fpn --width 4 --iters 2 --threads 1 -o fpn.model 2>/dev/null) ||
    echo "not ok - the ensemble's second models"
expect_ok 'an ensemble adds the channels of each model in turn and averages prob' '
    pgc-infer -m m.model -m m8.model < val.pgc > ens.pgc && list ens.pgc > ens.txt &&
    for s in "1 12x32x32" "2 24x16x16" "5 192x2x2"; do set -- $s
        test "$(grep -c "^feat.s$1 f32 $2 " ens.txt)" -eq 11 && test "$(grep -c "^grad.s$1 f32 $2 " ens.txt)" -eq 11 || exit 1
    done &&
    pgc-infer -m m.model < val.pgc > a.pgc && pgc-infer -m m8.model < val.pgc > b.pgc &&
    paste <(probs a.pgc) <(probs b.pgc) <(probs ens.pgc) |
        awk "{ d = (\$1 + \$2) / 2 - \$3; if (d < 0) d = -d; if (d > 2e-6 || NF != 3) exit 1; n++ } END { exit n != 11 }"'
expect_ok 'an ensemble with --mirror: the maps of each model, then of its mirror images' '
    pgc-infer -m m.model -m m8.model --mirror < val.pgc > em.pgc && list em.pgc > em.txt &&
    test "$(grep -c "^grad.s1 f32 24x32x32 " em.txt)" -eq 11'
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
expect_ok 'each part of the maps of an ensemble is the run of its model alone, to the bit' '
    pgc-infer -m m.model -m m8.model < val.pgc > ens.pgc && pgc-infer -m m.model < val.pgc > a.pgc &&
    pgc-infer -m m8.model < val.pgc > b.pgc &&
    pgc-npy --export ee ens.pgc && pgc-npy --export ea a.pgc && pgc-npy --export eb b.pgc &&
    /usr/bin/python3 - <<PY
import glob, numpy as n
files = sorted(glob.glob("ee/*.s[1-5].npy"))
assert len(files) == 11 * 10, len(files)
for f in files:
    e, a, b = n.load(f), n.load(f.replace("ee/", "ea/")), n.load(f.replace("ee/", "eb/"))
    k = a.shape[0]
    assert n.array_equal(e[:k], a) and n.array_equal(e[k:], b), f
PY'
else skip 'an ensemble against its models' 'no numpy'; fi
expect_exit 2 'an ensemble of two architectures is a usage error naming both' \
    'pgc-infer -m m.model -m fpn.model < val.pgc > /dev/null 2>err; rc=$?; grep -q "architecture.*m.model.*fpn.model" err; cat err >&2; exit $rc'
expect_exit 1 'a missing model of an ensemble is refused' 'pgc-infer -m m.model -m none.model < val.pgc > /dev/null'

expect_ok 'a closed pipe downstream is not an error' 'pgc-infer -m m.model < val.pgc | head -c 100 > /dev/null'

head -c 3000 "$T/m.model" > "$T/cut.model"
cp "$T/m.model" "$T/bad.model" && printf "\x42" | dd of="$T/bad.model" bs=1 seek=2000 conv=notrunc 2>/dev/null
expect_exit 1 'a corrupt model is refused' 'pgc-infer -m bad.model < val.pgc > /dev/null'
expect_exit 1 'a truncated model is refused' 'pgc-infer -m cut.model < val.pgc > /dev/null'
expect_exit 1 'a stream given as a model is refused' 'pgc-infer -m val.pgc < val.pgc > /dev/null'
expect_exit 1 'a missing model is refused' 'pgc-infer -m none.model < val.pgc > /dev/null'
"$SYN" "$T/odd.pgc" 3 24 1
expect_exit 1 'an image that is not a multiple of 16 is refused, naming the frame' \
    'pgc-infer -m m.model < odd.pgc > /dev/null 2>err; rc=$?; grep -q "synth-0" err; cat err >&2; exit $rc'
head -c 20000 "$T/val.pgc" > "$T/cut.pgc"
expect_exit 1 'a truncated stream is refused' 'pgc-infer -m m.model < cut.pgc > /dev/null'
expect_exit 2 'no model is a usage error' 'pgc-infer < val.pgc > /dev/null'
expect_exit 2 'a scale the model lacks is a usage error' 'pgc-infer -m m.model --scales 6 < val.pgc > /dev/null'
