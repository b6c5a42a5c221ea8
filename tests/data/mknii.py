#!/usr/bin/env python3
"""Writes small NIfTI-1/2 volumes (standard library only) for the e2e tests.

    mknii.py OUT [options]
  --v2                 NIfTI-2 (default NIfTI-1)
  --be                 big-endian (default little-endian)
  --gz                 gzip the file
  --dtype T            u8 i16 u16 i32 f32 f64 (default i16)
  --dims I J K         extents (default 4 5 6)
  --expr E             voxel value as a Python expression of i, j, k (default
                       100*i + 10*j + k)
  --sform R            sform rows 'a b c d; e f g h; i j k l' (sform_code 1)
  --qform B C D QFAC   qform quaternion and qfac (qform_code 1)
                       (neither: both codes 0, the array axes are R, A, S)
  --pixdim X Y Z       voxel sizes (default 1 1 1)
  --scl S I            scl_slope and scl_inter (default 0 0: none)
  --ext N              N bytes of header extension before the data
  --set F=V            override a header field after the fact: sizeof_hdr, dim0..dim7,
                       datatype, bitpix, vox_offset, scl_slope, magic (text)
  --cut N              drop the last N bytes of the (compressed) file
"""
import argparse
import gzip
import struct
import sys

DT = {"u8": (2, 8, "B"), "i16": (4, 16, "h"), "u16": (512, 16, "H"), "i32": (8, 32, "i"),
      "f32": (16, 32, "f"), "f64": (64, 64, "d")}
# field: (nifti-1 offset, format), (nifti-2 offset, format)
F1 = {"sizeof_hdr": (0, "i"), "dim": (40, "8h"), "datatype": (70, "h"), "bitpix": (72, "h"),
      "pixdim": (76, "8f"), "vox_offset": (108, "f"), "scl_slope": (112, "f"),
      "scl_inter": (116, "f"), "qform_code": (252, "h"), "sform_code": (254, "h"),
      "quatern": (256, "3f"), "qoffset": (268, "3f"), "srow": (280, "12f"), "magic": (344, "4s")}
F2 = {"sizeof_hdr": (0, "i"), "magic": (4, "8s"), "datatype": (12, "h"), "bitpix": (14, "h"),
      "dim": (16, "8q"), "pixdim": (104, "8d"), "vox_offset": (168, "q"),
      "scl_slope": (176, "d"), "scl_inter": (184, "d"), "qform_code": (344, "i"),
      "sform_code": (348, "i"), "quatern": (352, "3d"), "qoffset": (376, "3d"),
      "srow": (400, "12d")}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--v2", action="store_true")
    p.add_argument("--be", action="store_true")
    p.add_argument("--gz", action="store_true")
    p.add_argument("--dtype", default="i16")
    p.add_argument("--dims", type=int, nargs=3, default=[4, 5, 6])
    p.add_argument("--expr", default="100*i + 10*j + k")
    p.add_argument("--sform")
    p.add_argument("--qform", type=float, nargs=4)
    p.add_argument("--pixdim", type=float, nargs=3, default=[1, 1, 1])
    p.add_argument("--scl", type=float, nargs=2, default=[0, 0])
    p.add_argument("--ext", type=int, default=0)
    p.add_argument("--set", action="append", default=[])
    p.add_argument("--cut", type=int, default=0)
    a = p.parse_args()

    e = ">" if a.be else "<"
    fields, hsize = (F2, 540) if a.v2 else (F1, 348)
    hdr = bytearray(hsize)

    def put(name, *vals, index=None):
        off, fmt = fields[name]
        if index is not None:  # one element of an array field
            n = int(fmt[:-1])
            size = struct.calcsize(e + fmt[-1])
            struct.pack_into(e + fmt[-1], hdr, off + index * size, *vals)
            return
        struct.pack_into(e + fmt, hdr, off, *vals)

    code, bitpix, fmt = DT[a.dtype]
    I, J, K = a.dims
    qfac = a.qform[3] if a.qform else 1.0
    put("sizeof_hdr", hsize)
    put("magic", b"n+2\0\r\n\x1a\n" if a.v2 else b"n+1\0")
    put("dim", 3, I, J, K, 1, 1, 1, 1)
    put("datatype", code)
    put("bitpix", bitpix)
    put("pixdim", qfac, *a.pixdim, 1, 1, 1, 1)
    offset = hsize + 4 + a.ext
    put("vox_offset", offset if not a.v2 else offset)
    put("scl_slope", a.scl[0])
    put("scl_inter", a.scl[1])
    if a.sform:
        rows = [[float(v) for v in r.split()] for r in a.sform.split(";")]
        put("sform_code", 1)
        put("srow", *[v for r in rows for v in r])
    if a.qform:
        put("qform_code", 1)
        put("quatern", *a.qform[:3])
    for s in a.set:
        k, v = s.split("=", 1)
        if k.startswith("dim") and k[3:].isdigit():
            put("dim", int(v), index=int(k[3:]))
        elif k == "magic":
            put("magic", v.encode().decode("unicode_escape").encode("latin-1"))
        elif k in ("scl_slope", "scl_inter"):
            put(k, float(v))
        elif k == "vox_offset":
            put(k, float(v) if not a.v2 else int(v))
        else:
            put(k, int(v))

    vals = [eval(a.expr, {}, {"i": i, "j": j, "k": k})
            for k in range(K) for j in range(J) for i in range(I)]
    data = struct.pack(e + str(len(vals)) + fmt, *vals)
    blob = bytes(hdr) + bytes(4 + a.ext) + data
    if a.gz:
        blob = gzip.compress(blob)
    if a.cut:
        blob = blob[:-a.cut]
    open(a.out, "wb").write(blob)


main()
