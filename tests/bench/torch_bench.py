#!/usr/bin/python3
"""PyTorch's speed on the networks nn_bench measures, for a side-by-side comparison.

The same networks (format/network.md: dcfpn w16 and w32, ResNet-50 with a 1-channel stem), the same
input (one channel, size x size, normal noise), batch sizes, modes and thread count as
tests/bench/nn_bench.c, and rows in nn_bench's layout with a trailing `torch` tag:
    torch_bench.py                        the suite: dcfpn w16, w32, resnet50, batch 1 and 8,
                                          then dcfpn w16 batch 32 train (its memory), then
                                          dcfpn w8 128x128 batch 16 train on 1 thread
    torch_bench.py --arch A --width W --size S --batch B --mode infer|cam|train
As in nn_bench, --batch applies only with --arch (the suite runs batches 1 and 8, or
--batches). On a GPU (--device cuda, for tests/gpu_session.sh beside gpu_bench): the same
networks on the card, TF32 off unless --tf32 (which allows it for convolutions and
matrix products, as PGC_GPU_FAST=1 does for pgcam); cuDNN's default algorithm choice in
both (torch.backends.cudnn.benchmark stays off); each step ends with a synchronize.

Modes:
    infer  eval mode under no_grad: forward only.
    cam    eval mode: forward, then the Grad-CAM backward: the gradient of the tumour
           logit (class 1, summed over the batch) with respect to the pyramid scales
           (d1..d4, e5; ResNet-50: layer4's output), no parameter gradients.
           Autograd stops at the scales, so it does not reach the encoder below e5.
    train  train mode: forward, softmax cross-entropy, backward, one Adam step
           (lr 1e-4, betas 0.9/0.999, eps 1e-8, as nn_bench).
dcfpn is written the plain PyTorch way: X(p) = concat(d_p, upsample(X(p+1))) is
materialised, the transposed convolutions read all of it, and the head's BN normalises
the full 31w-channel X1 (nn_bench's pgcam folds the upsampled parts instead).

Columns as nn_bench: images/s in wall time; GFLOP/s counts the multiply-adds this torch
graph executes in one forward (convolutions, transposed convolutions, FC; measured with
hooks), times 1 (infer), 2 (cam), 3 (train) as nn_bench does; img/cpu-s divides by the
process's CPU seconds (all threads); %peak compares GFLOP per CPU second with a core's
peak given by --core-gflops (nn_bench's "GFLOP per CPU second per core"), else "-";
peak MiB: the peak resident memory of the child process that ran the row (on the CPU;
"-" on a GPU or where fork is missing), as nn_bench's last column.
Only /usr/bin/python3 with torch (Debian's python3-torch) is needed; not torchvision.
"""
import argparse
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MODES = ("infer", "cam", "train")


# ---- networks ----

def conv_bn_relu(cin, cout):
    return [nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True)]


def double_conv(cin, cout):
    """conv3x3 BN ReLU, conv3x3 BN ReLU (stride 1, padding 1, no bias)."""
    return nn.Sequential(*conv_bn_relu(cin, cout), *conv_bn_relu(cout, cout))


class DCFPN(nn.Module):
    """format/network.md's DC-FPN with dense connections, X(p) materialised."""

    def __init__(self, w):
        super().__init__()
        c = [0] + [w << (p - 1) for p in range(1, 6)]          # c[1..5] = w .. 16w
        self.enc = nn.ModuleList(double_conv(1 if p == 1 else c[p - 1], c[p])
                                 for p in range(1, 6))
        ups, bns, decs = {}, {}, {}
        xch = c[5]                                              # X5 = e5
        for p in (4, 3, 2, 1):
            ups[str(p)] = nn.ConvTranspose2d(xch, c[p], 2, stride=2, bias=True)
            bns[str(p)] = nn.BatchNorm2d(2 * c[p])              # joint BN after concat
            decs[str(p)] = double_conv(2 * c[p], c[p])
            xch = c[p] + xch                                    # X(p) = concat(d_p, up(X(p+1)))
        assert xch == 31 * w
        self.up, self.jbn, self.dec = nn.ModuleDict(ups), nn.ModuleDict(bns), nn.ModuleDict(decs)
        self.head_bn = nn.BatchNorm2d(xch)
        self.fc = nn.Linear(xch, 2)

    def forward(self, x):
        """Returns the logits (N, 2) and the scales [d1, d2, d3, d4, e5]."""
        e = [None] * 6
        h = x
        for p in range(1, 6):
            if p > 1:
                h = F.max_pool2d(h, 2, 2)
            h = self.enc[p - 1](h)
            e[p] = h
        d = [None] * 6
        d[5] = X = e[5]
        for p in (4, 3, 2, 1):
            k = str(p)
            j = self.jbn[k](torch.cat([self.up[k](X), e[p]], 1))
            d[p] = self.dec[k](j)
            X = torch.cat([d[p], F.interpolate(X, scale_factor=2, mode="nearest")], 1)
        z = self.fc(self.head_bn(X).mean((2, 3)))
        return z, d[1:6]


class Bottleneck(nn.Module):
    """torchvision's ResNet v1.5 bottleneck (stride on the 3x3)."""

    def __init__(self, cin, planes, stride, down):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = (nn.Sequential(nn.Conv2d(cin, planes * 4, 1, stride, bias=False),
                                         nn.BatchNorm2d(planes * 4)) if down else None)

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        sc = self.downsample(x) if self.downsample is not None else x
        return self.relu(y + sc)


class ResNet50(nn.Module):
    """torchvision's resnet50 layout with a 1-channel stem and 2 classes."""

    def __init__(self, base=64):
        super().__init__()
        self.conv1 = nn.Conv2d(1, base, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(base)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        layers, cin = [], base
        for l, n in enumerate((3, 4, 6, 3)):
            planes = base << l
            blocks = []
            for j in range(n):
                blocks.append(Bottleneck(cin, planes, 2 if j == 0 and l > 0 else 1, j == 0))
                cin = planes * 4
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.fc = nn.Linear(cin, 2)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        a = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(a.mean((2, 3))), [a]


def build(arch, width):
    if arch == "dcfpn":
        net = DCFPN(width)
    elif arch == "resnet50":
        net = ResNet50(width)
    else:
        raise SystemExit(f"torch_bench: arch {arch!r} is not here (dcfpn, resnet50)")
    # torchvision's initialisation: keeps activations of order 1 (no denormals) in eval mode
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    return net


# ---- multiply-adds, counted on the graph as it runs ----

class MacCounter:
    def __init__(self, net):
        self.macs = 0.0
        self.hooks = [m.register_forward_hook(self.hook) for m in net.modules()
                      if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))]

    def hook(self, m, inp, out):
        x = inp[0]
        if isinstance(m, nn.Conv2d):
            kh, kw = m.kernel_size
            self.macs += out.numel() * (m.in_channels // m.groups) * kh * kw
        elif isinstance(m, nn.ConvTranspose2d):
            kh, kw = m.kernel_size
            self.macs += x.numel() * (m.out_channels // m.groups) * kh * kw
        else:
            self.macs += x.numel() * m.out_features

    def remove(self):
        for h in self.hooks:
            h.remove()


# ---- one measurement ----

def run(arch, width, size, batch, mode, secs, device="cpu"):
    torch.manual_seed(3)
    net = build(arch, width).to(device)
    x = torch.randn(batch, 1, size, size).to(device)
    lab = torch.tensor([i & 1 for i in range(batch)]).to(device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    opt = None
    if mode == "train":
        net.train()
        opt = torch.optim.Adam(net.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8)
    else:
        net.eval()

    def step():
        if mode == "infer":
            with torch.no_grad():
                net(x)
        elif mode == "cam":
            z, scales = net(x)
            torch.autograd.grad(z[:, 1].sum(), scales)
        else:
            opt.zero_grad(set_to_none=True)
            z, _ = net(x)
            F.cross_entropy(z, lab).backward()
            opt.step()
        sync()

    counter = MacCounter(net)
    step()  # the first step warms caches and the allocator (and counts the MACs)
    counter.remove()
    steps = 0
    t0, c0 = time.perf_counter(), time.process_time()
    while True:
        step()
        steps += 1
        if time.perf_counter() - t0 >= secs:
            break
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    mult = {"infer": 1, "cam": 2, "train": 3}[mode]
    flop = 2 * counter.macs * mult * steps
    return steps * batch / dt, flop / dt / 1e9, steps * batch / dc, flop / dc / 1e9


def parser():
    ap = argparse.ArgumentParser(description="PyTorch counterpart of nn_bench")
    ap.add_argument("--arch")
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--mode", choices=MODES)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--core-gflops", type=float, default=0.0,
                    help="a core's peak GFLOP per CPU second (nn_bench's), for %%peak")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--tf32", action="store_true", help="cuda: allow TF32 (default: FP32 math)")
    ap.add_argument("--batches", default="1,8", help="the suite's batch sizes (default 1,8)")
    ap.add_argument("--profile", action="store_true", help="accepted for nn_bench's sake; ignored")
    ap.add_argument("--profile-cpu", action="store_true", help="accepted; ignored")
    return ap


def parse(ap, argv=None):
    """The checked arguments, with a.batches as a list of ints."""
    a = ap.parse_args(argv)
    if a.size <= 0 or a.size % 16 or a.batch <= 0 or a.threads <= 0:
        ap.error("size must be a positive multiple of 16; batch and threads positive")
    try:
        batches = [int(b) for b in a.batches.split(",")]
        assert batches and min(batches) > 0
    except (ValueError, AssertionError):
        ap.error(f"--batches wants positive numbers separated by commas, not {a.batches!r}")
    a.batches = batches
    return a


def jobs(a):
    """(arch, width, size, batch, modes, threads) for each row group, in nn_bench's order;
    the suite ends with nn_bench's memory row (dcfpn w16, batch 32, training) and its
    training recipe row: dcfpn w8 at 128x128, batch 16, training, one thread. tests/bench/onnx_export.py exports the same jobs' networks."""
    if a.arch:
        return [(a.arch, a.width, a.size, a.batch, MODES, a.threads)]
    out = [(arch, w, a.size, b, MODES, a.threads)
           for arch, w in (("dcfpn", 16), ("dcfpn", 32), ("resnet50", 64)) for b in a.batches]
    if a.device == "cpu":
        out.append(("dcfpn", 16, a.size, 32, ("train",), a.threads))
        out.append(("dcfpn", 8, 128, 16, ("train",), 1))
    return out


def run_child(args):
    """run(*args) in a forked child, as nn_bench runs its rows: returns its result and the
    child's peak resident memory in MiB (ru_maxrss), or raises what run raised there."""
    import pickle
    sys.stdout.flush()
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rd)
        try:
            out = ("ok", run(*args))
        except (RuntimeError, ValueError) as e:
            out = ("err", type(e), str(e))
        with os.fdopen(wr, "wb") as f:
            pickle.dump(out, f)
        os._exit(0)
    os.close(wr)
    with os.fdopen(rd, "rb") as f:
        data = f.read()
    _, status, ru = os.wait4(pid, 0)
    if not data or status != 0:
        raise RuntimeError(f"the row's process ended with status {status}")
    out = pickle.loads(data)
    if out[0] == "err":
        raise out[1](out[2])
    return out[1], ru.ru_maxrss / 1024.0  # KiB on Linux


def main():
    a = parse(parser())
    torch.set_num_threads(a.threads)
    if a.device == "cuda":
        if not torch.cuda.is_available():
            print("torch_bench: torch has no usable CUDA device here", file=sys.stderr)
            return 1
        torch.backends.cuda.matmul.allow_tf32 = a.tf32
        torch.backends.cudnn.allow_tf32 = a.tf32
        print(f"torch {torch.__version__} on {torch.cuda.get_device_name(0)} (CUDA "
              f"{torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}), "
              f"{'TF32' if a.tf32 else 'FP32'}; dcfpn with X(p) materialised; "
              f"GFLOP/s from the MACs torch executes")
    else:
        print(f"torch {torch.__version__} on {torch.get_num_threads()} threads "
              f"(oneDNN {'on' if torch.backends.mkldnn.is_available() else 'off'}); "
              f"dcfpn with X(p) materialised; GFLOP/s from the MACs torch executes")
    print(f"{'arch':<10} {'width':>5} {'size':>5} {'batch':>5} {'mode':<6} {'images/s':>10} "
          f"{'GFLOP/s':>8} {'img/cpu-s':>10} {'%peak':>7} {'threads':>7} {'peak MiB':>8}")

    if a.arch and a.arch not in ("dcfpn", "resnet50"):
        print(f"# torch_bench: only dcfpn and resnet50 are written here; {a.arch} skipped")
        return 0
    for arch, width, size, batch, modes, threads in jobs(a):
        if a.device == "cpu":
            torch.set_num_threads(threads)
        for mode in modes:
            if a.mode and mode != a.mode:
                continue
            args = (arch, width, size, batch, mode, a.seconds, a.device)
            try:
                # a child per row on the CPU, so that its peak memory is its own
                if a.device == "cpu" and hasattr(os, "fork"):
                    (img_s, gf, img_cpu, gf_cpu), rss = run_child(args)
                    mib = f"{rss:8.0f}"
                else:
                    img_s, gf, img_cpu, gf_cpu = run(*args)
                    mib = f"{'-':>8}"
            except (RuntimeError, ValueError) as e:  # out of memory; BN over 1 value (train)
                msg = str(e).splitlines()[0] if str(e) else type(e).__name__
                print(f"# {arch} {width} {size} {batch} {mode}: torch failed: {msg}",
                      flush=True)
                continue
            peak = f"{100 * gf_cpu / a.core_gflops:6.1f}%" if a.core_gflops > 0 else f"{'-':>7}"
            print(f"{arch:<10} {width:5d} {size:5d} {batch:5d} {mode:<6} {img_s:10.2f} "
                  f"{gf:8.1f} {img_cpu:10.2f} {peak} {threads:7d} {mib} torch", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
