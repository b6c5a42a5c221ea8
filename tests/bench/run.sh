#!/usr/bin/env bash
# make bench: runs every benchmark in $BENCH (built from tests/bench/*.c), each with
# $NN_BENCH_ARGS (e.g. make bench NN_BENCH_ARGS="--seconds 1"). The full nn_bench suite
# (dcfpn w16, w32, resnet50 at 224x224, batch 1 and 8, then the training recipe's row:
# dcfpn w8 128x128 batch 16 train on 1 thread; each row with its peak resident memory)
# takes a few CPU minutes; the
# PyTorch suite below takes longer (slower, and each row runs at least two full steps).
# After nn_bench, tests/bench/torch_bench.py measures the same networks in PyTorch
# (/usr/bin/python3 with torch, or $TORCH_PYTHON) with the same arguments, on the thread
# count nn_bench reports, then a summary puts both side by side. $TORCH_BENCH_ARGS go to
# torch_bench.py after those and win over them; TORCH_BENCH=0 skips the comparison.
set -u
: "${BENCH:?}"
here=$(cd "$(dirname "$0")" && pwd)
py=${TORCH_PYTHON:-/usr/bin/python3}
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

[ -n "$nn_out" ] && [ "${TORCH_BENCH:-1}" != 0 ] || exit 0
echo "== torch_bench"
if ! "$py" -c 'import torch' 2>/dev/null; then
    echo "torch: not installed, comparison skipped"
    exit 0
fi
# nn_bench's first line: "peak: P GFLOP/s ... on T threads in wall time; C GFLOP per CPU
# second per core": the same threads for torch, and C for its %peak column.
peak=$(head -n 1 "$nn_out")
threads=$(sed -n 's/.* on \([0-9][0-9]*\) threads.*/\1/p' <<<"$peak")
core=$(sed -n 's/.*; \([0-9.][0-9.]*\) GFLOP per CPU second per core.*/\1/p' <<<"$peak")
targs=()
[ -n "$threads" ] && targs+=(--threads "$threads")
[ -n "$core" ] && targs+=(--core-gflops "$core")
# shellcheck disable=SC2086
"$py" "$here/torch_bench.py" ${NN_BENCH_ARGS:-} ${targs[@]+"${targs[@]}"} ${TORCH_BENCH_ARGS:-} |
    tee "$tmp/torch.out"
[ "${PIPESTATUS[0]}" = 0 ] || exit 1

# Summary: rows of both keyed by arch width size batch mode. ratio = pgcam / torch
# (above 1: pgcam faster); per cpu-s: the same with images per CPU second, steadier when
# other work shares the machine.
echo "== pgcam vs torch (${threads:-?} threads; ratio = pgcam / torch, > 1: pgcam faster)"
awk '
    function row(f) { return f[2] ~ /^[0-9]+$/ && f[5] ~ /^(infer|cam|train)$/ }
    FNR == 1 { file++ }
    {
        n = split($0, f, " ")
        if (n < 8 || !row(f)) next
        k = f[1] " " f[2] " " f[3] " " f[4] " " f[5]
        if (file == 1) { if (!(k in pg)) order[++nk] = k; pg[k] = f[6]; pgc[k] = f[8] }
        else { if (!(k in pg) && !(k in tc)) order[++nk] = k; tc[k] = f[6]; tcc[k] = f[8] }
    }
    function ratio(a, b) { return (a != "" && b != "" && b > 0) ? sprintf("%.2f", a / b) : "-" }
    END {
        printf "%-10s %5s %5s %5s %-6s %11s %11s %7s %11s\n", "arch", "width", "size",
               "batch", "mode", "pgcam img/s", "torch img/s", "ratio", "cpu-s ratio"
        for (i = 1; i <= nk; i++) {
            k = order[i]; split(k, f, " ")
            a = (k in pg) ? pg[k] : ""; b = (k in tc) ? tc[k] : ""
            printf "%-10s %5s %5s %5s %-6s %11s %11s %7s %11s\n", f[1], f[2], f[3], f[4], f[5],
                   a == "" ? "-" : a, b == "" ? "-" : b, ratio(a, b),
                   ratio((k in pgc) ? pgc[k] : "", (k in tcc) ? tcc[k] : "")
        }
    }' "$nn_out" "$tmp/torch.out"
