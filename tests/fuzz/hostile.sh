#!/usr/bin/env bash
# The hostile pass (hardening issue): every crafted input of tests/fuzz/seeds/hostile/
# and every option and environment case below, run against $BIN (default: the
# sanitizer build, build/san/bin) each in a fresh directory, with a timeout. Flags:
#   a sanitizer report; a signal, a hang, an exit status other than 0, 1 or 2;
#   exit 0 with "error" or "cannot" on stderr; exit 1 or 2 whose stderr is not one line
#   of "prog: ..." naming a file ('...') or an option (--x, -o); files it wrote that do
#   not read back (tests/fuzz/hostile_check.py), or a stream that looks whole although
#   the command failed; a temporary file left behind; a user's file (keep*) changed
#   without --force.
#     bash tests/fuzz/hostile.sh [--regen] [--log FILE] [GROUP...]
# --regen rewrites the corpus first (tests/fuzz/hostile_seeds.py and the files that need
# the binaries: checkpoints, volumes). GROUPs: render volume npy info train infer opts env
# (none: only --regen).
# Prints one line per flagged case and a count; exits 1 when any case was flagged.
set -u
cd "$(dirname "$0")/../.."
TOP=$(pwd)
BIN=$(cd "${BIN:-build/san/bin}" && pwd) || exit 2
S=$TOP/tests/fuzz/seeds/hostile
PY=/usr/bin/python3; [ -x $PY ] || PY=python3
export PATH=$BIN:$PATH PGC_DEVICE=cpu ASAN_OPTIONS=${ASAN_OPTIONS:-protect_shadow_gap=0}
unset PGC_CUDA_PLUGIN PGC_GPU_FAST PGC_REQUIRE_GPU PGC_MAX_VOXELS
regen=0 log=/dev/null
while [ $# -gt 0 ]; do
    case $1 in
    --regen) regen=1 ;;
    --log) log=$2; shift ;;
    *) break ;;
    esac
    shift
done
groups=${*:-render volume npy info train infer opts env}
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
: > "$log"
ncase=0 nflag=0

# case 'command line': one run in a fresh directory holding S (the corpus) and the
# user's files keep.* and out/keep.png.
case_() {
    local cmd=$1 d=$W/c$((++ncase)) f
    mkdir -p "$d/out" && ln -s "$S" "$d/S"
    for f in keep.png keep.model keep.tsv keep.nii.gz out/keep.png; do echo KEEP > "$d/$f"; done
    (cd "$d" && timeout -k 5 ${CASE_TIMEOUT:-60} bash -c "$cmd" > "$d/stdout.txt" 2> "$d/stderr.txt")
    local rc=$? why=()
    local err; err=$(cat "$d/stderr.txt")
    case $rc in 0 | 1 | 2) ;; 124 | 137) why+=("hang") ;; *) why+=("exit $rc") ;; esac
    grep -q 'Sanitizer\|runtime error' "$d/stderr.txt" && why+=("sanitizer")
    if [ $rc = 0 ] && [ -z "${EXPECT_WARN:-}" ] && grep -qi 'error\|cannot' "$d/stderr.txt"; then why+=("exit 0 says error"); fi
    if [ $rc = 1 ] || [ $rc = 2 ]; then
        # pgc-train's progress lines come before its last word
        local lines; lines=$(grep -vc '^pgc-train: \(step \|source \|[a-z0-9-]* width \|resuming\|.*tumour images of no listed type\|.* is missing: the adversarial\)' "$d/stderr.txt")
        [ "$lines" = 1 ] || why+=("$lines lines on stderr")
        tail -n 1 "$d/stderr.txt" | grep -q "'\|--[a-z]\| -[a-z]\b\|PGC_" || why+=("names no file or option")
    fi
    case $cmd in *--force*) ;; *)
        for f in keep.png keep.model keep.tsv keep.nii.gz out/keep.png; do
            [ "$(cat "$d/$f" 2>/dev/null)" = KEEP ] || why+=("$f replaced without --force")
        done ;;
    esac
    local tmps; tmps=$(cd "$d" && find . -path ./S -prune -o -name '*.tmp*' -print)
    [ -n "$tmps" ] && why+=("left $tmps")
    local files; files=$(cd "$d" && find . -path ./S -prune -o -type f ! -name 'keep*' ! -name 'std*.txt' -print)
    if [ -n "$files" ]; then
        local bad; bad=$(cd "$d" && $PY "$TOP/tests/fuzz/hostile_check.py" $rc $files 2>&1)
        [ -n "$bad" ] && why+=("output: $bad")
    fi
    printf '%s\trc=%s\t%s\t%s\n' "$cur" $rc "$cmd" "$(tail -n 1 "$d/stderr.txt")" >> "$log"
    if [ ${#why[@]} -gt 0 ]; then
        nflag=$((nflag + 1))
        printf 'FLAG [%s] %s\n  exit %s: %s\n  stderr: %s\n' "$cur" "$cmd" $rc "${why[*]}" "$(head -c 600 "$d/stderr.txt" | tr '\n' '|')"
    fi
    rm -rf "$d"
}

# Corpus files that need the binaries: made in a scratch directory, kept in the corpus.
regen_binaries() {
    local g=$W/regen
    mkdir -p "$g" && cd "$g" && ln -s "$S" S
    # train: a checkpoint of a tiny net (and its adversarial head), then crafted ones
    pgc-train S/train/ds_sources.pgc --width 1 --batch 2 --iters 1 --threads 1 --checkpoint ck.pgm \
        --adversarial-source -o m.model 2> /dev/null || { echo "regen: pgc-train failed"; exit 1; }
    $PY - "$S/train" ck.pgm ck.pgm.adv m.model <<'EOF'
import struct, sys, zlib, os
out, ck, adv, model = sys.argv[1:5]
c, a, m = open(ck, "rb").read(), open(adv, "rb").read(), open(model, "rb").read()
def w(name, b): open(os.path.join(out, name), "wb").write(b)
def crc(b): b = bytearray(b); struct.pack_into("<I", b, len(b) - 4, zlib.crc32(bytes(b[:-4]))); return bytes(b)
def field(b, off, fmt, v): b = bytearray(b); struct.pack_into(fmt, b, off, v); return crc(b)
w("ck_ok.pgm", c); w("ck_ok.pgm.adv", a); w("model_ok.model", m)
w("ck_truncated.pgm", c[:len(c) // 2]); w("ck_bad_crc.pgm", c[:-1] + bytes([c[-1] ^ 1]))
w("ck_tail_junk.pgm", crc(c + b"junk"))
for name, off, fmt, v in [("flags_model", 12, "<I", 0), ("flags_high", 12, "<I", 0xffffffff),
                          ("width0", 16, "<I", 0), ("width_huge", 16, "<I", 0xffffffff),
                          ("h0", 20, "<I", 0), ("h_huge", 20, "<I", 1 << 31), ("w17", 24, "<I", 17),
                          ("entries0", 28, "<I", 0), ("entries_huge", 28, "<I", 0xffffffff),
                          ("meta_huge", 40, "<I", 0xffffffff), ("meta_past", 40, "<I", len(c)),
                          ("nclass1", 44, "<I", 1), ("nclass17", 44, "<I", 17), ("nclass3", 44, "<I", 3),
                          ("major2", 8, "<H", 2), ("minor9", 10, "<H", 9)]:
    w("ck_%s.pgm" % name, field(c, off, fmt, v))
arch = bytearray(c); arch[48:64] = b"resnet50".ljust(16, b"\0"); w("ck_arch_resnet.pgm", crc(arch))
arch = bytearray(c); arch[48:64] = b"\xff" * 16; w("ck_arch_junk.pgm", crc(arch))
arch = bytearray(c); arch[48:64] = b"dcfpn\n\x1b[2J".ljust(16, b"\0"); w("ck_arch_newline.pgm", crc(arch))
# metadata: the seed, classes, prep keys turned odd
ml = struct.unpack_from("<I", c, 40)[0]
meta = c[64:64 + ml]
def with_meta(newm):
    b = bytearray(c[:64] + newm + c[64 + ml:]); struct.pack_into("<I", b, 40, len(newm)); return crc(b)
w("ck_meta_seed_junk.pgm", with_meta(meta.replace(b"seed: 1\n", b"seed: -5x\n")))
w("ck_meta_classes_odd.pgm", with_meta(meta.replace(b"classes: none,tumour", b"classes: none,tumour,extra")))
w("ck_meta_not_utf8.pgm", with_meta(meta + b"note: \xff\n"))
w("ck_meta_no_newline.pgm", with_meta(meta + b"note: x"))
w("ck_meta_prep_odd.pgm", with_meta(meta.replace(b"prep-size: 16", b"prep-size: -1")))
# a parameter turned NaN (the first float after the first entry's header)
n = struct.unpack_from("<H", c, 64 + ml)[0]
at = 64 + ml + 2 + n + 2 + 4 * c[64 + ml + 2 + n + 1]
w("ck_param_nan.pgm", crc(c[:at] + struct.pack("<f", float("nan")) + c[at + 4:]))
w("ck_entry_newline.pgm", crc(c[:64 + ml + 2] + b"\n" + c[64 + ml + 3:])) # an entry name's first byte
w("model_param_nan.model", crc(m[:at] + struct.pack("<f", float("nan")) + m[at + 4:]))
# the adversarial head's side file
for name, b in [("truncated", a[:len(a) // 2]), ("long", a + b"x"), ("empty", b""),
                ("magic", b"X" + a[1:]), ("step_max", a[:32] + struct.pack("<q", 2**63 - 1) + a[40:]),
                ("step_neg", a[:32] + struct.pack("<q", -1) + a[40:]),
                ("shape", a[:8] + struct.pack("<q", 7) + a[16:]),
                ("nan", a[:40] + struct.pack("<f", float("nan")) * ((len(a) - 40) // 4))]:
    w("ckadv_%s.pgm" % name, c); w("ckadv_%s.pgm.adv" % name, b)
EOF
    # volume: NIfTI sources and the streams pgc-slice makes of them, crafted further
    mkdir -p "$S/volume/a" "$S/volume/b"
    local mk="$PY $TOP/tests/data/mknii.py"
    $mk "$S/volume/v.nii.gz" --gz --dtype u8 --dims 16 16 3 --expr 'i+j+k' > /dev/null
    $mk "$S/volume/a/same.nii.gz" --gz --dtype u8 --dims 16 16 2 --expr 'i+j+k' > /dev/null
    $mk "$S/volume/b/same.nii.gz" --gz --dtype u8 --dims 16 16 2 --expr 'i+j+k' > /dev/null
    $mk "$S/volume/singular.nii.gz" --gz --dtype u8 --dims 16 16 2 --expr 'i+j+k' --sform '0 0 0 0; 0 0 0 0; 0 0 0 0' > /dev/null
    $mk "$S/volume/pix0.nii.gz" --gz --dtype u8 --dims 16 16 2 --expr 'i+j+k' --pixdim 0 0 0 > /dev/null
    pgc-slice S/volume/v.nii.gz > "$S/volume/v.pgc"
    pgc-slice --axis all S/volume/v.nii.gz > "$S/volume/v_all.pgc"
    pgc-slice S/volume/a/same.nii.gz S/volume/b/same.nii.gz > "$S/volume/same_name.pgc"
    pgc-slice S/volume/singular.nii.gz > "$S/volume/singular.pgc" 2>/dev/null || true
    pgc-slice S/volume/pix0.nii.gz > "$S/volume/pix0.pgc" 2>/dev/null || true
    pgc-slice S/volume/v.nii.gz | pgc-prep --size 32 > "$S/volume/v_prep.pgc"
    $PY - "$S/volume" <<'EOF'
import os, struct, sys
d = sys.argv[1]
def records(b):
    i, out = 64, []
    while b[i + 4] == 1:
        m, = struct.unpack_from("<I", b, i + 8); n, = struct.unpack_from("<Q", b, i + 80)
        h, meta = b[i:i + 128], b[i + 128:i + 128 + m]
        pay = b[i + 128 + (m + 63) // 64 * 64:i + 128 + (m + 63) // 64 * 64 + n]
        out.append([bytearray(h), meta, pay]); i += 128 + (m + 63) // 64 * 64 + (n + 63) // 64 * 64
    return out
def pack(recs):
    o = b"\x89PGC\r\n\x1a\n" + struct.pack("<HH", 1, 0) + bytes(52)
    for h, meta, pay in recs:
        struct.pack_into("<I", h, 8, len(meta))
        o += bytes(h) + meta + bytes(-len(meta) % 64) + pay + bytes(-len(pay) % 64)
    return o + b"PGCR\x02" + bytes(123)
def setkey(meta, k, v):
    lines = [l for l in meta.split(b"\n") if l]
    lines = [(k + b": " + v) if l.startswith(k + b": ") else l for l in lines]
    if not any(l.startswith(k + b": ") for l in lines): lines.append(k + b": " + v)
    return b"\n".join(lines) + b"\n"
def delkey(meta, k):
    return b"".join(l + b"\n" for l in meta.split(b"\n") if l and not l.startswith(k + b": "))
base = records(open(os.path.join(d, "v.pgc"), "rb").read())
def variant(name, f):
    recs = [[bytearray(h), m, p] for h, m, p in base]
    recs = f(recs) or recs
    open(os.path.join(d, "v_%s.pgc" % name), "wb").write(pack(recs))
def every(k, v): return lambda rs: [[h, setkey(m, k, v), p] for h, m, p in rs]
for name, k, v in [("index_neg", b"index", b"-1"), ("index_big", b"index", b"99"), ("index_junk", b"index", b"1x"),
                   ("index_huge", b"index", b"99999999999999999999"),
                   ("axis_png", b"axis", b"png"), ("axis_odd", b"axis", b"Axial"),
                   ("source_missing", b"source", b"S/volume/nope.nii.gz"), ("source_dir", b"source", b"S/volume/a"),
                   ("source_png", b"source", b"S/render/id00.pgc"), ("source_abs", b"source", b"/dev/null"),
                   ("transform_junk", b"transform", b"1 0 0 0 1"), ("transform_nan", b"transform", b"nan 0 0 0 1 0"),
                   ("transform_singular", b"transform", b"0 0 0 0 0 0"), ("transform_huge", b"transform", b"1e300 0 0 0 1e300 0"),
                   ("prob_junk", b"prob", b"high"), ("prob_nan", b"prob", b"nan"), ("prob_neg", b"prob", b"-3"),
                   ("source_long", b"source", b"S/volume/" + b"./" * 600 + b"v.nii.gz")]:
    variant(name, every(k, v))
variant("no_source", lambda rs: [[h, delkey(m, b"source"), p] for h, m, p in rs])
variant("no_index", lambda rs: [[h, delkey(m, b"index"), p] for h, m, p in rs])
variant("dup_index", lambda rs: [[h, setkey(m, b"index", b"0").replace(b"frame: ", b"frame: x"), p] if i else [h, m, p] for i, (h, m, p) in enumerate(rs)])
variant("interleaved", lambda rs: rs + [[h, setkey(setkey(m, b"axis", b"coronal"), b"frame", b"c%d" % i), p] for i, (h, m, p) in enumerate(rs)] + [[h, setkey(m, b"frame", b"again%d" % i), p] for i, (h, m, p) in enumerate(rs)])
def as_pgcam(rs):
    out = []
    for h, m, p in rs:
        out.append([h, m, p])
        h2 = bytearray(h); h2[5] = 5; struct.pack_into("<Q", h2, 80, len(p) * 4)
        out.append([h2, setkey(m, b"name", b"pgcam"), struct.pack("<%df" % len(p), *p)])
        bx = bytearray(128); bx[:4] = b"PGCR"; bx[4], bx[5], bx[6] = 1, 5, 2
        struct.pack_into("<QQ", bx, 16, 2, 4); bx[48:51] = b"box"; bx[56:61] = b"coord"; struct.pack_into("<Q", bx, 80, 32)
        out.append([bx, setkey(m, b"name", b"boxes"), struct.pack("<8f", -1e30, 0, 1e30, 4, float("nan"), 1, 2, 3)])
    return out
variant("pgcam_boxes", as_pgcam)
def map_size(rs):
    out = as_pgcam(rs)
    h, m, p = out[1]; h = bytearray(h); struct.pack_into("<QQ", h, 16, 4, 4); struct.pack_into("<Q", h, 80, 64)
    out[1] = [h, m, bytes(64)]
    return out
variant("map_wrong_size", map_size)
EOF
    cd "$TOP"
}

if [ $regen = 1 ]; then
    rm -rf "$S"
    $PY tests/fuzz/hostile_seeds.py "$S" examples || exit 1
    regen_binaries
fi
[ -d "$S/train" ] || { echo "no corpus in $S: run with --regen"; exit 2; }

MODEL=$TOP/examples/model/dcfpn.model
for cur in $groups; do
case $cur in
render)
    for f in "$S"/render/*.pgc; do
        f=S/render/${f##*/}
        case_ "pgc-render -o out $f"
        case_ "pgc-render -o out --force --no-scales --alpha 0 $f"
        case_ "pgc-render -o out --pass --map cam.s1 $f > o.pgc"
    done
    K=S/render/keep_frame.pgc
    for o in "-o keep.png" "-o ''" "-o out/new/deeper" "-o /dev/null" "-o /proc/self" "-o out --map image" \
             "-o out --map truth" "-o out --map ''" "-o out --alpha 1" "-o out --alpha 1.0000001" \
             "-o out --alpha -0" "-o out --alpha nan" "-o out --alpha 1e-400" "-o out --alpha 0x1p-1" \
             "-o out --force" "-o out -o out2" "-o" "-o out --pass" "-o out --pass > /dev/full" \
             "-o out - -" "-o out nosuch.pgc" "-o out S/render" "-o out --frobnicate"; do
        case_ "pgc-render $o < $K"
    done
    case_ "ln -s keep.png out/keep.png.lnk && ln -sf ../keep.png out/keep.png && pgc-render -o out < $K"
    case_ "chmod 555 out && pgc-render -o out < $K; rc=\$?; chmod 755 out; exit \$rc"
    case_ "pgc-render -o out < S/render/twenty_frames.pgc && pgc-render -o out < S/render/twenty_frames.pgc"
    ;;
volume)
    for f in "$S"/volume/*.pgc; do
        f=S/volume/${f##*/}
        case_ "pgc-volume --map image -o out $f > o.tsv"
        case_ "pgc-volume --map image -o out --plot 'out/%s.png' --force $f > o.tsv"
        case_ "pgc-volume -o out --boxes boxes --plot p.png $f > o.tsv"
    done
    V=S/volume/v.pgc
    for o in "-o keep.nii.gz" "--map image -o ." "--plot keep.png" "--plot 'a%d.png'" "--plot '%s%s.png'" \
             "--plot '%s'" "--plot ''" "--plot out" "--plot /dev/full" "--map image -o /dev/null" \
             "--frac nan" "--frac -0.1" "--frac 1" "--frac 0" "--prob-threshold 2" "--prob-threshold ''" \
             "--map ../../x -o out" "--map '' -o out" "--map truth -o out" "--boxes ''" "--frac" "-o"; do
        case_ "pgc-volume $o $V > o.tsv"
    done
    case_ "pgc-volume --map image -o out S/volume/v.pgc > /dev/full"
    case_ "pgc-volume --map image -o out --force S/volume/same_name.pgc > o.tsv"
    case_ "pgc-volume --map image --plot 'p%s.png' --force S/volume/same_name.pgc > o.tsv"
    ;;
npy)
    for f in "$S"/npy/exp_*.pgc; do
        f=S/npy/${f##*/}
        case_ "pgc-npy --export x $f && pgc-npy --import x/*.npy > o.pgc"
    done
    for f in "$S"/npy/*.npy "$S"/npy/noext; do
        f=S/npy/${f##*/}
        case_ "pgc-npy --import '$f' > o.pgc"
    done
    E=S/npy/exp_f32_r2_2x3.pgc
    for o in "--export keep.png" "--export ''" "--export out/none/x" "--export /dev/null" "--export" "--import" \
             "--export x --import S/npy/imp_ok_f4.npy" "--export x $E $E" "--export x --force -- $E" \
             "--import S/npy" "--import /dev/null" "--import /dev/zero" "--import nosuch.npy" \
             "--import S/npy/imp_ok_f4.npy S/npy/imp_ok_f4.npy" "--import -- -x.npy"; do
        case "$o" in # --export writes files, no stream: its stdout is no output to check
        --export*) case_ "pgc-npy $o < $E > o.txt" ;;
        *) case_ "pgc-npy $o < $E > o.pgc" ;;
        esac
    done
    case_ "pgc-npy --export out < $E && pgc-npy --export out < $E"
    case_ "mkdir x && echo KEEP > x/f.t.npy && pgc-npy --export x < $E; test \"\$(cat x/f.t.npy)\" = KEEP || exit 99"
    case_ "mkdir x && ln -s ../keep.png x/f.t.npy && pgc-npy --export x < $E"
    case_ "mkfifo p.npy && (sleep 1; cat S/npy/imp_ok_f4.npy > p.npy) & pgc-npy --import p.npy > o.pgc"
    ;;
info)
    for f in "$S"/info/*.pgc "$S"/render/*.pgc "$S"/train/*.pgc; do
        f=S/${f#$S/}
        case_ "pgc-info --json $f > o.json"
        case_ "pgc-info $f $f > o.txt"
    done
    for o in "--json -" "--json --json" "--jso" "-- --json" "''" "/dev/null" "S" "--json /dev/zero"; do
        case_ "pgc-info $o < S/info/odd_meta.pgc > o.txt"
    done
    ;;
train)
    TR="--width 1 --batch 2 --iters 2 --threads 1"
    for f in "$S"/train/ds_*.pgc; do
        f=S/train/${f##*/}
        case_ "pgc-train $f $TR -o m.model"
        case_ "pgc-train $f $TR --classes none,glioma,meningioma -o m.model"
    done
    for f in "$S"/train/ck*.pgm "$S"/train/model*.model; do
        f=S/train/${f##*/}
        case_ "cp $f r.pgm && cp $f.adv r.pgm.adv 2>/dev/null; pgc-train S/train/ds_sources.pgc $TR --iters 3 --resume r.pgm -o m.model"
        case_ "cp $f r.pgm && cp $f.adv r.pgm.adv 2>/dev/null; pgc-train S/train/ds_sources.pgc $TR --iters 3 --adversarial-source --resume r.pgm --checkpoint r.pgm -o m.model"
    done
    D=S/train/ds_ok.pgc
    for o in "--val S/train/val_32.pgc" "--val S/train/val_no_labels.pgc" "--val S/train/ds_empty.pgc" \
             "--val nosuch.pgc" "--val $D --val-every 1" "--classes none" "--classes none,tumour,tumour" \
             "--classes 'none,a b'" "--classes none," "--classes ,none" "--classes tumour,none" \
             "--classes none,$(printf 'c%.0s' {1..40})" "--classes none$(printf ',k%s' {1..17})" \
             "--class-weights 1,nan" "--class-weights 1," "--class-weights 1,2,3" "--class-weights inf,1" \
             "--class-weights 0,1" "--class-weights 1e7,1" "--class-weights ''" \
             "--lr nan" "--lr 0" "--lr 11" "--lr 1e-9" "--seed -1" "--seed 9223372036854775807" \
             "--seed 9223372036854775808" "--batch 0" "--batch 4097" "--iters 0" "--iters -1" \
             "--iters 1x" "--epochs 1 --iters 1" "--threads 0" "--threads 257" "--width 0" \
             "--arch nosuch" "--arch dcfpn-ref" "--up-init nope" "--adversarial-source" \
             "--adversarial-weight nan" "--adversarial-weight 1e9" "--checkpoint keep.model" \
             "--log keep.tsv" "--log /dev/full" "--log out" "--checkpoint out" "-o out" "-o ''" \
             "-o keep.model" "-o m.model --checkpoint m.model" "-o m.model --log m.model" \
             "-o m.model --checkpoint c.pgm --log c.pgm" "--resume nosuch.pgm" "--resume S/train/model_ok.model" \
             "--resume $D" "--device gpu" "--device nope" "--device ''" "--balance" \
             "--no-augment --strong-augment" "--checkpoint-every 0" "--log-every 1 --log l.tsv"; do
        case_ "pgc-train $D $TR -o m.model $o"
    done
    # an output that names the training set: on a copy, as S is the corpus itself (through
    # S, -o S/train/ds_ok.pgc --force wrote a model over the committed dataset), named
    # keep_*: pgc-train refuses, and the copy it leaves whole is no output of the case
    for o in "-o keep_d.pgc" "-o m.model --log keep_d.pgc" "-o m.model --checkpoint keep_d.pgc"; do
        case_ "cp $D keep_d.pgc && pgc-train keep_d.pgc $TR $o --force"
    done
    case_ "pgc-train $TR -o m.model"
    case_ "pgc-train $D $D $TR -o m.model"
    case_ "pgc-train - $TR -o m.model < $D"
    ;;
infer)
    for f in "$S"/train/stream_*.pgc "$S"/train/ds_*.pgc "$S"/render/*.pgc; do
        f=S/${f#$S/}
        case_ "pgc-infer -m $MODEL --threads 1 < $f > o.pgc"
    done
    for m in "$S"/train/*.pgm "$S"/train/*.model "$S"/train/not_a_model.bin; do
        m=S/${m#$S/}
        case_ "pgc-infer -m $m --threads 1 < S/train/stream_16x16_u8.pgc > o.pgc"
    done
    F=S/train/stream_32x32.pgc
    for o in "--class ''" "--class -1" "--class 2" "--class 1" "--class none" "--class tumour" \
             "--class ' 1'" "--class 1e0" "--class 0x1" "--class 99999999999999999999" \
             "--batch 0" "--batch 1025" "--batch 1024" "--batch 1" "--batch -1" "--batch ''" \
             "--scales 0" "--scales 6" "--scales 1,1" "--scales ''" "--scales all,1" "--scales 5" \
             "--scales 1,,2" "--scales 31" "--scales 32" "--scales 4294967297" "--no-grad --scales 1" \
             "--threads 0" "--threads 256" "--device gpu" "--device nope" "-m" "-m ''" "-m S" \
             "-m /dev/null" "-m /dev/zero" "--model $MODEL -m nosuch.model" "extra-arg"; do
        case_ "pgc-infer -m $MODEL --threads 1 $o < $F > o.pgc"
    done
    case_ "pgc-infer -m S/train/model_ok.model --threads 1 < $F > o.pgc"
    case_ "pgc-infer -m S/train/model_ok.model --threads 1 --class 1 < S/train/stream_16x16_u8.pgc > o.pgc"
    ;;
opts)
    # every numeric option of every filter at its limits; repeated and missing values
    for spec in "pgc-prep --size" "pgc-box --frac" "pgc-box --min-area" "pgc-box --min-area-frac" \
                "pgc-box --min-peak" "pgc-box --max-boxes" "pgc-box --prob-threshold" "pgc-fuse --blur" \
                "pgc-score --prob-threshold" "pgc-slice --min-fg" "pgc-slice --every"; do
        for v in 0 -1 -0 1 nan inf -inf 1e400 99999999999999999999 9223372036854775807 1x "''" "' 1'" 0x10 8192 8193 1e-400; do
            case "$spec" in
            pgc-slice*) case_ "$spec $v S/volume/v.nii.gz > o.pgc" ;;
            pgc-score*) case_ "$spec $v < S/render/keep_frame.pgc > o.tsv" ;; # a TSV, not a stream
            *) case_ "$spec $v < S/render/keep_frame.pgc > o.pgc" ;;
            esac
        done
        case_ "$spec < S/render/keep_frame.pgc > o.pgc"
    done
    for c in "pgc-cam --method" "pgc-cam --scales" "pgc-fuse --scales" "pgc-fuse --op" "pgc-box --rule" \
             "pgc-prep --fit" "pgc-prep --norm" "pgc-prep --pct" "pgc-slice --axis" "pgc-slice --range" \
             "pgc-slice --label" "pgc-slice --tumour-type"; do
        for v in "''" nope 0 1,1 all, 5:1 1:5 "-1:2" "0.5:99.5" "nan:1" "1:nan" "99.5:0.5" ":" all 31 32; do
            case $c in
            pgc-slice*) case_ "$c $v S/volume/v.nii.gz > o.pgc" ;;
            pgc-score*) case_ "$c $v < S/render/keep_frame.pgc > o.tsv" ;; # a TSV, not a stream
            *) case_ "$c $v < S/render/keep_frame.pgc > o.pgc" ;;
            esac
        done
    done
    for c in pgc-box pgc-cam pgc-fuse pgc-prep pgc-score pgc-info pgc-render pgc-npy pgc-volume pgc-slice pgc-train pgc-infer; do
        case_ "$c --nope < /dev/null > o.txt"
        case_ "$c - - < /dev/null > o.txt"
        case $c in pgc-score | pgc-volume) o=o.txt ;; *) o=o.pgc ;; esac # their stdout is no stream
        case_ "$c < S/render/truncated.pgc > $o"
    done
    case_ "pgc-prep --size 16 --size 32 < S/render/keep_frame.pgc > o.pgc"
    case_ "pgc-prep --model nosuch.model < S/render/keep_frame.pgc > o.pgc"
    case_ "pgc-prep --model S/train/ck_meta_prep_odd.pgm < S/render/keep_frame.pgc > o.pgc"
    case_ "pgc-score --truth nosuch.csv S/render/keep_frame.pgc > o.tsv"
    case_ "pgc-score --per-frame keep.tsv S/render/keep_frame.pgc > o.tsv"
    case_ "pgc-score --per-frame out S/render/keep_frame.pgc > o.tsv"
    case_ "pgc-slice --list /dev/null > o.pgc"
    case_ "pgc-slice --list S > o.pgc"
    ;;
env)
    for v in 0 -1 1 "''" "' 5'" 5x 2147483648 2147483649 99999999999999999999 0x100 1e3; do
        case_ "PGC_MAX_VOXELS=$v pgc-slice S/volume/v.nii.gz > o.pgc"
    done
    for v in cpu gpu auto nope "''" CPU; do
        case_ "PGC_DEVICE=$v pgc-infer -m $MODEL --threads 1 < S/train/stream_32x32.pgc > o.pgc"
        case_ "PGC_DEVICE=$v pgc-train S/train/ds_ok.pgc --width 1 --batch 2 --iters 1 --threads 1 -o m.model"
    done
    # --device gpu with a plugin that does not load says so in one line and runs on the
    # CPU (tests/e2e/device_choice.sh): "cannot load" on stderr with exit 0 is meant there
    for p in /nonexistent.so /etc/passwd S "''" S/train/ck_ok.pgm; do
        EXPECT_WARN=1 case_ "PGC_CUDA_PLUGIN=$p pgc-infer -m $MODEL --device gpu --threads 1 < S/train/stream_32x32.pgc > o.pgc"
        case_ "PGC_CUDA_PLUGIN=$p pgc-infer -m $MODEL --threads 1 < S/train/stream_32x32.pgc > o.pgc"
    done
    ;;
none) ;; # --regen alone
*) echo "unknown group '$cur'"; exit 2 ;;
esac
done
echo "hostile: $ncase cases, $nflag flagged"
[ $nflag = 0 ]
