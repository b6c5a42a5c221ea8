#!/usr/bin/env bash
# make bench: runs every benchmark in $BENCH (built from tests/bench/*.c), each with
# $NN_BENCH_ARGS (e.g. make bench NN_BENCH_ARGS="--seconds 1"). The full nn_bench suite
# (dcfpn w16, w32, resnet50 at 224x224, batch 1 and 8, then dcfpn w16 224 batch 32 train
# for its memory, then the training recipe's row: dcfpn w8 128x128 batch 16 train on 1
# thread; each row with its peak resident memory)
# takes a few CPU minutes; the
# PyTorch suite below takes longer (slower, and each row runs at least two full steps).
# After nn_bench, tests/bench/torch_bench.py measures the same networks in PyTorch
# (/usr/bin/python3 with torch, or $TORCH_PYTHON) with the same arguments, on the thread
# count nn_bench reports, then a summary puts both side by side. $TORCH_BENCH_ARGS go to
# torch_bench.py after those and win over them; TORCH_BENCH=0 skips the comparison.
# Then, when onnxruntime-node is installed (`make bench-deps`: build/onnx/node_modules, or
# $ORT_DIR/node_modules), ONNX Runtime's inference rows: tests/bench/onnx_export.py exports
# torch_bench's networks (same weights, same input) for the same rows into build/onnx
# (or $ORT_DIR), and tests/bench/ort_bench.js times them on the same threads, checking
# their logits against PyTorch's. $ORT_BENCH_ARGS go to both after the others;
# ORT_BENCH=0 skips them. The summary puts pgcam, torch and ORT side by side.
set -u
: "${BENCH:?}"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
py=${TORCH_PYTHON:-/usr/bin/python3}
ortdir=${ORT_DIR:-$root/build/onnx}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nn_out=
for b in "$BENCH"/*; do
    [ -x "$b" ] && [ -f "$b" ] && [[ "$b" != *.so ]] || continue
    echo "== $(basename "$b")"
    # shellcheck disable=SC2086
    "$b" ${NN_BENCH_ARGS:-} | tee "$tmp/$(basename "$b").out"
    [ "${PIPESTATUS[0]}" = 0 ] || exit 1
    [ "$(basename "$b")" = nn_bench ] && nn_out=$tmp/nn_bench.out
done

[ -n "$nn_out" ] || exit 0
[ "${TORCH_BENCH:-1}" != 0 ] || [ "${ORT_BENCH:-1}" != 0 ] || exit 0
if ! "$py" -c 'import torch' 2>/dev/null; then
    echo "torch: not installed, comparison skipped (make bench-deps installs Debian's python3-torch)"
    exit 0
fi
# nn_bench's first line: "peak: P GFLOP/s ... on T threads in wall time; C GFLOP per CPU
# second per core": the same threads for torch and ORT, and C for their %peak column.
peak=$(head -n 1 "$nn_out")
threads=$(sed -n 's/.* on \([0-9][0-9]*\) threads.*/\1/p' <<<"$peak")
core=$(sed -n 's/.*; \([0-9.][0-9.]*\) GFLOP per CPU second per core.*/\1/p' <<<"$peak")
targs=()
[ -n "$threads" ] && targs+=(--threads "$threads")
[ -n "$core" ] && targs+=(--core-gflops "$core")
: > "$tmp/torch.out"
: > "$tmp/ort.out"
if [ "${TORCH_BENCH:-1}" != 0 ]; then
    echo "== torch_bench"
    # shellcheck disable=SC2086
    "$py" "$here/torch_bench.py" ${NN_BENCH_ARGS:-} ${targs[@]+"${targs[@]}"} ${TORCH_BENCH_ARGS:-} |
        tee "$tmp/torch.out"
    [ "${PIPESTATUS[0]}" = 0 ] || exit 1
fi
if [ "${ORT_BENCH:-1}" = 0 ]; then
    :
elif ! command -v node >/dev/null ||
     ! NODE_PATH=$ortdir/node_modules node -e 'require("onnxruntime-node")' 2>/dev/null; then
    echo "onnxruntime: no onnxruntime-node in $ortdir/node_modules, ORT rows skipped (make bench-deps installs it)"
else
    echo "== ort_bench"
    # shellcheck disable=SC2086
    "$py" "$here/onnx_export.py" --out "$ortdir" ${NN_BENCH_ARGS:-} ${targs[@]+"${targs[@]}"} \
        ${ORT_BENCH_ARGS:-} > "$tmp/ort.manifest" || exit 1
    # shellcheck disable=SC2086
    NODE_PATH=$ortdir/node_modules node "$here/ort_bench.js" --manifest "$tmp/ort.manifest" \
        ${NN_BENCH_ARGS:-} ${targs[@]+"${targs[@]}"} ${ORT_BENCH_ARGS:-} | tee "$tmp/ort.out"
    [ "${PIPESTATUS[0]}" = 0 ] || exit 1
fi

# Summary: rows of all three keyed by arch width size batch mode. ratio = pgcam / torch,
# pgcam / ORT (above 1: pgcam faster); per cpu-s: the same with images per CPU second,
# steadier when other work shares the machine. ORT has inference rows only ("-" else).
echo "== pgcam vs torch and ONNX Runtime (${threads:-?} threads; ratio = pgcam / other, > 1: pgcam faster)"
awk -v tf="$tmp/torch.out" -v of="$tmp/ort.out" '
    function row(f) { return f[2] ~ /^[0-9]+$/ && f[5] ~ /^(infer|cam|train)$/ }
    {
        n = split($0, f, " ")
        if (n < 8 || !row(f)) next
        k = f[1] " " f[2] " " f[3] " " f[4] " " f[5]
        if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
        if (FILENAME == tf) { tc[k] = f[6]; tcc[k] = f[8] }
        else if (FILENAME == of) { ot[k] = f[6]; otc[k] = f[8] }
        else { pg[k] = f[6]; pgc[k] = f[8] }
    }
    function ratio(a, b) { return (a != "" && b != "" && b > 0) ? sprintf("%.2f", a / b) : "-" }
    function get(m, k) { return (k in m) ? m[k] : "" }
    function show(v) { return v == "" ? "-" : v }
    END {
        printf "%-10s %5s %5s %5s %-6s %11s %11s %7s %11s %11s %7s %11s\n", "arch", "width", "size",
               "batch", "mode", "pgcam img/s", "torch img/s", "ratio", "cpu-s ratio",
               "ORT img/s", "ratio", "cpu-s ratio"
        for (i = 1; i <= nk; i++) {
            k = order[i]; split(k, f, " ")
            a = get(pg, k); b = get(tc, k); c = get(ot, k)
            printf "%-10s %5s %5s %5s %-6s %11s %11s %7s %11s %11s %7s %11s\n", f[1], f[2], f[3], f[4], f[5],
                   show(a), show(b), ratio(a, b), ratio(get(pgc, k), get(tcc, k)),
                   show(c), ratio(a, c), ratio(get(pgc, k), get(otc, k))
        }
    }' "$nn_out" "$tmp/torch.out" "$tmp/ort.out"
