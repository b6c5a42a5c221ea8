#!/usr/bin/env python3
"""check-data: validates a data folder for pipelines/ (layout: pipelines/README.md).

usage: check-data.py [--bin DIR] PATH...

Each PATH is one of
  - a DATA root, as `make -C pipelines DATA=...` wants it: figshare_cheng_t1ce/,
    br35h/ and nifti/ with the volumes the Makefile names;
  - one slice set: a folder with labels.csv, boxes.csv and images/ (a set named
    figshare_cheng_t1ce must also have the columns figshare_index and tumour_type, one
    named br35h the column similarity_group: the Makefile splits by them);
  - a volume list for pipelines/volumes.mk: a .csv file with columns id,image[,seg,label].

Checks: the CSV files parse and have the columns; every label is tumour or none; every
file is listed once and its image is there and readable by pgc-slice; every box has
x0 < x1 and y0 < y1 inside its image (half-open pixels), belongs to a listed file and
not to a `none` one; volumes are readable NIfTI and segmentations on their grid.
Prints one line per problem on standard output ("PATH[:line N]: problem"), then a
summary line on standard error. Exit status: 0 no problem, 1 problems, 2 bad usage.
Needs only python3's standard library and pgcam's pgc-slice and pgc-info (from --bin
DIR, else $BIN, else the bin/ beside this folder, else $PATH).
"""
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

PROG = "check-data"
LABELS = ("tumour", "none")
# Extra columns the Makefile's split (split.awk) reads, by set folder name.
SET_COLUMNS = {
    "figshare_cheng_t1ce": {"figshare_index": "int", "tumour_type": "text"},
    "br35h": {"similarity_group": "int"},
}
# The volumes pipelines/Makefile reads from DATA/nifti: (image, segmentation or None).
NIFTI = [
    ("brainles_tcga_du_7294/t1c_bet.nii.gz", "brainles_tcga_du_7294/seg_fusion_mav.nii.gz"),
    ("colin27_mricron_data/ch2bet.nii.gz", None),
    ("brainles_aurora_brats_met_example/t1c.nii.gz",
     "brainles_aurora_brats_met_example/seg_aurora_t1c_only_model.nii.gz"),
]


class Checker:
    def __init__(self, bindir):
        self.slice, self.info = (self.tool(bindir, n) for n in ("pgc-slice", "pgc-info"))
        self.problems = 0
        self.counts = {}

    @staticmethod
    def tool(bindir, name):
        path = os.path.join(bindir, name) if bindir else shutil.which(name)
        if not path or not os.access(path, os.X_OK):
            sys.stderr.write(f"{PROG}: cannot find {name} (build pgcam, or give --bin DIR)\n")
            sys.exit(2)
        return path

    def problem(self, where, what, line=None):
        self.problems += 1
        print(f"{where}:line {line}: {what}" if line else f"{where}: {what}", flush=True)

    def count(self, what, n=1):
        self.counts[what] = self.counts.get(what, 0) + n

    # ---- CSV ----
    def read_csv(self, path, need):
        """Rows as (line number, dict), or None after a problem. need: required columns."""
        try:
            with open(path, newline="", encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            self.problem(path, f"cannot read: {getattr(e, 'strerror', None) or e}")
            return None
        rows = []
        reader = csv.reader(text.splitlines())
        try:
            header = next(reader, None)
            if not header:
                self.problem(path, "empty file (want a header row)")
                return None
            header = [h.strip() for h in header]
            missing = [c for c in need if c not in header]
            if missing:
                self.problem(path, f"no column {', '.join(missing)} in the header "
                                   f"({','.join(header)})", 1)
                return None
            for fields in reader:
                n = reader.line_num
                if not fields or fields == [""]:
                    continue
                if len(fields) != len(header):
                    self.problem(path, f"{len(fields)} fields, the header has {len(header)}", n)
                    continue
                rows.append((n, dict(zip(header, (v.strip() for v in fields)))))
        except csv.Error as e:
            self.problem(path, f"not CSV: {e}", reader.line_num)
            return None
        return rows

    # ---- images, through pgc-slice ----
    def read_images(self, paths):
        """{path: (h, w)} of the images pgc-slice reads; a problem line for each other."""
        dims, todo = {}, list(paths)
        while todo:
            # pgc-slice straight into pgc-info: the decoded images never pile up here
            with tempfile.NamedTemporaryFile("w", suffix=".list") as lst, \
                    tempfile.TemporaryFile() as err:
                lst.write("\n".join(todo) + "\n")
                lst.flush()
                p = subprocess.Popen([self.slice, "--list", lst.name], stdout=subprocess.PIPE,
                                     stderr=err)
                q = subprocess.Popen([self.info, "--json"], stdin=p.stdout,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                p.stdout.close()
                got = []
                for line in q.stdout:
                    r = json.loads(line)
                    if r.get("meta", {}).get("name") == "image" and len(r.get("dims", [])) == 2:
                        got.append(tuple(r["dims"]))
                q.wait()
                p.wait()
                err.seek(0)
                errtext = err.read()
            for path, d in zip(todo, got):
                dims[path] = d
            if p.returncode == 0:
                break
            if len(got) >= len(todo):  # every frame out, then a failure: report it once
                self.problem(todo[-1], "pgc-slice failed after reading it: " + last_line(errtext))
                break
            bad = todo[len(got)]
            msg = last_line(errtext)
            msg = re.sub(r"^pgc-slice: cannot read '[^']*': ", "", msg)
            self.problem(bad, f"not readable by pgc-slice: {msg}")
            todo = todo[len(got) + 1:]
        return dims

    # ---- a slice set ----
    def slice_set(self, d, extra):
        labels_csv, boxes_csv = os.path.join(d, "labels.csv"), os.path.join(d, "boxes.csv")
        images = os.path.join(d, "images")
        if not os.path.isdir(images):
            self.problem(images, "no such folder (the images go there)")
        rows = self.read_csv(labels_csv, ["file", "label"] + list(extra))
        listed = {}  # basename -> (line, label, path)
        for n, r in rows or []:
            f = r["file"]
            if not f or f.startswith("/") or ".." in f.split("/"):
                self.problem(labels_csv, f"file '{f}' is not a path inside images/", n)
                continue
            key = os.path.basename(f)  # pgc-slice looks labels and boxes up by basename
            if key in listed:
                self.problem(labels_csv, f"file '{f}': its name is listed already on line "
                                         f"{listed[key][0]} (files are told apart by name)", n)
                continue
            if r["label"] not in LABELS:
                self.problem(labels_csv, f"label '{r['label']}' of '{f}' is not tumour or none", n)
            for col, kind in extra.items():
                v = r[col]
                if kind == "int" and not re.fullmatch(r"-?[0-9]+", v):
                    self.problem(labels_csv, f"{col} '{v}' of '{f}' is not an integer", n)
                elif kind == "text" and not v:
                    self.problem(labels_csv, f"{col} of '{f}' is empty", n)
            listed[key] = (n, r["label"], os.path.join(images, f))
        present = []
        for f, (n, _, path) in listed.items():
            if os.path.isfile(path):
                present.append(path)
            elif os.path.isdir(images):
                self.problem(path, f"listed in labels.csv line {n} but missing")
        dims = self.read_images(present)
        self.count("images", len(dims))
        self.count("tumour", sum(1 for f, v in listed.items() if v[1] == "tumour" and v[2] in dims))
        brows = self.read_csv(boxes_csv, ["file", "x0", "y0", "x1", "y1"])
        for n, r in brows or []:
            f = os.path.basename(r["file"])
            if rows is None:  # labels.csv unreadable (said so): check the numbers only
                listed.setdefault(f, (0, "", ""))
            if f not in listed:
                self.problem(boxes_csv, f"box of '{f}', which labels.csv does not list", n)
                continue
            try:
                x0, y0, x1, y1 = (float(r[k]) for k in ("x0", "y0", "x1", "y1"))
            except ValueError:
                self.problem(boxes_csv, f"box of '{f}' has a coordinate that is not a number", n)
                continue
            self.count("boxes")
            if listed[f][1] == "none":
                self.problem(boxes_csv, f"box of '{f}', whose label is none", n)
            if not (x0 < x1 and y0 < y1):
                self.problem(boxes_csv, f"box of '{f}' is empty or inverted "
                                        f"({r['x0']},{r['y0']},{r['x1']},{r['y1']}: want x0 < x1, y0 < y1)", n)
                continue
            hw = dims.get(listed[f][2])
            if hw and not (x0 >= 0 and y0 >= 0 and x1 <= hw[1] and y1 <= hw[0]):
                self.problem(boxes_csv, f"box of '{f}' ({r['x0']},{r['y0']},{r['x1']},{r['y1']}) "
                                        f"is not inside the {hw[1]} x {hw[0]} image", n)

    # ---- volumes ----
    def volume(self, where, image, seg, line=None):
        for p in (image, seg):
            if p and not os.path.isfile(p):
                self.problem(where, f"'{p}': no such file", line)
                return
        cmd = [self.slice, image, "--axis", "axial", "--range", "0:1"]
        if seg:
            cmd += ["--seg", seg]
        p = subprocess.run(cmd, capture_output=True)
        if p.returncode:
            self.problem(where, re.sub(r"^pgc-slice: ", "", last_line(p.stderr)), line)
        else:
            self.count("volumes")

    def nifti(self, d):
        for image, seg in NIFTI:
            self.volume(os.path.join(d, image), os.path.join(d, image),
                        os.path.join(d, seg) if seg else None)

    def volume_list(self, path):
        rows = self.read_csv(path, ["id", "image"])
        base, seen = os.path.dirname(path), {}
        for n, r in rows or []:
            i = r["id"]
            if not re.fullmatch(r"[A-Za-z0-9._-]+", i) or i.startswith("."):
                self.problem(path, f"id '{i}' is not made of letters, digits, '.', '_', '-'", n)
                continue
            if i in seen:
                self.problem(path, f"id '{i}' listed again (first on line {seen[i]})", n)
                continue
            seen[i] = n
            lab = r.get("label", "")
            if lab and lab not in LABELS:
                self.problem(path, f"label '{lab}' of '{i}' is not tumour, none or empty", n)
            seg = r.get("seg", "")
            if seg and lab:
                self.problem(path, f"'{i}' has both a seg and a label (the seg gives the labels)", n)
            rel = lambda p: p if os.path.isabs(p) else os.path.join(base, p)
            if not r["image"]:
                self.problem(path, f"'{i}' has no image", n)
                continue
            self.volume(path, rel(r["image"]), rel(seg) if seg else None, n)

    def check(self, path):
        name = os.path.basename(os.path.normpath(path))
        if os.path.isfile(path) and path.endswith(".csv"):
            self.volume_list(path)
        elif not os.path.isdir(path):
            self.problem(path, "no such folder (want a DATA root, a slice set or a volume list .csv)")
        elif os.path.isfile(os.path.join(path, "labels.csv")):
            self.slice_set(path, SET_COLUMNS.get(name, {}))
        elif any(os.path.isdir(os.path.join(path, s)) for s in (*SET_COLUMNS, "nifti")):
            for s, extra in SET_COLUMNS.items():
                d = os.path.join(path, s)
                if os.path.isdir(d):
                    self.slice_set(d, extra)
                else:
                    self.problem(d, "no such folder (pipelines/Makefile reads it)")
            d = os.path.join(path, "nifti")
            if os.path.isdir(d):
                self.nifti(d)
            else:
                self.problem(d, "no such folder (pipelines/Makefile reads it)")
        elif name == "nifti":
            self.nifti(path)
        else:
            self.problem(path, "neither a DATA root (figshare_cheng_t1ce/, br35h/, nifti/) "
                               "nor a slice set (labels.csv, boxes.csv, images/)")


def last_line(b):
    lines = b.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else "failed without a message"


def main(argv):
    args, bindir = [], None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        if a == "--bin":
            if i + 1 >= len(argv):
                sys.stderr.write(f"{PROG}: --bin wants a folder\n")
                return 2
            bindir = argv[i + 1]
            i += 2
            continue
        if a.startswith("-") and a != "-":
            sys.stderr.write(f"{PROG}: unknown option '{a}' (see --help)\n")
            return 2
        args.append(a)
        i += 1
    if not args:
        sys.stderr.write(f"usage: {PROG}.py [--bin DIR] PATH... (see --help)\n")
        return 2
    if bindir is None:
        here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bin")
        bindir = os.environ.get("BIN") or (here if os.path.isfile(os.path.join(here, "pgc-slice")) else "")
    c = Checker(bindir)
    for p in args:
        c.check(p)
    what = ", ".join(f"{v} {k}" for k, v in c.counts.items()) or "nothing read"
    sys.stderr.write(f"{PROG}: {' '.join(args)}: {what}; "
                     f"{c.problems} problem{'' if c.problems == 1 else 's'}\n")
    return 1 if c.problems else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:
        sys.exit(0)
    except KeyboardInterrupt:
        sys.exit(130)
