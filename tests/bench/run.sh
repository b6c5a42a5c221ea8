#!/usr/bin/env bash
# make bench: runs every benchmark in $BENCH (built from tests/bench/*.c), each with
# $NN_BENCH_ARGS (e.g. make bench NN_BENCH_ARGS="--seconds 1"). The full nn_bench suite
# (dcfpn w16, w32, resnet50 at 224x224, batch 1 and 8) takes a few CPU minutes.
set -u
: "${BENCH:?}"
for b in "$BENCH"/*; do
    [ -x "$b" ] && [ -f "$b" ] || continue
    echo "== $(basename "$b")"
    # shellcheck disable=SC2086
    "$b" ${NN_BENCH_ARGS:-} || exit 1
done
