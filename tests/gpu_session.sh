#!/usr/bin/env bash
# tests/gpu_session.sh: everything a short window on a GPU machine is for, in one go.
usage() {
    cat <<'EOF'
usage: tests/gpu_session.sh [--find] RESULTS_DIR
On a fresh machine with an NVIDIA GPU and a copy of this working tree:
  1. checks that nvidia-smi sees a GPU (else it stops at once: nothing is built);
  2. finds nvcc (NVCC, PATH, /usr/local/cuda*/bin), cuDNN (CUDNN_INCLUDE and
     CUDNN_LIB, CUDA_HOME, or the nvidia-cudnn-cu* Python wheel: import nvidia.cudnn,
     else a search of site-packages) and cuBLAS (CUDA_HOME, or the nvidia-cublas wheel);
  3. builds with all cores, with the GPU plugin (make CUDA=1 and those paths);
  4. make gpu-check (gpu_ops, device_choice, compute-sanitizer, gpu_bench);
  5. gpu_bench at batch 1, 32 and 64, FP32 and with PGC_GPU_FAST=1 (TF32);
  6. PyTorch on the same card (tests/bench/torch_bench.py --device cuda, when a python
     with torch and CUDA is there: TORCH_PYTHON, python3, /usr/bin/python3), the same
     networks and batches, FP32 and TF32;
and writes every log into RESULTS_DIR with summary.tsv (step, status, seconds, detail),
bench.tsv (engine, precision, arch, width, batch, mode, images/s) and compare.tsv
(pgcam / torch for each row both have). Each step runs under timeout; the whole
session keeps within SESSION_SECONDS (default 540). --find does step 2 only and prints
the make command (for a rehearsal without a GPU).
Exit status: 0 every step passed; 1 a step failed or there is no GPU (one line on
stderr); 2 bad usage.
EOF
}
set -u -o pipefail
find_only=0
case ${1-} in -h|--help) usage; exit 0 ;; --find) find_only=1; shift ;; esac
[ $# -eq 1 ] && [ -n "$1" ] || { echo "usage: tests/gpu_session.sh [--find] RESULTS_DIR (see --help)" >&2; exit 2; }
R=$1
mkdir -p "$R" || { echo "gpu_session: cannot make '$R'" >&2; exit 1; }
R=$(cd "$R" && pwd)
cd "$(dirname "$0")/.."
export LC_ALL=C
start=$SECONDS
budget=${SESSION_SECONDS:-540}
S=$R/summary.tsv
printf 'step\tstatus\tseconds\tdetail\n' > "$S"
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$S"; }
stop() { record "$1" fail "${3:-0}" "$2"; echo "gpu_session: $2 (see $S)" >&2; exit 1; }
# left CAP: seconds a step may take: CAP, or what the session has left (30 s kept back
# for the summary), at least 5.
left() { local l=$((budget - (SECONDS - start) - 30)); [ "$l" -lt "$1" ] || l=$1; [ "$l" -ge 5 ] || l=5; echo "$l"; }
failed=0
# run NAME CAP LOG CMD...: one step under timeout, its output in LOG.
run() {
    local name=$1 cap; cap=$(left "$2"); local log=$3; shift 3
    local t0=$SECONDS
    echo "== $name (at most ${cap}s): $*" >&2
    timeout -k 10 "$cap" "$@" > "$log" 2>&1; local rc=$?
    local dt=$((SECONDS - t0))
    if [ $rc -eq 0 ]; then record "$name" pass "$dt" "$(basename "$log")"
    elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then record "$name" timeout "$dt" "stopped after ${cap}s: $(basename "$log")"; failed=1
    else record "$name" fail "$dt" "exit $rc: $(tail -n 1 "$log" | tr '\t' ' ')"; failed=1; fi
    return $rc
}

# ---- 1. a GPU ----
if [ $find_only = 0 ]; then
    smi=${NVIDIA_SMI:-nvidia-smi}
    command -v "$smi" >/dev/null || stop gpu "no nvidia-smi ('$smi'): not a machine with an NVIDIA driver; nothing built or run"
    t=${NVIDIA_SMI_TIMEOUT:-30}
    timeout -k 5 "$t" "$smi" --query-gpu=name,driver_version,memory.total,compute_cap \
        --format=csv,noheader > "$R/gpu.txt" 2>&1; rc=$?
    [ $rc -eq 124 ] || [ $rc -eq 137 ] && stop gpu "nvidia-smi did not answer in ${t}s: the driver is stuck; nothing built or run" "$t"
    card=$(grep -v -i -e '^no devices' -e 'failed' -e 'error' "$R/gpu.txt" | head -n 1)
    [ $rc -eq 0 ] && [ -n "$card" ] ||
        stop gpu "nvidia-smi finds no usable GPU: $(head -n 1 "$R/gpu.txt" | cut -c1-120); nothing built or run"
    record gpu pass 0 "$card"
fi

# ---- 2. nvcc, cuDNN, cuBLAS ----
nvcc=${NVCC:-}
if [ -z "$nvcc" ]; then
    nvcc=$(command -v nvcc || true)
    [ -n "$nvcc" ] || for d in /usr/local/cuda /usr/local/cuda-*; do
        [ -x "$d/bin/nvcc" ] && nvcc=$d/bin/nvcc
    done
fi
[ -n "$nvcc" ] && [ -x "$nvcc" ] || stop nvcc "no nvcc (set NVCC, put it on PATH, or install the CUDA toolkit in /usr/local/cuda)"
nvcc=$(readlink -f "$nvcc")
cuda_home=${CUDA_HOME:-$(dirname "$(dirname "$nvcc")")}
"$nvcc" --version > "$R/nvcc.txt" 2>&1 || stop nvcc "'$nvcc --version' failed: $(tail -n 1 "$R/nvcc.txt")"
record nvcc pass 0 "$nvcc: $(grep -o 'release [0-9.]*' "$R/nvcc.txt" | head -n 1)"

pythons=()
for p in ${TORCH_PYTHON:-} python3 /usr/bin/python3; do command -v "$p" >/dev/null && pythons+=("$p"); done
# wheel_dir MODULE: the folder of an nvidia.* wheel module (nvidia.cudnn), from any python.
wheel_dir() {
    local p d
    for p in "${pythons[@]}"; do
        d=$(timeout 20 "$p" -c "import $1 as m, os; print(list(m.__path__)[0])" 2>/dev/null) &&
            [ -d "$d" ] && { echo "$d"; return 0; }
    done
    return 1
}
# search NAME: the first file NAME under the pythons' site-packages (a wheel not importable).
search() {
    local p dirs
    for p in "${pythons[@]}"; do
        dirs=$(timeout 20 "$p" -c 'import site, sys; print("\n".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null)
        while read -r d; do
            [ -d "$d" ] && timeout 30 find "$d" -maxdepth 5 -name "$1" -print -quit 2>/dev/null | grep . && return 0
        done <<<"$dirs"
    done
    return 1
}
# link_of DIR NAME: -lNAME when DIR/libNAME.so exists, else -l:libNAME.so.<major> (wheels).
link_of() {
    [ -e "$1/lib$2.so" ] && { echo "-l$2"; return; }
    local f
    for f in "$1/lib$2.so."[0-9]*; do
        f=${f##*/}
        [[ ${f#lib$2.so.} =~ ^[0-9]+$ ]] && { echo "-l:$f"; return; }
    done
}
cudnn_inc=${CUDNN_INCLUDE:-} cudnn_lib=${CUDNN_LIB:-}
if [ -z "$cudnn_inc" ]; then
    if [ -f "$cuda_home/include/cudnn.h" ]; then
        cudnn_inc=$cuda_home/include cudnn_lib=${cudnn_lib:-$cuda_home/lib64}
    elif w=$(wheel_dir nvidia.cudnn) && [ -f "$w/include/cudnn.h" ]; then
        cudnn_inc=$w/include cudnn_lib=${cudnn_lib:-$w/lib}
    elif h=$(search cudnn.h); then
        cudnn_inc=$(dirname "$h") cudnn_lib=${cudnn_lib:-$(dirname "$cudnn_inc")/lib}
    fi
fi
[ -n "$cudnn_inc" ] && [ -f "$cudnn_inc/cudnn.h" ] ||
    stop cudnn "no cudnn.h (not in $cuda_home/include, no nvidia.cudnn wheel, none in site-packages; set CUDNN_INCLUDE and CUDNN_LIB)"
cudnn_link=$(link_of "$cudnn_lib" cudnn)
[ -n "$cudnn_link" ] || stop cudnn "no libcudnn.so* in '$cudnn_lib' (set CUDNN_LIB)"
record cudnn pass 0 "$cudnn_inc; $cudnn_lib ($cudnn_link)"
cublas_lib=${CUBLAS_LIB:-}
if [ -z "$cublas_lib" ]; then
    for d in "$cuda_home/lib64" "$cuda_home/targets/$(uname -m)-linux/lib"; do
        ls "$d"/libcublas.so* >/dev/null 2>&1 && { cublas_lib=$d; break; }
    done
    if [ -z "$cublas_lib" ] && w=$(wheel_dir nvidia.cublas) && ls "$w/lib"/libcublas.so* >/dev/null 2>&1; then
        cublas_lib=$w/lib
    fi
fi
[ -n "$cublas_lib" ] || stop cublas "no libcublas.so* under $cuda_home nor in an nvidia.cublas wheel (set CUBLAS_LIB)"
cublas_link=$(link_of "$cublas_lib" cublas)
record cublas pass 0 "$cublas_lib ($cublas_link)"
export LD_LIBRARY_PATH=$cudnn_lib:$cublas_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
mk=(make CUDA=1 "CUDA_HOME=$cuda_home" "NVCC=$nvcc" "CUDNN_INCLUDE=$cudnn_inc" "CUDNN_LIB=$cudnn_lib"
    "CUDNN_LINK=$cudnn_link" "CUBLAS_LIB=$cublas_lib" "CUBLAS_LINK=$cublas_link")
printf '%q ' "${mk[@]}" > "$R/make-command.txt"; echo >> "$R/make-command.txt"
if [ $find_only = 1 ]; then cat "$R/make-command.txt"; exit 0; fi

# ---- 3. build ----
jobs=$(nproc 2>/dev/null || echo 4)
if ! run build 300 "$R/build.log" "${mk[@]}" -j"$jobs"; then
    echo "gpu_session: the build failed: $(grep -m1 -i 'error' "$R/build.log" | cut -c1-160) (see $R/build.log)" >&2
    exit 1
fi
[ -f bin/pgc-cuda.so ] || stop plugin "the build made no GPU plugin (bin/pgc-cuda.so): see build.log"

# ---- 4. make gpu-check ----
GPU_CHECK_SECONDS=0.5 run gpu-check 240 "$R/gpu-check.log" "${mk[@]}" gpu-check

# ---- 5. gpu_bench rows ----
gb=build/rel/b/gpu_bench
run gpu_bench-fp32-b32 60 "$R/gpu_bench_fp32_b32.log" $gb --batch 32 --seconds 0.5
run gpu_bench-fp32-b64 60 "$R/gpu_bench_fp32_b64.log" $gb --batch 64 --seconds 0.5
PGC_GPU_FAST=1 run gpu_bench-tf32-b32 60 "$R/gpu_bench_tf32_b32.log" $gb --batch 32 --seconds 0.5
PGC_GPU_FAST=1 run gpu_bench-tf32-b64 60 "$R/gpu_bench_tf32_b64.log" $gb --batch 64 --seconds 0.5

# ---- 6. PyTorch on the same card ----
tpy=
for p in "${pythons[@]}"; do
    timeout 60 "$p" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null && { tpy=$p; break; }
done
if [ -z "$tpy" ]; then
    record torch skipped 0 "no python with torch and CUDA (${pythons[*]})"
else
    for prec in fp32 tf32; do
        run torch-$prec 150 "$R/torch_$prec.log" "$tpy" tests/bench/torch_bench.py --device cuda \
            --batches 1,32,64 --seconds 0.5 $([ $prec = tf32 ] && echo --tf32)
    done
fi

# ---- summary: bench.tsv and compare.tsv ----
{
    printf 'engine\tprecision\tarch\twidth\tbatch\tmode\timages_per_s\n'
    for f in "$R"/gpu_bench_*.log; do
        [ -f "$f" ] || continue
        prec=$(basename "$f" | cut -d_ -f3)
        # batch 1 comes in every log: take it from the batch-32 ones
        one=$(case $f in *_b32.log) echo 1 ;; *) echo 0 ;; esac)
        awk -v prec="$prec" -v one="$one" '$1 ~ /^(dcfpn|resnet50)$/ && NF >= 7 && $2 ~ /^[0-9]+$/ && $4 ~ /^[0-9.]+$/ && ($3 != 1 || one) {
            printf "pgcam\t%s\t%s\t%s\t%s\tinfer\t%s\n", prec, $1, $2, $3, $5
            printf "pgcam\t%s\t%s\t%s\t%s\tcam\t%s\n", prec, $1, $2, $3, $6
            printf "pgcam\t%s\t%s\t%s\t%s\ttrain\t%s\n", prec, $1, $2, $3, $7 }' "$f"
    done
    for prec in fp32 tf32; do
        [ -f "$R/torch_$prec.log" ] && awk -v prec="$prec" '$NF == "torch" && $2 ~ /^[0-9]+$/ {
            printf "torch\t%s\t%s\t%s\t%s\t%s\t%s\n", prec, $1, $2, $4, $5, $6 }' "$R/torch_$prec.log"
    done
} > "$R/bench.tsv"
awk -F'\t' 'NR == 1 { next }
    { k = $2 "\t" $3 "\t" $4 "\t" $5 "\t" $6; if ($1 == "pgcam") pg[k] = $7; else tc[k] = $7; if (!(k in seen)) { seen[k]; order[++n] = k } }
    END { print "precision\tarch\twidth\tbatch\tmode\tpgcam\ttorch\tratio"
          for (i = 1; i <= n; i++) { k = order[i]
              if ((k in pg) && (k in tc) && tc[k] > 0) printf "%s\t%s\t%s\t%.2f\n", k, pg[k], tc[k], pg[k] / tc[k] } }' \
    "$R/bench.tsv" > "$R/compare.tsv"
record summary pass 0 "bench.tsv: $(($(wc -l < "$R/bench.tsv") - 1)) rows; compare.tsv: $(($(wc -l < "$R/compare.tsv") - 1)) rows"
echo "gpu_session: $([ $failed = 0 ] && echo 'every step passed' || echo 'some steps FAILED') in $((SECONDS - start))s; $S" >&2
cat "$S" >&2
[ $failed = 0 ]
