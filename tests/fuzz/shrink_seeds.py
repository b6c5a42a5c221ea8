#!/usr/bin/env python3
"""Brings fuzz_filters' seeds within its harness's caps (tests/fuzz/filters_run.h):
the f32 planes of 32 x 32 (image, pgcam) are averaged down by 4 to 8 x 8, and what
refers to their pixels follows: boxes (truth, boxes) are divided by 4, each record's
transform and spacing multiplied by 4. Other records are kept as they are.
    python3 tests/fuzz/shrink_seeds.py tests/fuzz/seeds/filters/NAME..."""
import re
import struct
import sys

K = 4


def pad(n):
    return (n + 63) // 64 * 64


def scaled(meta):
    def tr(m):
        v = [float(x) for x in m.group(1).split()]
        v = [v[0] * K, v[1] * K, v[2], v[3] * K, v[4] * K, v[5]]
        return b"transform: " + " ".join("%.9g" % x for x in v).encode()
    meta = re.sub(rb"transform: ([^\n]*)", tr, meta)
    return re.sub(rb"spacing: ([^\n]*)", lambda m: b"spacing: " + " ".join(
        "%.9g" % (float(x) * K) for x in m.group(1).split()).encode(), meta)


def shrink(b):
    ctrl, s = b[:2], b[2:]
    out, at = [s[:64]], 64
    while at + 128 <= len(s) and s[at:at + 4] == b"PGCR" and s[at + 4] == 1:
        h = bytearray(s[at:at + 128])
        m, = struct.unpack_from("<I", h, 8)
        p, = struct.unpack_from("<Q", h, 80)
        meta, pay = s[at + 128:at + 128 + m], s[at + 128 + pad(m):at + 128 + pad(m) + p]
        at += 128 + pad(m) + pad(p)
        dt, rank = h[5], h[6]
        dims = struct.unpack_from("<%dQ" % rank, h, 16)
        big = dt == 5 and rank == 2 and dims[0] * dims[1] > 64 and dims[0] % K == 0 and dims[1] % K == 0
        boxes = dt == 5 and rank == 2 and dims[1] == 4 and re.search(rb"name: (truth|boxes)", meta)
        if big:
            y, x = dims[0] // K, dims[1] // K
            v = struct.unpack("<%df" % (dims[0] * dims[1]), pay)
            pay = struct.pack("<%df" % (y * x), *[
                sum(v[(K * i + a) * dims[1] + K * j + c] for a in range(K) for c in range(K)) / K / K
                for i in range(y) for j in range(x)])
            struct.pack_into("<QQ", h, 16, y, x)
        elif boxes:
            pay = struct.pack("<%df" % (len(pay) // 4), *[c / K for c in struct.unpack("<%df" % (len(pay) // 4), pay)])
        meta = scaled(meta)
        struct.pack_into("<I", h, 8, len(meta))
        struct.pack_into("<Q", h, 80, len(pay))
        out.append(bytes(h) + meta + bytes(pad(len(meta)) - len(meta)) + pay + bytes(pad(len(pay)) - len(pay)))
    return ctrl + b"".join(out) + s[at:]


for name in sys.argv[1:]:
    b = open(name, "rb").read()
    open(name, "wb").write(shrink(b))
