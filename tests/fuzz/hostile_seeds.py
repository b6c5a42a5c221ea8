#!/usr/bin/env python3
"""Writes the hostile-pass corpus (tests/fuzz/seeds/hostile/<command>/): crafted streams,
.npy and .meta files, NIfTI volumes, checkpoints and side files, each small. Run by
tests/fuzz/hostile.sh --regen; the files are committed, so the pass itself needs only
bash. Deterministic: the same files every run.

    hostile_seeds.py OUTDIR EXAMPLES_DIR

Needs numpy only for nothing: plain struct, zlib and gzip, so any python3 runs it.
"""
import gzip
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data"))
from mkstream import STREAM_HEADER, end_record, pack_record  # noqa: E402

OUT, EX = sys.argv[1], sys.argv[2]
DT = {"u8": (1, "B", 1), "u16": (2, "H", 2), "i16": (3, "h", 2), "i32": (4, "i", 4),
      "f32": (5, "f", 4), "f64": (6, "d", 8)}


def rec(meta, dtype="f32", dims=(), values=(0,), names=None, raw=None):
    """One tensor record; meta is bytes (raw) or a dict/list of (key, value)."""
    if isinstance(meta, (list, tuple)):
        meta = b"".join(("%s: %s\n" % kv).encode("utf-8", "surrogateescape") for kv in meta)
    code, fmt, size = DT[dtype]
    n = 1
    for d in dims:
        n *= d
    if raw is None:
        vals = [values[i % len(values)] for i in range(n)]
        if fmt not in "fd":
            vals = [int(v) for v in vals]
        raw = struct.pack("<%d%s" % (n, fmt), *vals)
    if names is None:
        names = (["box", "coord"] if len(dims) == 2 and dims[1] == 4 and
                 (b"name: truth\n" in meta or b"name: boxes\n" in meta) else
                 ["y", "x"] if len(dims) == 2 else ["c", "y", "x"] if len(dims) == 3 else
                 ["n"] if len(dims) == 1 else ["n", "c", "y", "x"][:len(dims)])
    return pack_record(meta, code, dims, raw, names)


def stream(*recs, end=True):
    out = STREAM_HEADER + b"".join(recs)
    if end:
        out += end_record()
    return out


def put(cmd, name, data):
    d = os.path.join(OUT, cmd)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def image(frame, h=16, w=16, dtype="f32", values=(0, 1, 0.5), extra=()):
    return rec([("frame", frame), ("name", "image")] + list(extra), dtype, (h, w), values)


def pgcam(frame, h=16, w=16, values=(0, 1), name="pgcam", extra=()):
    return rec([("frame", frame), ("name", name)] + list(extra), "f32", (h, w), values)


def boxes(frame, bx, name="boxes"):
    flat = [v for b in bx for v in b] or [0]
    return rec([("frame", frame), ("name", name)], "f32", (len(bx), 4), flat)


# ---- pgc-render: file names from frame ids, odd sizes, maps -------------------------
R = "render"
for i, fid in enumerate(["", ".", "..", "../escape", "a/b", "/etc/passwd", "-", "-o",
                         "x" * 300, "caf\u00e9", "sp ace", "~", "a.png", ".hidden",
                         "con", "*", "$(touch pwned)", "\u2028"]):
    put(R, "id%02d.pgc" % i, stream(image(fid), pgcam(fid)))
put(R, "keep_frame.pgc", stream(image("keep"), pgcam("keep")))
for h, w in [(1, 1), (1, 700), (700, 1), (3, 5), (2, 2)]:
    put(R, "size_%dx%d.pgc" % (h, w), stream(image("s", h, w), pgcam("s", h, w)))
put(R, "size_wide_scales.pgc", stream(image("s", 2, 2000), pgcam("s", 2, 2000),
                                      *[pgcam("s", 2, 2000, name="cam.s%d" % p) for p in range(1, 6)]))
put(R, "size_too_tall.pgc", stream(image("s", 9000, 1, "u8")))
put(R, "map_1x1.pgc", stream(image("m"), pgcam("m", 1, 1)))
put(R, "map_bigger.pgc", stream(image("m"), pgcam("m", 64, 64)))
put(R, "map_nan.pgc", stream(image("m"), pgcam("m", values=(float("nan"),))))
put(R, "map_rank3.pgc", stream(image("m"), rec([("frame", "m"), ("name", "pgcam")], "f32", (1, 4, 4))))
put(R, "map_u8.pgc", stream(image("m"), rec([("frame", "m"), ("name", "pgcam")], "u8", (4, 4))))
put(R, "cam_s31.pgc", stream(image("c"), pgcam("c"), *[pgcam("c", name="cam.s%d" % p) for p in (1, 2, 31)]))
put(R, "image_i32_extremes.pgc", stream(image("i", dtype="i32", values=(-2**31, 2**31 - 1))))
put(R, "image_f64_huge.pgc", stream(image("i", dtype="f64", values=(-1.7e308, 1.7e308))))
put(R, "image_f32_inf.pgc", stream(image("i", values=(0, float("inf")))))
put(R, "image_rank1.pgc", stream(rec([("frame", "i"), ("name", "image")], "f32", (16,))))
put(R, "image_none.pgc", stream(pgcam("n")))
put(R, "no_frame_id.pgc", stream(rec([("name", "image")], "f32", (4, 4)), rec([("name", "image")], "f32", (4, 4))))
put(R, "boxes_wild.pgc", stream(image("b"), pgcam("b"), boxes("b", [(-1e30, -5, 1e30, 3), (5, 5, 5, 5),
                                                                   (float("nan"), 0, 1, 1), (15, 15, 17, 17),
                                                                   (10, 10, 2, 2)]),
                                boxes("b", [(0, 0, 16, 16)], "truth")))
put(R, "truth_not_boxes.pgc", stream(image("b"), rec([("frame", "b"), ("name", "truth")], "f32", (3, 3))))
put(R, "empty.pgc", stream())
put(R, "truncated.pgc", stream(image("t"), pgcam("t"))[:-200])
put(R, "twenty_frames.pgc", stream(*[r for k in range(20) for r in (image("f%d" % k), pgcam("f%d" % k))]))
put(R, "two_frames_second_bad.pgc", stream(image("ok"), pgcam("ok"), image("bad"), pgcam("bad", values=(float("nan"),))))

# ---- pgc-npy: export names, shapes; import headers, shapes, dtypes, .meta -----------
N = "npy"
for dt in DT:
    for dims in [(), (0,), (3,), (2, 3), (1, 2, 3), (1, 1, 2, 3), (0, 4)]:
        put(N, "exp_%s_r%d_%s.pgc" % (dt, len(dims), "x".join(map(str, dims)) or "s"),
            stream(rec([("frame", "f"), ("name", "t")], dt, dims, (1, 2, 3))))
put(N, "exp_no_meta.pgc", stream(rec(b"", "f32", (2, 2)), rec(b"", "f32", (2, 2))))
put(N, "exp_odd_names.pgc", stream(*[rec([("frame", f), ("name", n)], "u8", (1,))
                                     for f, n in [("..", ".."), ("a/b", "c/d"), ("", ""), ("x", "n" * 200),
                                                  ("-", "-"), (".", ".meta")]]))
put(N, "exp_dimnames_odd.pgc", stream(rec([("frame", "d"), ("name", "t")], "u8", (1, 1),
                                          names=['"q"', "\\b"])))
put(N, "exp_empty_dimnames.pgc", stream(rec([("frame", "d"), ("name", "t")], "u8", (1, 1), names=["", ""])))
big = b"frame: big\nname: image\n"
i = 0
while len(big) < (1 << 20) - 4200:
    big += b"k%d: %s\n" % (i, b"x" * 4000)
    i += 1
big += b"z: " + b"y" * ((1 << 20) - len(big) - 4) + b"\n"
assert len(big) == 1 << 20
put(N, "exp_meta_1mib.pgc", stream(rec(big, "u8", (2, 2))))
# 1 MiB less the room of the '# dims: y x' line that --export puts first
near = big[:(1 << 20) - 12 - 40] + b"\n"
put(N, "exp_meta_near_1mib.pgc", stream(rec(big[:(1 << 20) - 13].rsplit(b"\n", 1)[0] + b"\n" +
                                            b"q: " + b"w" * 5 + b"\n", "u8", (2, 2))))


def npy(header_dict, data=b"", version=1, raw_header=None, magic=b"\x93NUMPY"):
    h = raw_header if raw_header is not None else header_dict.encode("latin-1")
    if raw_header is None:
        total = 10 + len(h) + 1
        h += b" " * (-total % 64) + b"\n"
    if version == 1:
        pre = magic + b"\x01\x00" + struct.pack("<H", len(h) & 0xffff)
    else:
        pre = magic + bytes([version, 0]) + struct.pack("<I", len(h))
    return pre + h + data


def hd(descr="'<f4'", fo="False", shape="(2, 2)"):
    return "{'descr': %s, 'fortran_order': %s, 'shape': %s, }" % (descr, fo, shape)


F4 = struct.pack("<4f", 1, 2, 3, 4)
imports = {
    "ok_f4": npy(hd(), F4),
    "ok_v2": npy(hd(), F4, 2),
    "ok_v3": npy(hd(), F4, 3),
    "ok_scalar": npy(hd(shape="()"), F4[:4]),
    "ok_empty": npy(hd(shape="(0,)")),
    "ok_big_endian_f8": npy(hd("'>f8'"), struct.pack(">4d", 1, 2, 3, 4)),
    "ok_u1_pipe": npy(hd("'|u1'"), b"\1\2\3\4"),
    "ok_dq": npy('{"descr": "<f4", "fortran_order": False, "shape": (2, 2)}', F4),
    "ok_extra_data": npy(hd(), F4 + b"trailing"),
    "ok_rank4": npy(hd(shape="(1, 1, 2, 2)"), F4),
    "bad_magic": npy(hd(), F4, magic=b"\x93NUMPZ"),
    "bad_version4": npy(hd(), F4, 4),
    "bad_v2_huge_header": b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xffffffff) + b"{",
    "bad_header_len_past_eof": b"\x93NUMPY\x01\x00" + struct.pack("<H", 60000) + b"{'descr'",
    "bad_tiny": b"\x93NUMPY\x01",
    "bad_empty": b"",
    "bad_f2": npy(hd("'<f2'"), F4[:8]),
    "bad_c8": npy(hd("'<c8'"), F4 * 2),
    "bad_i8": npy(hd("'<i8'"), F4 * 2),
    "bad_object": npy(hd("'|O'"), F4),
    "bad_unicode": npy(hd("'<U3'"), F4 * 3),
    "bad_structured": npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,), }", F4),
    "bad_descr_unquoted": npy(hd("<f4"), F4),
    "bad_descr_long": npy(hd("'<f4" + "x" * 40 + "'"), F4),
    "bad_fortran_true": npy(hd(fo="True"), F4),
    "bad_fortran_falsey": npy(hd(fo="Falsey"), F4),
    "bad_fortran_missing": npy("{'descr': '<f4', 'shape': (2, 2), }", F4),
    "bad_shape_missing": npy("{'descr': '<f4', 'fortran_order': False, }", F4),
    "bad_shape_neg": npy(hd(shape="(-1,)"), F4),
    "bad_shape_2p31": npy(hd(shape="(2147483648,)"), F4),
    "bad_shape_2p31_plus": npy(hd(shape="(2147483649,)"), F4),
    "bad_shape_2p64": npy(hd(shape="(18446744073709551616,)"), F4),
    "bad_shape_rank5": npy(hd(shape="(1, 1, 1, 1, 4)"), F4),
    "bad_shape_open": npy(hd(shape="(2, 2"), F4),
    "bad_shape_space": npy(hd(shape="(2 2)"), F4),
    "bad_shape_commas": npy(hd(shape="(2,,2)"), F4),
    "bad_shape_list": npy(hd(shape="[2, 2]"), F4),
    "bad_shape_float": npy(hd(shape="(2.0, 2)"), F4),
    "bad_shape_huge_product": npy(hd(shape="(65536, 65536, 65536)"), F4),
    "bad_truncated_data": npy(hd(), F4[:10]),
    "bad_header_nul": npy(hd().replace("descr", "de\0scr"), F4),
    "bad_header_no_newline": npy(None, F4, raw_header=hd().encode() + b" " * (54 - len(hd()) % 64 % 54)),
    "bad_dict_key_in_value": npy("{'x': 'shape: (9,)', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", F4),
}
for k, v in imports.items():
    put(N, "imp_%s.npy" % k, v)
ok = npy(hd("'|u1'"), b"\1\2\3\4")
metas = {
    "meta_ok": b"# dims: y x\nframe: m\nname: image\n",
    "meta_no_newline": b"frame: m\nname: image",
    "meta_crlf": b"frame: m\r\nname: image\r\n",
    "meta_not_utf8": b"frame: m\nsource: caf\xe9\n",
    "meta_dup_key": b"frame: m\nframe: n\n",
    "meta_bad_key": b"Frame: m\n",
    "meta_no_colon": b"frame m\n",
    "meta_colon_no_space": b"frame:m\n",
    "meta_empty_value": b"frame: \nname: image\n",
    "meta_empty": b"",
    "meta_dims_count": b"# dims: y\n",
    "meta_dims_many": b"# dims: a b c\n",
    "meta_dims_long": b"# dims: abcdefghi x\n",
    "meta_dims_tab": b"# dims: y\tx q\n",
    "meta_dims_utf8": b"# dims: \xc3\xa9 x\n",
    "meta_dims_ctrl": b"# dims: \x01 x\n",
    "meta_dims_twice": b"# dims: y x\n# dims: a b\n",
    "meta_comment": b"# just a comment\nframe: m\n",
    "meta_name_odd": b"name: ../../x\n",
    "meta_value_4095": b"frame: m\nnote: " + b"v" * 4095 + b"\n",
    "meta_value_4096": b"frame: m\nnote: " + b"v" * 4096 + b"\n",
    "meta_nul": b"frame: m\x00x\n",
    "meta_key_65": b"k" * 65 + b": v\n",
}
for k, v in metas.items():
    put(N, "%s.npy" % k, ok)
    put(N, "%s.meta" % k, v)
put(N, "noext", ok)
put(N, "a.b.c.npy", ok)
put(N, ".npy", ok)

# ---- pgc-info --json: odd metadata -------------------------------------------------
I = "info"
odd = [("frame", "q\"uo\\te"), ("tab", "a\tb"), ("cr", "a\rb"), ("del", "a\x7fb"), ("esc", "\x1b[31mred"),
       ("u4", "\U0001f600"), ("ls", "\u2028\u2029"), ("empty", ""), ("dots.and-dash_", "1"),
       ("zero", "0"), ("long", "L" * 4095), ("bom", "\ufeff")]
put(I, "odd_meta.pgc", stream(rec(odd, "u8", (2, 2))))
put(I, "odd_dimnames.pgc", stream(rec([("frame", "d")], "u8", (1, 1, 1, 1), names=['"', "\\", "}{", "~~~~~~~~"])))
put(I, "f64_extremes.pgc", stream(rec([("frame", "e")], "f64", (4,), (1.7e308, 1.7e308, -1.7e308, 5e-324))))
put(I, "f64_overflow_mean.pgc", stream(rec([("frame", "e")], "f64", (2,), (1.7e308, 1.7e308))))
put(I, "f32_all_nan.pgc", stream(rec([("frame", "e")], "f32", (3,), (float("nan"),))))
put(I, "boxes_nonfinite.pgc", stream(rec([("frame", "b"), ("name", "boxes")], "f32", (2, 4),
                                         (float("nan"), float("inf"), -float("inf"), 1))))
put(I, "boxes_many.pgc", stream(rec([("frame", "b"), ("name", "boxes")], "f32", (100, 4), (1, 2, 3, 4))))
put(I, "rank0.pgc", stream(rec([("frame", "r")], "i32", (), (-2**31,))))
put(I, "no_meta.pgc", stream(rec(b"", "u8", (0,))))
put(I, "i16_u16.pgc", stream(rec([("frame", "a")], "i16", (2,), (-32768, 32767)), rec([("frame", "a")], "u16", (2,), (0, 65535))))
put(I, "newer_minor.pgc", b"\x89PGC\r\n\x1a\n" + struct.pack("<HH", 1, 9) + bytes(52) + rec([("frame", "a")], "u8", (1,)) + b"PGCR\x02" + bytes(123))
put(I, "concat_then_junk.pgc", stream(rec([("frame", "a")], "u8", (1,))) + b"junk")
put(I, "meta_cut_utf8.pgc", stream(rec(b"frame: \xe2\x82\n", "u8", (1,))))
put(I, "meta_overlong.pgc", stream(rec(b"frame: \xc0\xaf\n", "u8", (1,))))
put(I, "meta_surrogate.pgc", stream(rec(b"frame: \xed\xa0\x80\n", "u8", (1,))))

# ---- pgc-train / pgc-infer: datasets with odd labels, classes, sizes -----------------
T = "train"


def labelled(frame, label, h=16, w=16, dtype="f32", values=(0, 1, 0.25), extra=()):
    ex = [("label", label)] if label is not None else []
    return image(frame, h, w, dtype, values, ex + list(extra))


put(T, "ds_ok.pgc", stream(*[labelled("a%d" % k, "tumour" if k % 2 else "none") for k in range(8)]))
put(T, "ds_one_class.pgc", stream(*[labelled("a%d" % k, "tumour") for k in range(4)]))
put(T, "ds_one_image.pgc", stream(labelled("a", "tumour")))
put(T, "ds_no_labels.pgc", stream(*[labelled("a%d" % k, None) for k in range(4)]))
put(T, "ds_odd_labels.pgc", stream(*[labelled("a%d" % k, l) for k, l in
                                     enumerate(["Tumour", "yes", "", "none ", "tumour", "none", "1", "\u00e9"])]))
put(T, "ds_types.pgc", stream(*[labelled("a%d" % k, "tumour" if t else "none", extra=[("tumour_type", t)] if t else [])
                                for k, t in enumerate(["glioma", "", "glioma", "meningioma", "", "x,y"])]))
put(T, "ds_mixed_sizes.pgc", stream(labelled("a", "tumour"), labelled("b", "none", 32, 32)))
put(T, "ds_nonsquare.pgc", stream(*[labelled("a%d" % k, "tumour" if k % 2 else "none", 16, 32) for k in range(4)]))
put(T, "ds_8x8.pgc", stream(*[labelled("a%d" % k, "tumour" if k % 2 else "none", 8, 8) for k in range(4)]))
put(T, "ds_17x16.pgc", stream(*[labelled("a%d" % k, "tumour" if k % 2 else "none", 17, 16) for k in range(4)]))
put(T, "ds_u8.pgc", stream(*[labelled("a%d" % k, "tumour" if k % 2 else "none", dtype="u8", values=(0, 255)) for k in range(4)]))
put(T, "ds_f64.pgc", stream(*[labelled("a%d" % k, "tumour" if k % 2 else "none", dtype="f64") for k in range(4)]))
put(T, "ds_nan.pgc", stream(*[labelled("a%d" % k, "tumour" if k % 2 else "none", values=(float("nan"), 1)) for k in range(4)]))
put(T, "ds_huge_values.pgc", stream(*[labelled("a%d" % k, "tumour" if k % 2 else "none", values=(3e38, -3e38)) for k in range(4)]))
put(T, "ds_no_image.pgc", stream(pgcam("a")))
put(T, "ds_empty.pgc", stream())
put(T, "ds_rank3_image.pgc", stream(rec([("frame", "a"), ("name", "image"), ("label", "tumour")], "f32", (1, 16, 16))))
put(T, "ds_sources.pgc", stream(*[labelled("a%d" % k, "tumour" if k % 2 else "none", extra=[("source", "site%d/x.nii" % (k % 2))])
                                  for k in range(8)]))
put(T, "val_32.pgc", stream(*[labelled("v%d" % k, "tumour" if k % 2 else "none", 32, 32) for k in range(2)]))
put(T, "val_no_labels.pgc", stream(*[labelled("v%d" % k, None) for k in range(2)]))
put(T, "stream_32x32.pgc", stream(*[image("i%d" % k, 32, 32) for k in range(3)]))
put(T, "stream_16x16_u8.pgc", stream(image("i", dtype="u8")))
put(T, "stream_nan.pgc", stream(image("i", values=(float("nan"),))))
put(T, "stream_norm_mismatch.pgc", stream(image("i", extra=[("norm", "zscore"), ("fit", "pad")])))
put(T, "stream_mixed.pgc", stream(image("a"), image("b", 32, 32), image("c")))
put(T, "stream_no_image.pgc", stream(pgcam("a"), pgcam("b")))
put(T, "stream_many.pgc", stream(*[image("i%d" % k) for k in range(20)]))
put(T, "not_a_model.bin", b"\x89PGM\r\n\x1a\n" + bytes(56))
put(T, "empty.model", b"")
put(T, "stream_as_model.model", stream(image("a")))
