#!/usr/bin/env python3
"""Judges the files a hostile-pass case left behind (tests/fuzz/hostile.sh).

    hostile_check.py RC FILE...

Prints one line per problem, nothing when all is well. A file is judged by its name:
*.png (chunks, CRCs, the image data inflates to its size), *.npy (numpy.load when numpy
is there, else the header), *.nii.gz (nibabel when there, else gzip and the header),
*.json (every line a JSON object), *.pgc (the stream's structure: whole, with its end
record, when RC is 0; never whole when RC is not 0 - a failed filter must not hand on
what looks like a finished stream), *.meta (UTF-8 'key: value' lines after '# dims:').
"""
import gzip
import json
import struct
import sys
import zlib

rc = int(sys.argv[1])
try:
    import numpy
except ImportError:
    numpy = None
try:
    import nibabel
except ImportError:
    nibabel = None


def png(p):
    b = open(p, "rb").read()
    if b[:8] != b"\x89PNG\r\n\x1a\n":
        return "not a PNG"
    i, idat, w = 8, b"", None
    while i < len(b):
        n, = struct.unpack(">I", b[i:i + 4])
        t, d, crc = b[i + 4:i + 8], b[i + 8:i + 8 + n], b[i + 8 + n:i + 12 + n]
        if len(crc) < 4 or zlib.crc32(t + d) != struct.unpack(">I", crc)[0]:
            return "bad chunk %r" % t
        if t == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", d[:10])
        if t == b"IDAT":
            idat += d
        i += 12 + n
        if t == b"IEND":
            break
    else:
        return "no IEND"
    if w is None:
        return "no IHDR"
    ch = {0: 1, 2: 3, 4: 2, 6: 4}.get(ctype, 1) * depth // 8
    raw = zlib.decompress(idat)
    if len(raw) != h * (1 + w * ch):
        return "image data of %d bytes, not %d" % (len(raw), h * (1 + w * ch))
    return None


def npy(p):
    if numpy is not None:
        numpy.load(p, allow_pickle=False)
        return None
    b = open(p, "rb").read(10)
    return None if b[:6] == b"\x93NUMPY" else "not a .npy"


def nii(p):
    if nibabel is not None:
        nibabel.load(p).get_fdata()
        return None
    gzip.open(p).read()
    return None


def meta(p):
    for k, line in enumerate(open(p, "rb").read().split(b"\n")[:-1]):
        line.decode("utf-8")
        if k == 0 and line.startswith(b"# dims:"):
            continue
        if b": " not in line:
            return "line %d is not 'key: value'" % (k + 1)
    return None


def pgc(p):
    b = open(p, "rb").read()
    if not b and rc != 0:
        return None
    i, whole = 0, False
    while i + 64 <= len(b):
        if b[i:i + 8] != b"\x89PGC\r\n\x1a\n":
            return "no stream header at byte %d" % i
        i += 64
        while i + 128 <= len(b):
            h = b[i:i + 128]
            if h[:4] != b"PGCR":
                return "no record tag at byte %d" % i
            if h[4] == 2:
                i += 128
                whole = True
                break
            m, = struct.unpack("<I", h[8:12])
            n, = struct.unpack("<Q", h[80:88])
            i += 128 + (m + 63) // 64 * 64 + (n + 63) // 64 * 64
            whole = False
        else:
            whole = False
            break
    if rc == 0 and (not whole or i != len(b)):
        return "stream is not whole (exit 0)"
    if rc != 0 and whole and i == len(b):
        return "a whole stream although the command failed"
    return None


def jsonl(p):
    for k, line in enumerate(open(p, encoding="utf-8")):
        if not isinstance(json.loads(line), dict):
            return "line %d is not an object" % (k + 1)
    return None


for p in sys.argv[2:]:
    kind = (png if p.endswith(".png") else npy if p.endswith(".npy") else
            nii if p.endswith(".nii.gz") or p.endswith(".nii") else
            jsonl if p.endswith(".json") else pgc if p.endswith(".pgc") else
            meta if p.endswith(".meta") else None)
    if kind is None or open(p, "rb").read(5) == b"KEEP\n":  # a user's file, judged apart
        continue
    try:
        why = kind(p)
    except Exception as ex:  # any reader failure is the finding
        why = "%s: %s" % (type(ex).__name__, str(ex)[:120])
    if why:
        print("%s: %s" % (p, why))
