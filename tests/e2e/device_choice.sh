#!/usr/bin/env bash
# Where the network runs: --device auto|cpu|gpu and $PGC_DEVICE, the GPU plugin
# (pgc-cuda.so) and falling back to the CPU in one line; with a GPU, the GPU's maps,
# probabilities and boxes agree with the CPU's.
. "$(dirname "$0")/lib.sh"
M=$EX/model/dcfpn.model
SYN=$UNIT/nn_synth; case $SYN in /*) ;; *) SYN=$TOP/$SYN ;; esac
(cd "$T" && pgc-slice --labels "$EX/slices/labels.csv" "$EX"/slices/*.png |
    pgc-prep --size 128 > in.pgc) || { echo "not ok - example input"; exit 1; }
"$SYN" "$T/train.pgc" 32 32 1 >/dev/null || { echo "not ok - synthetic data"; exit 1; }

# What this machine is: a build with or without the plugin, a GPU or not.
have_plugin=0; [ -f "$BIN/pgc-cuda.so" ] && have_plugin=1
have_gpu=0
if [ $have_plugin = 1 ] && (cd "$T" && pgc-infer -m "$M" --device gpu --no-grad \
        < in.pgc > /dev/null 2> probe.err) && [ ! -s "$T/probe.err" ]; then
    have_gpu=1
fi
echo "# plugin: $have_plugin, usable GPU: $have_gpu"

infer() { # device -> $1.pgc and $1.err
    PGC_DEVICE=$1 pgc-infer -m "$M" < in.pgc > "$1.pgc" 2> "$1.err"
}
one_line_fallback() { # file: exactly one line, saying the CPU is used
    [ "$(wc -l < "$1")" -eq 1 ] && grep -q '; using the CPU$' "$1"
}

expect_ok '--device cpu says nothing and is the reference' '
    infer cpu && test ! -s cpu.err && test -s cpu.pgc'

if [ $have_gpu = 1 ]; then
    expect_ok 'auto takes the usable GPU without a word' 'infer auto && test ! -s auto.err'
else
    expect_ok 'auto falls back to the same CPU results: one line with the plugin, none without' '
        infer cpu && infer auto && cmp cpu.pgc auto.pgc &&
        if [ '$have_plugin' = 1 ]; then one_line_fallback auto.err; else test ! -s auto.err; fi'
    expect_ok 'gpu without a usable GPU says why in one line and runs on the CPU' '
        infer cpu && infer gpu && cmp cpu.pgc gpu.pgc && one_line_fallback gpu.err &&
        if [ '$have_plugin' = 1 ]; then grep -q "no usable GPU\|sm_" gpu.err;
        else grep -q "no GPU support" gpu.err; fi'
fi

expect_ok 'a file that is not a plugin is refused in one line and the CPU runs' '
    infer cpu && printf "not an ELF file" > fake.so &&
    PGC_CUDA_PLUGIN=$PWD/fake.so PGC_DEVICE=gpu pgc-infer -m "$M" < in.pgc > f.pgc 2> f.err &&
    cmp cpu.pgc f.pgc && one_line_fallback f.err && grep -q "cannot load the GPU plugin" f.err'

expect_ok '$PGC_CUDA_PLUGIN naming a missing file says so' '
    PGC_CUDA_PLUGIN=$PWD/none.so pgc-infer --device gpu -m "$M" < in.pgc > /dev/null 2> m.err &&
    one_line_fallback m.err && grep -q "PGC_CUDA_PLUGIN: no file" m.err'

expect_ok 'pgc-train falls back the same way' '
    PGC_CUDA_PLUGIN=$PWD/none.so pgc-train train.pgc --device gpu --width 2 --batch 4 \
        --iters 2 --threads 1 -o t.model 2> t.err && test -s t.model &&
    grep -c "using the CPU" t.err | grep -qx 1'

expect_exit 2 'an unknown --device is bad usage' 'pgc-infer -m "$M" --device tpu < in.pgc'
expect_exit 2 'an unknown $PGC_DEVICE is bad usage' 'PGC_DEVICE=tpu pgc-train train.pgc -o x.model'

# The GPU against the CPU through the whole chain. Tolerances: probabilities 1e-4
# (absolute); each map's max and mean 1e-3 (relative to the frame's largest value of that
# statistic); the strongest box's corners within 2 pixels, since one pixel near the
# threshold may flip.
if [ $have_gpu = 1 ]; then
    chain() { PGC_DEVICE=$1 pgc-infer -m "$M" < in.pgc | pgc-cam | pgc-fuse > "$1.maps" &&
              pgc-info "$1.maps" > "$1.info" && pgc-box --tsv < "$1.maps" > "$1.tsv"; }
    expect_ok 'GPU probabilities and Grad-CAM maps agree with the CPU within tolerance' '
        chain cpu && chain gpu &&
        paste -d"\n" cpu.info gpu.info | awk "
            function val(k,   i) { for (i = 1; i <= NF; i++) if (index(\$i, k \"=\") == 1)
                                       return substr(\$i, length(k) + 2) + 0; return 0 }
            NR % 2 { p = val(\"prob\"); mx = val(\"max\"); mn = val(\"mean\"); key = \$1 \" \" \$2; next }
            { if (\$1 \" \" \$2 != key) { print \"order differs at \" key; bad = 1 }
              d = val(\"prob\") - p; if (d < 0) d = -d; if (d > 1e-4) { print key \" prob \" d; bad = 1 }
              s = (mx > 0 ? mx : 1)
              d = (val(\"max\") - mx) / s; if (d < 0) d = -d; if (d > 1e-3) { print key \" max \" d; bad = 1 }
              d = (val(\"mean\") - mn) / s; if (d < 0) d = -d; if (d > 1e-3) { print key \" mean \" d; bad = 1 }
              if (d > worst) worst = d }
            END { print \"# largest relative difference in a mean: \" worst; exit bad }"'
    expect_ok 'the strongest GPU box of each frame is the CPU one within 2 pixels' '
        chain cpu && chain gpu &&
        for f in cpu gpu; do awk -F"\t" "NR > 1 && !seen[\$1]++ { print \$1, \$2, \$3, \$4, \$5 }" $f.tsv > $f.top; done &&
        paste -d" " cpu.top gpu.top | awk "{ if (\$1 != \$6) exit 1
            for (i = 2; i <= 5; i++) { d = \$i - \$(i + 5); if (d < -2 || d > 2) exit 1 } }
            END { exit NR != 6 }"'
    expect_ok 'the GPU gives the same stream twice, bit for bit (deterministic algorithms)' '
        infer gpu && mv gpu.pgc gpu1.pgc && infer gpu && cmp gpu1.pgc gpu.pgc'
    expect_ok 'training on the GPU twice with one seed gives the same model, bit for bit' '
        TR="pgc-train train.pgc --device gpu --width 4 --batch 8 --iters 5 --seed 3"
        $TR -o g1.model 2>/dev/null && $TR -o g2.model 2>/dev/null && cmp g1.model g2.model'
else
    for t in 'GPU probabilities and Grad-CAM maps agree with the CPU within tolerance' \
             'the strongest GPU box of each frame is the CPU one within 2 pixels' \
             'the GPU gives the same stream twice, bit for bit (deterministic algorithms)' \
             'training on the GPU twice with one seed gives the same model, bit for bit'; do
        skip "$t" 'no GPU'
    done
fi
