#!/usr/bin/env bash
# Runs every unit test binary ($UNIT/*) and every end-to-end script (tests/e2e/*.sh).
# Each prints "ok - <name>" or "not ok - <name>" per behaviour; a crash or a non-zero exit
# without a "not ok" line counts as one failure, and so does a file that exits 0 without
# printing a single result line (it tested nothing). Ends with "N passed, N failed".
# ONLY=word runs the test files whose name holds word. "ok - <name> # skipped: why"
# passes without testing anything and is counted apart.
set -u
cd "$(dirname "$0")/.."
export BIN=${BIN:-bin} UNIT=${UNIT:-build/rel/t}
mkdir -p "$BIN"
export BIN=$(cd "$BIN" && pwd)
export TOP=$(pwd)
export DATA=${DATA:-$TOP/../shared/data}
# Numbers the tests check come from the CPU path, the same on every machine; the GPU is
# compared with it where that is the point (unit/gpu_ops, e2e/device_choice).
export PGC_DEVICE=cpu
unset PGC_CUDA_PLUGIN PGC_GPU_FAST PGC_REQUIRE_GPU
# Under ASan, the CUDA driver needs the address range ASan keeps as its shadow gap.
export ASAN_OPTIONS=${ASAN_OPTIONS:-protect_shadow_gap=0}
only=${ONLY:-}
pass=0 fail=0 skip=0
log=$(mktemp); trap 'rm -f "$log"' EXIT

run_one() { # name, command...
    local name=$1; shift
    [ -n "$only" ] && [[ "$name" != *$only* ]] && return
    "$@" >"$log" 2>&1; local rc=$?
    local p f s
    p=$(grep -c '^ok ' "$log"); f=$(grep -c '^not ok ' "$log")
    s=$(grep -c '^ok .* # skipped' "$log"); p=$((p - s))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "not ok - $name exited with status $rc" >>"$log"; f=1
    elif [ $((p + s + f)) -eq 0 ]; then
        echo "not ok - $name printed no result line" >>"$log"; f=1
    fi
    grep -E '^(not ok|#)' "$log" | sed "s|^|[$name] |"
    local sk=""; [ "$s" -gt 0 ] && sk=", $s skipped"
    [ "$f" -eq 0 ] && echo "$name: $p passed$sk" || echo "$name: $p passed$sk, $f FAILED"
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
}

for t in "$UNIT"/*; do
    [[ -x "$t" && "$t" != *.so ]] && run_one "unit/$(basename "$t")" "$t"
done
for t in tests/e2e/*.sh; do
    [ "$(basename "$t")" = lib.sh ] && continue
    run_one "e2e/$(basename "$t" .sh)" bash "$t"
done
echo "$pass passed, $skip skipped, $fail failed"
[ "$fail" -eq 0 ]
