#!/usr/bin/env python3
"""The grid that chose pgc-infer's --class sure:P (make -C pipelines sure-grid).

For each model of tumour types and each tumour source of the validation split, the
pointing game of PG-CAM (all scales) when each frame takes its top class's map where
that class holds at least P of P(tumour), else the tumour score's map: exactly what
`pgc-infer --class sure:P` gives, computed from the study's two maps (cam.pgc, made with
--class top, and tcam.pgc, --class tumour) without running the network again.
Prints a Markdown table: one row per P, the mean over the models per source.
Usage: sure_grid.py BIN WORK MODEL..."""
import glob, os, struct, subprocess, sys, tempfile

SETS = [("menin_val", "figshare meningioma"), ("glio_val", "figshare glioma"),
        ("pit_val", "figshare pituitary"), ("br_val", "Br35H")]
GRID = [0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.01]


def f32(path):
    b = open(path, "rb").read()
    hl = struct.unpack("<H", b[8:10])[0]
    return struct.unpack("<%df" % ((len(b) - 10 - hl) // 4), b[10 + hl:])


def per_frame(bin_, cam, tmp, tag):
    """frame -> 0/1 pointing hit of the fused map (frames with a truth box)."""
    out = os.path.join(tmp, tag + ".tsv")
    fuse = subprocess.Popen([bin_ + "/pgc-fuse", "--scales", "all", cam], stdout=subprocess.PIPE)
    box = subprocess.Popen([bin_ + "/pgc-box", "--rule", "paper"], stdin=fuse.stdout, stdout=subprocess.PIPE)
    subprocess.run([bin_ + "/pgc-score", "--per-frame", out], stdin=box.stdout, stdout=subprocess.DEVNULL, check=True)
    if fuse.wait() or box.wait():
        sys.exit("sure_grid: scoring %s failed" % cam)
    rows = [l.rstrip("\n").split("\t") for l in open(out)]
    col = rows[0].index("pointing")
    return {r[0]: int(r[col]) for r in rows[1:] if r[col] in ("0", "1")}


def shares(bin_, cam, tmp, tag):
    """frame -> the top tumour class's share of P(tumour), from the prob records."""
    d = os.path.join(tmp, tag)
    subprocess.run([bin_ + "/pgc-npy", "--export", d, cam], check=True)
    out = {}
    for f in glob.glob(d + "/*.prob.npy"):
        p = f32(f)
        out[os.path.basename(f)[:-len(".prob.npy")]] = max(p[1:]) / sum(p[1:])
    return out


def main():
    bin_, work, models = sys.argv[1], sys.argv[2], sys.argv[3:]
    pg = {}  # (P, set) -> list of per-model pointing games
    with tempfile.TemporaryDirectory() as tmp:
        for m in models:
            for s, _ in SETS:
                base = os.path.join(work, "study", m, s)
                tag = m + "." + s
                top = per_frame(bin_, base + ".cam.pgc", tmp, tag + ".top")
                tum = per_frame(bin_, base + ".tcam.pgc", tmp, tag + ".tum")
                sh = shares(bin_, base + ".cam.pgc", tmp, tag)
                for P in GRID:
                    hits = [top[f] if sh[f] >= P else tum[f] for f in top]
                    pg.setdefault((P, s), []).append(sum(hits) / max(len(hits), 1))
    print("| P | " + " | ".join(n + " PG" for _, n in SETS) + " | mean |")
    print("|---|" + "---|" * (len(SETS) + 1))
    for P in GRID:
        v = [sum(pg[P, s]) / len(pg[P, s]) for s, _ in SETS]
        name = "0 (top)" if P == 0 else "> 1 (tumour)" if P > 1 else "%g" % P
        print("| %s | %s | %.3f |" % (name, " | ".join("%.3f" % x for x in v), sum(v) / len(v)))
    print()
    print("Mean over %d models: %s." % (len(models), ", ".join("`%s`" % m for m in models)))


main()
