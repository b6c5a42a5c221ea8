# tests/gpu_session.sh rehearsed without a GPU: where there is none it stops at once
# with one line and builds nothing, and it never waits on a stuck driver; its search
# for nvcc, cuDNN and cuBLAS finds them where a pip wheel puts them. (Every case here
# fakes nvidia-smi, so that on a GPU machine make test does not start a real session.)
. "$(dirname "$0")/lib.sh"
G=$TOP/tests/gpu_session.sh

expect_ok 'help goes to stdout and exits 0' '$G --help | grep -q "usage: tests/gpu_session.sh"'
expect_exit 2 'no results folder is a usage error' '$G'

# quick SECONDS CMD...: CMD finishes within SECONDS.
quick() { local t0=$SECONDS; "${@:2}"; local rc=$?; [ $((SECONDS - t0)) -le "$1" ] || { echo "took $((SECONDS - t0)) s"; return 99; }; return $rc; }

expect_exit 1 'without nvidia-smi it fails at once with one line' '
    NVIDIA_SMI=$T/nowhere/nvidia-smi quick 5 $G r1'
expect_ok '... naming the reason in summary.tsv, and builds nothing' '
    NVIDIA_SMI=$T/nowhere/nvidia-smi $G r1 2>err; grep -q "no nvidia-smi" err &&
    grep -q "^gpu	fail	0	no nvidia-smi" r1/summary.tsv && [ $(ls r1 | wc -l) -eq 1 ]'

mkdir -p "$T/fake"
printf '#!/bin/sh\necho "No devices were found"\nexit 6\n' > "$T/fake/nodev" && chmod +x "$T/fake/nodev"
printf '#!/bin/sh\nsleep 60\n' > "$T/fake/stuck" && chmod +x "$T/fake/stuck"
expect_exit 1 'a driver that finds no GPU: one line, at once' 'NVIDIA_SMI=$T/fake/nodev quick 5 $G r2'
expect_ok '... saying what nvidia-smi said' '
    NVIDIA_SMI=$T/fake/nodev $G r2 2>err; grep -q "finds no usable GPU: No devices were found" err'
expect_exit 1 'a stuck driver: one line after NVIDIA_SMI_TIMEOUT, never a hang' '
    NVIDIA_SMI=$T/fake/stuck NVIDIA_SMI_TIMEOUT=1 quick 10 $G r3'

expect_ok '--find takes cuDNN and cuBLAS from the wheels when CUDA_HOME has neither' '
    mkdir -p cuda/bin site/nvidia/cudnn/include site/nvidia/cudnn/lib site/nvidia/cublas/lib &&
    printf "#!/bin/sh\necho \"Cuda compilation tools, release 13.0, V13.0.88\"\n" > cuda/bin/nvcc && chmod +x cuda/bin/nvcc &&
    touch site/nvidia/__init__.py site/nvidia/cudnn/__init__.py site/nvidia/cublas/__init__.py \
        site/nvidia/cudnn/include/cudnn.h site/nvidia/cudnn/lib/libcudnn.so.9 \
        site/nvidia/cudnn/lib/libcudnn_graph.so.9 site/nvidia/cublas/lib/libcublas.so.13 &&
    PYTHONPATH=$T/site CUDA_HOME=$T/cuda NVCC=$T/cuda/bin/nvcc TORCH_PYTHON= $G --find r4 > cmd &&
    grep -q "CUDNN_INCLUDE=$T/site/nvidia/cudnn/include " cmd &&
    grep -q "CUDNN_LIB=$T/site/nvidia/cudnn/lib " cmd && grep -q "CUDNN_LINK=-l:libcudnn.so.9 " cmd &&
    grep -q "CUBLAS_LIB=$T/site/nvidia/cublas/lib " cmd && grep -q "CUBLAS_LINK=-l:libcublas.so.13 " cmd &&
    grep -q "^nvcc	pass	0	$T/cuda/bin/nvcc: release 13.0$" r4/summary.tsv'

expect_exit 1 '--find with an NVCC that is not there says so in one line' '
    NVCC=$T/nowhere/nvcc $G --find r5 > /dev/null'
