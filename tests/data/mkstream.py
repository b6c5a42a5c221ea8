#!/usr/bin/env python3
"""Writes a pgcam stream (format/stream.md) of hand-made records to stdout, for tests
that need inputs no pgc-* command would make.

    mkstream.py RECORD... > s.pgc

Each RECORD is 'META|DTYPE|DIMS|VALUES':
  META    metadata lines joined by ';' ("frame: a;name: image"), or @FILE for raw bytes
  DTYPE   u8 u16 i16 i32 f32 f64
  DIMS    sizes joined by 'x' ("16x16", "0x4"); empty for rank 0
  VALUES  numbers joined by ',', repeated to fill the tensor; empty for zeros
Dim names are 'box coord' for truth/boxes records, else 'y x' or 'c y x'.
'END' alone is an end-of-stream record; 'END|dtype=5,rank=1,dim0=3' sets fields a
valid one leaves zero (the writer adds the final end record itself unless --no-end).
"""
import struct
import sys

DT = {"u8": (1, "B"), "u16": (2, "H"), "i16": (3, "h"), "i32": (4, "i"), "f32": (5, "f"),
      "f64": (6, "d")}


def pad(b):
    return b + bytes(-len(b) % 64)


def end_record(fields=""):
    h = bytearray(128)
    h[0:4] = b"PGCR"
    h[4] = 2
    for kv in filter(None, fields.split(",")):
        k, v = kv.split("=")
        if k == "dtype": h[5] = int(v)
        elif k == "rank": h[6] = int(v)
        elif k.startswith("dim"): struct.pack_into("<Q", h, 16 + 8 * int(k[3:]), int(v))
        else: raise SystemExit("mkstream: unknown end field " + k)
    return bytes(h)


def tensor_record(spec):
    meta, dtype, dims, values = (spec.split("|") + ["", "", ""])[:4]
    if meta.startswith("@"):
        m = open(meta[1:], "rb").read()
    else:
        m = b"".join(line.encode() + b"\n" for line in meta.split(";") if line)
    code, fmt = DT[dtype or "f32"]
    shape = [int(d) for d in dims.split("x")] if dims else []
    n = 1
    for d in shape: n *= d
    vals = [float(v) if fmt in "fd" else int(v) for v in values.split(",") if v] or [0]
    payload = struct.pack("<%d%s" % (n, fmt), *[vals[i % len(vals)] for i in range(n)])
    boxes = b"name: truth\n" in m or b"name: boxes" in m
    names = (["box", "coord"] if boxes and len(shape) == 2 else
             ["y", "x"] if len(shape) == 2 else ["c", "y", "x"] if len(shape) == 3 else
             ["d%d" % i for i in range(len(shape))])
    return pack_record(m, code, shape, payload, names)


# The stream's 64-byte header (format/stream.md).
STREAM_HEADER = b"\x89PGC\r\n\x1a\n" + struct.pack("<HH", 1, 0) + bytes(52)


def pack_record(meta, code, shape, payload, names):
    """A tensor record of dtype code: the 128-byte header, then metadata and payload,
    each padded to 64 bytes. Names are str or bytes (tests/fuzz/hostile_seeds.py uses it
    for names no reader takes)."""
    h = bytearray(128)
    h[0:4] = b"PGCR"
    h[4], h[5], h[6] = 1, code, len(shape)
    struct.pack_into("<I", h, 8, len(meta))
    for i, d in enumerate(shape):
        struct.pack_into("<Q", h, 16 + 8 * i, d)
        nb = names[i].encode() if isinstance(names[i], str) else names[i]
        h[48 + 8 * i:48 + 8 * i + len(nb)] = nb
    struct.pack_into("<Q", h, 80, len(payload))
    return bytes(h) + pad(meta) + pad(payload)


def main(args):
    end = True
    if args and args[0] == "--no-end":
        end, args = False, args[1:]
    out = bytearray(STREAM_HEADER)
    for a in args:
        if a == "END" or a.startswith("END|"):
            out += end_record(a[4:])
        else:
            out += tensor_record(a)
    if end:
        out += end_record()
    sys.stdout.buffer.write(out)


if __name__ == "__main__":  # tests/fuzz/hostile_seeds.py and hardening.sh import it
    main(sys.argv[1:])
