#!/usr/bin/python3
"""The networks torch_bench measures, exported to ONNX for tests/bench/ort_bench.js.

Takes torch_bench.py's arguments (the same jobs: the suite, or one --arch row) plus
--out DIR (default build/onnx). For every job with an inference row it builds the very
network torch_bench times (torch.manual_seed(3), torch_bench.build, eval mode: the same
weights), and writes to DIR, unless they are there and newer than this script and
torch_bench.py:
    ARCH-wW-sS-bB.onnx     the logits (B, 2) of input x (B, 1, S, S); static shapes,
                           opset 17, constants folded (torch's eval export folds
                           BN into the convolution before it where it can)
    ARCH-wW-sS-bB.in.f32   torch_bench's input for that row (torch.randn after the
                           build), raw little-endian float32
    ARCH-wW-sS-bB.out.f32  PyTorch's logits for that input, for ort_bench.js --check
    ARCH-wW-sS-bB.macs     the multiply-adds of one forward (torch_bench's count)
and prints one manifest line per job on stdout: arch width size batch threads path.
torch.onnx.export writes the protobuf itself: the `onnx` Python package is not needed
(Debian's python3-torch 1.13 alone).
"""
import os
import sys
import warnings

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_bench  # noqa: E402

OPSET = 17
# torch 1.13's exporter warns for every folded constant ("shape inference of
# prim::Constant type is missing"); the graph's shapes are static and checked by --check.
warnings.filterwarnings("ignore", message="The shape inference of prim::Constant")


class Logits(torch.nn.Module):
    """The network's first output only: the scales are not needed for inference."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)[0]


def export(arch, width, size, batch, base):
    torch.manual_seed(3)                       # as torch_bench.run: the same weights ...
    net = torch_bench.build(arch, width).eval()
    x = torch.randn(batch, 1, size, size)      # ... and the same input
    counter = torch_bench.MacCounter(net)
    with torch.no_grad():
        z, _ = net(x)
    counter.remove()
    tmp = base + ".tmp.onnx"
    torch.onnx.export(Logits(net), x, tmp, opset_version=OPSET, do_constant_folding=True,
                      input_names=["x"], output_names=["logits"])
    x.numpy().astype("<f4").tofile(base + ".in.f32")
    z.numpy().astype("<f4").tofile(base + ".out.f32")
    with open(base + ".macs", "w") as f:
        f.write(f"{counter.macs:.0f}\n")
    os.replace(tmp, base + ".onnx")            # last: its presence says the rest is there


def main():
    ap = torch_bench.parser()
    ap.description = "torch_bench's networks as ONNX files, and their manifest"
    ap.add_argument("--out", default="build/onnx", help="directory (default build/onnx)")
    a = torch_bench.parse(ap)
    if a.arch and a.arch not in ("dcfpn", "resnet50"):
        return 0
    if a.mode and a.mode != "infer":
        return 0
    os.makedirs(a.out, exist_ok=True)
    here = os.path.dirname(os.path.abspath(__file__))
    newest = max(os.path.getmtime(os.path.join(here, f))
                 for f in ("onnx_export.py", "torch_bench.py"))
    torch.set_num_threads(a.threads)
    for arch, width, size, batch, modes, threads in torch_bench.jobs(a):
        if "infer" not in modes:
            continue
        base = os.path.join(a.out, f"{arch}-w{width}-s{size}-b{batch}")
        have = all(os.path.exists(base + e) for e in (".onnx", ".in.f32", ".out.f32", ".macs"))
        if not have or os.path.getmtime(base + ".onnx") < newest:
            print(f"# onnx_export: {base}.onnx (opset {OPSET}, torch {torch.__version__})",
                  file=sys.stderr, flush=True)
            export(arch, width, size, batch, base)
        print(arch, width, size, batch, threads, base + ".onnx", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
