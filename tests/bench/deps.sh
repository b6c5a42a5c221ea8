#!/usr/bin/env bash
# make bench-deps: the benchmark's optional comparisons, installed where missing (run it
# again: it only checks).
#   python3-torch      Debian's PyTorch for /usr/bin/python3 (apt-get; needs root), for
#                      torch_bench.py and for exporting the networks to ONNX
#   onnxruntime-node   ONNX Runtime's CPU build from the npm registry, version
#                      $ORT_VERSION (default 1.30.0), into $ORT_DIR/node_modules (default
#                      build/onnx, ignored by git; `make clean` removes it), with
#                      ONNXRUNTIME_NODE_INSTALL=skip so that its install script (which npm 11
#                      leaves unrun anyway, with a warning) downloads no CUDA build: the
#                      package itself carries the CPU build for linux x64
# Needs node and npm (Debian's nodejs and npm). About 300 MB of npm packages.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
py=${TORCH_PYTHON:-/usr/bin/python3}
dir=${ORT_DIR:-$root/build/onnx}
ver=${ORT_VERSION:-1.30.0}

if "$py" -c 'import torch' 2>/dev/null; then
    echo "bench-deps: torch $("$py" -c 'import torch; print(torch.__version__)') for $py: there"
elif [ "$py" = /usr/bin/python3 ]; then
    echo "bench-deps: installing Debian's python3-torch"
    sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get install -y python3-torch
else
    echo "bench-deps: $py has no torch; install it there (TORCH_PYTHON is yours)" >&2
    exit 1
fi

for t in node npm; do
    command -v "$t" >/dev/null || { echo "bench-deps: $t is missing (apt-get install nodejs npm)" >&2; exit 1; }
done
have=$(NODE_PATH=$dir/node_modules node -e \
    'try { console.log(require("onnxruntime-node").env.versions.node) } catch (e) {}' 2>/dev/null || true)
if [ "$have" = "$ver" ]; then
    echo "bench-deps: onnxruntime-node $have in $dir/node_modules: there"
    exit 0
fi
echo "bench-deps: installing onnxruntime-node $ver (CPU) into $dir/node_modules${have:+ (was $have)}"
mkdir -p "$dir"
[ -f "$dir/package.json" ] || echo '{ "private": true }' > "$dir/package.json"
ONNXRUNTIME_NODE_INSTALL=skip npm install --prefix "$dir" --no-audit --no-fund --no-package-lock \
    "onnxruntime-node@$ver"
got=$(NODE_PATH=$dir/node_modules node -e 'console.log(require("onnxruntime-node").env.versions.node)')
echo "bench-deps: onnxruntime-node $got loads"
