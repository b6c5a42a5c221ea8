#!/usr/bin/env python3
"""Writes a small PNG with only the standard library, for the e2e tests.

    mkpng.py KIND W H OUT.png     KIND: grey8 grey16 rgb rgba palette palette-trns
Pixel (x, y) holds the pattern p = (7x + 13y) % 256 in every channel (grey16: p * 257;
palette: index p % 4 into (p, p, p) greys; palette-trns: the same with a tRNS chunk
giving the entries alpha, which a reader ignores). Prints the expected grey mean.
"""
import struct
import sys
import zlib


def chunk(tag, data):
    c = struct.pack(">I", len(data)) + tag + data
    return c + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def main():
    kind, w, h, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    color, depth, plte = {"grey8": (0, 8), "grey16": (0, 16), "rgb": (2, 8),
                          "rgba": (6, 8), "palette": (3, 8), "palette-trns": (3, 8)}[kind] + (None,)
    rows, total = b"", 0
    for y in range(h):
        row = bytearray([0])  # filter type none
        for x in range(w):
            p = (7 * x + 13 * y) % 256
            if kind == "grey8":
                row.append(p); total += p
            elif kind == "grey16":
                row += struct.pack(">H", p * 257); total += p * 257
            elif kind == "rgb":
                row += bytes([p, p, p]); total += p
            elif kind == "rgba":
                row += bytes([p, p, p, 255 - p]); total += p
            else:
                row.append(p % 4); total += [0, 85, 170, 255][p % 4]
        rows += bytes(row)
    if kind.startswith("palette"):
        plte = bytes(v for g in (0, 85, 170, 255) for v in (g, g, g))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, 0))
    if plte:
        png += chunk(b"PLTE", plte)
    if kind == "palette-trns":
        png += chunk(b"tRNS", bytes([0, 128, 255]))  # entry 3 opaque by omission
    png += chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    open(out, "wb").write(png)
    print("%.4f" % (total / (w * h)))


main()
