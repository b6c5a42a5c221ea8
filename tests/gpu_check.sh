#!/usr/bin/env bash
# Everything that needs a GPU, in one run, for a machine with an NVIDIA GPU (`make
# gpu-check`): names the card, then
#   1. unit/gpu_ops: every operation and whole networks, GPU against CPU;
#   2. e2e/device_choice: the demo chain on both, repeatability, the fallbacks;
#   3. compute-sanitizer memcheck, racecheck and initcheck over all of gpu_ops (when
#      compute-sanitizer is there; racecheck and initcheck are informational, since
#      they can report inside cuDNN's own kernels);
#   4. gpu_ops' convolutions with PGC_GPU_FAST=1 (TF32: the differences are printed,
#      failures there are expected at the FP32 tolerances and do not count);
#   5. the GPU benchmark (GPU_CHECK_SECONDS per row, default 0.5).
# Exits 1 if 1, 2 or memcheck fails, or if no GPU is usable.
set -u -o pipefail
cd "$(dirname "$0")/.."
# Under ASan, the CUDA driver needs the address range ASan keeps as its shadow gap.
export ASAN_OPTIONS=${ASAN_OPTIONS:-protect_shadow_gap=0}
# Here a fallback to the CPU is a failure, not a skip.
export PGC_REQUIRE_GPU=1
unset PGC_DEVICE PGC_GPU_FAST
BIN=$(cd "${BIN:-bin}" && pwd) UNIT=$(cd "${UNIT:-build/rel/t}" && pwd)
BENCH=$(cd "${BENCH:-build/rel/b}" && pwd)
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
if [ ! -f "$BIN/pgc-cuda.so" ]; then
    echo "gpu-check: no GPU plugin was built ($BIN/pgc-cuda.so): make needs nvcc and cuDNN (CUDA_HOME, CUDNN_INCLUDE, CUDNN_LIB; tests/gpu_session.sh finds them)"
    exit 1
fi
probe=$("$UNIT/gpu_ops" memory)
if ! grep '^# gpu:' <<<"$probe"; then
    echo "gpu-check: no usable GPU here: $(grep -m1 -o '# .*' <<<"$probe")"
    exit 1
fi
rc=0
step() { echo "== $*"; }

step "unit/gpu_ops"
"$UNIT/gpu_ops" || rc=1

step "e2e/device_choice"
BIN=$BIN UNIT=$UNIT TOP=$PWD bash tests/e2e/device_choice.sh | tee /tmp/pgc-gpu-check.$$ || rc=1
grep -q '^not ok' /tmp/pgc-gpu-check.$$ && rc=1
rm -f /tmp/pgc-gpu-check.$$

CS=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
if [ -x "$CS" ]; then
    for tool in memcheck racecheck initcheck; do
        step "compute-sanitizer --tool $tool$([ $tool = memcheck ] || echo ' (informational)')"
        if ! "$CS" --tool $tool --error-exitcode 9 "$UNIT/gpu_ops" > /tmp/pgc-cs.$$ 2>&1; then
            tail -n 30 /tmp/pgc-cs.$$
            [ $tool = memcheck ] && rc=1
        fi
        grep -E 'ERROR SUMMARY|not ok' /tmp/pgc-cs.$$
    done
    rm -f /tmp/pgc-cs.$$
else
    step "compute-sanitizer: not found, skipped"
fi

step "PGC_GPU_FAST=1 gpu_ops conv (informative)"
PGC_GPU_FAST=1 "$UNIT/gpu_ops" conv | grep -E '^#|ok' || true

step "gpu_bench"
"$BENCH/gpu_bench" --seconds "${GPU_CHECK_SECONDS:-0.5}"

echo "gpu-check: $([ $rc -eq 0 ] && echo passed || echo FAILED)"
exit $rc
