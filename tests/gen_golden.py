#!/usr/bin/python3
"""Writes golden tensors from PyTorch for tests/unit/nn_golden.c. Run with Debian's
python3-torch:  /usr/bin/python3 tests/gen_golden.py

tests/golden/dcfpn_w1.bin: a tiny dcfpn built exactly as format/network.md writes
it (X(p) materialised, one 31w BN): weights, input, and every output in full.
tests/golden/<arch>.bin for fpn, multigap, multigap-dc, resnet50: weights and input
come from a formula that the C test computes too (xoshiro256** seeded by a hash of the
parameter name), so only summaries of the outputs are stored: for each tensor
(sum, sum of |v|, v[0], v[1 % n], v[2 % n], v[n - 1]).

File: magic b"PGCGOLD1", then records until EOF, all little-endian:
u32 name length, name (ASCII), u32 rank, u32 dims[rank], f32 data (C order).
"""
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(20261126)
torch.set_default_dtype(torch.float64)  # golden values in f64, stored as f32
W, N, H, WD = 1, 2, 32, 32


class Block(nn.Module):  # conv3x3 BN ReLU, conv3x3 BN ReLU
    def __init__(self, cin, c):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, c, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(x)))


class Dec(Block):
    def __init__(self, cin, c):
        super().__init__(2 * c, c)
        self.up = nn.ConvTranspose2d(cin, c, 2, 2)
        self.bn = nn.BatchNorm2d(2 * c)


class Head(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bn = nn.BatchNorm2d(c)
        self.fc = nn.Linear(c, 2)


class DCFPN(nn.Module):
    def __init__(self, w):
        super().__init__()
        c = [None] + [w << p for p in range(5)]
        self.enc1, self.enc2, self.enc3, self.enc4, self.enc5 = (
            Block(1 if p == 1 else c[p - 1], c[p]) for p in range(1, 6))
        xc = c[5]
        decs = {}
        for p in (4, 3, 2, 1):
            decs[p] = Dec(xc, c[p])
            xc = c[p] + xc
        self.dec4, self.dec3, self.dec2, self.dec1 = decs[4], decs[3], decs[2], decs[1]
        self.head = Head(xc)

    def forward(self, x):
        e = [None, self.enc1(x)]
        for p in range(2, 6):
            e.append(getattr(self, f"enc{p}")(F.max_pool2d(e[-1], 2)))
        d = {5: e[5]}
        X = e[5]
        for p in (4, 3, 2, 1):
            dec = getattr(self, f"dec{p}")
            j = dec.bn(torch.cat([dec.up(X), e[p]], 1))
            d[p] = dec(j)
            X = torch.cat([d[p], F.interpolate(X, scale_factor=2, mode="nearest")], 1)
        z = self.head.fc(self.head.bn(X).mean((2, 3)))
        return z, [d[p] for p in range(1, 6)]


M64 = (1 << 64) - 1


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return x, z ^ (z >> 31)


class Rng:  # lib/nn/rng.c: xoshiro256** seeded by splitmix64
    def __init__(self, seed):
        self.s = []
        for _ in range(4):
            seed, z = splitmix64(seed)
            self.s.append(z)

    def next(self):
        s = self.s
        rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & M64
        out = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t
        s[3] = rotl(s[3], 45)
        return out

    def uniform(self):
        return (self.next() >> 11) * 2.0 ** -53


def fnv1a(name):
    h = 0xCBF29CE484222325
    for b in name.encode():
        h = ((h ^ b) * 0x100000001B3) & M64
    return h


def formula(name, shape):
    """Deterministic values for a parameter, as tests/unit/nn_golden.c makes them."""
    n = 1
    for d in shape:
        n *= d
    suf = name.rsplit(".", 1)[-1]
    if suf == "running_var":
        lo, hi = 0.5, 1.5
    elif suf == "running_mean":
        lo, hi = -0.3, 0.3
    elif suf == "bias" or name == "input":
        lo, hi = (-0.1, 0.1) if name != "input" else (-1.7, 1.7)
    elif len(shape) == 1:
        lo, hi = 0.8, 1.2
    else:
        if len(shape) == 2:
            fan = shape[1]
        elif ".up." in name:
            fan = shape[0]
        else:
            fan = shape[1] * shape[2] * shape[3]
        a = (6.0 / fan) ** 0.5
        lo, hi = -a, a
    r = Rng(fnv1a(name))
    v = [lo + (hi - lo) * r.uniform() for _ in range(n)]
    return torch.tensor(v, dtype=torch.float32).reshape(shape).to(torch.float64)


class FPN(DCFPN):
    """format/network.md's ablations: dense connections on or off, BN+GAP or multi-GAP head."""

    def __init__(self, w, dense, multigap):
        nn.Module.__init__(self)
        self.dense, self.multigap = dense, multigap
        c = [None] + [w << p for p in range(5)]
        self.enc1, self.enc2, self.enc3, self.enc4, self.enc5 = (
            Block(1 if p == 1 else c[p - 1], c[p]) for p in range(1, 6))
        xc = c[5]
        decs = {}
        for p in (4, 3, 2, 1):
            decs[p] = Dec(xc, c[p])
            xc = c[p] + xc if dense else c[p]
        self.dec4, self.dec3, self.dec2, self.dec1 = decs[4], decs[3], decs[2], decs[1]
        self.head = Head(31 * w if multigap else xc)
        if multigap:
            del self.head.bn

    def forward(self, x):
        e = [None, self.enc1(x)]
        for p in range(2, 6):
            e.append(getattr(self, f"enc{p}")(F.max_pool2d(e[-1], 2)))
        d = {5: e[5]}
        X = e[5]
        for p in (4, 3, 2, 1):
            dec = getattr(self, f"dec{p}")
            j = dec.bn(torch.cat([dec.up(X), e[p]], 1))
            d[p] = dec(j)
            if self.dense:
                X = torch.cat([d[p], F.interpolate(X, scale_factor=2, mode="nearest")], 1)
            else:
                X = d[p]
        if self.multigap:
            g = torch.cat([d[p].mean((2, 3)) for p in range(1, 6)], 1)
        else:
            g = self.head.bn(X).mean((2, 3))
        return self.head.fc(g), [d[p] for p in range(1, 6)]


class Bottleneck(nn.Module):  # torchvision's, stride on the 3x3
    def __init__(self, cin, planes, stride, down):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = nn.Sequential(
            nn.Conv2d(cin, planes * 4, 1, stride, bias=False),
            nn.BatchNorm2d(planes * 4)) if down else None

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


class ResNet50(nn.Module):
    def __init__(self, base):
        super().__init__()
        self.conv1 = nn.Conv2d(1, base, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(base)
        cin = base
        for l, nb in enumerate((3, 4, 6, 3)):
            blocks = []
            for j in range(nb):
                blocks.append(Bottleneck(cin, base << l, 2 if j == 0 and l > 0 else 1, j == 0))
                cin = (base << l) * 4
            setattr(self, f"layer{l + 1}", nn.Sequential(*blocks))
        self.fc = nn.Linear(cin, 2)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        for l in range(1, 5):
            x = getattr(self, f"layer{l}")(x)
        return self.fc(x.mean((2, 3))), [x]


def summary(t):
    v = t.detach().reshape(-1).to(torch.float64)
    n = v.numel()
    return torch.tensor([v.sum(), v.abs().sum(), v[0], v[1 % n], v[2 % n], v[-1]])


def write(path, recs):
    with open(path, "wb") as f:
        f.write(b"PGCGOLD1")
        for name, t in recs:
            t = t.detach().to(torch.float32).contiguous()
            nb = name.encode()
            f.write(struct.pack("<I", len(nb)) + nb)
            f.write(struct.pack("<I", t.dim()) + struct.pack(f"<{t.dim()}I", *t.shape))
            f.write(t.numpy().astype("<f4").tobytes())
    print(f"{path}: {len(recs)} tensors, {os.path.getsize(path)} bytes")


def compact(arch, net, n, h, w, path):
    """Formula weights; summaries of logits, Grad-CAM tensors, gradients, stats."""
    with torch.no_grad():
        for k, t in net.state_dict().items():
            if "num_batches" not in k:
                t.copy_(formula(k, tuple(t.shape)))
    x = formula("input", (n, 1, h, w))
    labels = torch.tensor([1, 0] * (n // 2))
    recs = [("shape", torch.tensor([n, h, w], dtype=torch.float32))]
    net.eval()
    z, feats = net(x)
    for f in feats:
        f.retain_grad()
    z[:, 1].sum().backward()
    recs.append(("eval.logits", z))
    for p, f in enumerate(feats, 1):
        recs.append((f"eval.feat.s{p}", summary(f)))
        recs.append((f"eval.grad.s{p}", summary(f.grad)))
    net.zero_grad()
    net.train()
    z, _ = net(x)
    loss = F.cross_entropy(z, labels)
    loss.backward()
    recs.append(("train.logits", z))
    recs.append(("train.loss", loss.reshape(1)))
    for k, p in net.named_parameters():
        recs.append((f"train.grad.{k}", summary(p.grad)))
    for k, v in net.state_dict().items():
        if "running" in k:
            recs.append((f"train.after.{k}", summary(v)))
    write(path, recs)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "golden", f"dcfpn_w{W}.bin")
    net = DCFPN(W)
    with torch.no_grad():  # non-trivial BN affine and running statistics
        for name, t in net.state_dict().items():
            if name.endswith("running_var"):
                t.uniform_(0.5, 1.5)
            elif name.endswith("running_mean"):
                t.normal_(0, 0.3)
            elif ".bn" in name and name.endswith("weight"):
                t.uniform_(0.8, 1.2)
            elif ".bn" in name and name.endswith("bias"):
                t.normal_(0, 0.1)
    x = torch.randn(N, 1, H, WD)
    labels = torch.tensor([1, 0])
    recs = []

    def put(name, t):
        recs.append((name, t.detach().to(torch.float32).contiguous()))

    state = {k: v.clone() for k, v in net.state_dict().items() if "num_batches" not in k}
    for k, v in state.items():
        put(k, v)
    put("input", x)
    put("labels", labels.to(torch.float32))

    # Inference mode, Grad-CAM: d logit_1 / d f^{s_p}
    net.eval()
    z, feats = net(x)
    for f in feats:
        f.retain_grad()
    z[:, 1].sum().backward()
    put("eval.logits", z)
    for p, f in enumerate(feats, 1):
        put(f"eval.feat.s{p}", f)
        put(f"eval.grad.s{p}", f.grad)

    # Training mode: batch statistics, cross-entropy, parameter gradients
    net.zero_grad()
    net.train()
    z, _ = net(x)
    loss = F.cross_entropy(z, labels)
    loss.backward()
    put("train.logits", z)
    put("train.loss", loss.reshape(1))
    for k, p in net.named_parameters():
        put(f"train.grad.{k}", p.grad)
    for k, v in net.state_dict().items():
        if "running" in k:
            put(f"train.after.{k}", v)

    write(out, recs)
    gdir = os.path.dirname(out)
    for arch, dense, mg in (("fpn", 0, 0), ("multigap", 0, 1), ("multigap-dc", 1, 1)):
        compact(arch, FPN(2, dense, mg), 2, 32, 32, os.path.join(gdir, f"{arch}.bin"))
    compact("resnet50", ResNet50(4), 2, 64, 64, os.path.join(gdir, "resnet50.bin"))


if __name__ == "__main__":
    main()
