#!/usr/bin/env bash
# pgc-train --classes and what the filters make of a K-class model: the bundled figshare
# slices carry tumour_type (meningioma, glioma, pituitary), the bundled volume slab is a
# glioma (--tumour-type), and the synthetic set adds tumour-free images and tumours of
# no listed type.
. "$(dirname "$0")/lib.sh"
SYN=$UNIT/nn_synth; case $SYN in /*) ;; *) SYN=$TOP/$SYN ;; esac
"$SYN" "$T/syn.pgc" 24 32 1 || { echo "not ok - synthetic data"; exit 1; }
{ pgc-slice --labels "$EX/slices/labels.csv" "$EX"/slices/*.png &&
  pgc-slice "$EX/volume/tcga_du_7294_t1c_slab.nii.gz" --seg "$EX/volume/tcga_du_7294_seg_slab.nii.gz" \
      --tumour-type glioma --every 8; } | pgc-prep --size 32 > "$T/typed.pgc"
cat "$T/typed.pgc" "$T/syn.pgc" > "$T/train.pgc"
C=none,meningioma,glioma,pituitary
TR="pgc-train train.pgc --width 2 --batch 4 --threads 1 --iters 4"
# The checks below read pgc-npy --export's files: a little-endian f32 .npy (format 1.0)
# and its .meta, through this prelude.
NPY='import struct, sys, glob
def npy(f):
    b = open(f, "rb").read(); hl = struct.unpack("<H", b[8:10])[0]
    return struct.unpack("<%df" % ((len(b) - 10 - hl) // 4), b[10 + hl:])
def meta(f): return dict(l.split(": ", 1) for l in open(f).read().splitlines() if ": " in l)
'
# P(tumour) = 1 - P(none) in the prob key; the K probabilities sum to 1; `class` names one.
PROBCHECK=$NPY'
bad = 0
for m in glob.glob(sys.argv[1] + "/*.prob.npy"):
    p = npy(m); md = meta(m[:-4] + ".meta")
    bad += len(p) != 4 or abs(sum(p) - 1) > 1e-5 or abs(float(md["prob"]) - (1 - p[0])) > 1e-5
    bad += md["class"] not in sys.argv[2].split(",")
sys.exit(bad != 0 or not glob.glob(sys.argv[1] + "/*.prob.npy"))'

expect_ok 'tumour_type reaches the stream from labels.csv and from --tumour-type' '
    pgc-info --json typed.pgc | grep -q "\"tumour_type\":\"pituitary\"" &&
    pgc-info --json typed.pgc | grep -q "\"tumour_type\":\"glioma\"" &&
    ! pgc-info --json syn.pgc | grep -q tumour_type'

expect_ok 'a K-class model trains, records its classes and counts the untyped tumours' '
    '"$TR"' --classes '"$C"' -o k.model 2>err && grep -qa "classes: '"$C"'" k.model &&
    grep -q "classes '"$C"'" err && grep -q "[1-9][0-9]* tumour images of no listed type" err'

expect_ok 'pgc-infer gives K probabilities, P(tumour) = 1 - P(none) and the class name' '
    pgc-infer -m k.model --no-grad < typed.pgc | pgc-npy --export p 2>/dev/null &&
    python3 -c "$PROBCHECK" p '"$C"''

expect_ok '--class top differentiates the most probable tumour class, never none' '
    pgc-infer -m k.model --class top < typed.pgc | pgc-info --json | grep "\"name\":\"grad.s1\"" > g.txt &&
    test -s g.txt && ! grep -q "\"cam-class\":\"\(none\|tumour\)\"" g.txt &&
    grep -q "\"cam-class\":\"\(meningioma\|glioma\|pituitary\)\"" g.txt'

# --class sure:P: a frame whose most probable tumour class holds at least P of P(tumour)
# gets that class's map (as --class top), any other the tumour score's (as --class
# tumour). P is the frames' median share, so that both kinds occur; frames within 1e-3 of
# P are skipped (prob is rounded to f32). The default is sure:0.8.
SURECHECK=$NPY'
names = sys.argv[1].split(","); P = float(sys.argv[2]); kinds = set(); bad = 0
for m in glob.glob("su/*.grad.s5.npy"):
    fr = m.split("/")[1].split(".")[0]; p = npy("su/%s.prob.npy" % fr)
    c = max(range(1, len(names)), key=lambda k: p[k]); share = p[c] / sum(p[1:])
    if abs(share - P) < 1e-3: continue
    want, ref = (names[c], "to") if share >= P else ("tumour", "tu")
    g, r = npy(m), npy("%s/%s.grad.s5.npy" % (ref, fr)); scale = max(abs(x) for x in r) or 1
    bad += meta(m[:-4] + ".meta")["cam-class"] != want or max(abs(a - b) for a, b in zip(g, r)) > 1e-5 * scale
    kinds.add(want == "tumour")
sys.exit(bad != 0 or kinds != {0, 1})'
SHARES=$NPY'
v = sorted(max(p[1:]) / sum(p[1:]) for p in map(npy, glob.glob("sh/*.prob.npy")))
print(v[len(v) // 2])'

expect_ok '--class sure:P takes the top class where it holds P of P(tumour), else the tumour score' '
    pgc-infer -m k.model --no-grad < typed.pgc | pgc-npy --export sh 2>/dev/null &&
    P=$(python3 -c "$SHARES") &&
    pgc-infer -m k.model --class sure:$P --scales 5 < typed.pgc | pgc-npy --export su 2>/dev/null &&
    pgc-infer -m k.model --class top --scales 5 < typed.pgc | pgc-npy --export to 2>/dev/null &&
    pgc-infer -m k.model --class tumour --scales 5 < typed.pgc | pgc-npy --export tu 2>/dev/null &&
    python3 -c "$SURECHECK" '"$C"' "$P"'

expect_ok 'the default for a model of tumour types is --class sure:0.8; sure:0 is top' '
    pgc-infer -m k.model < typed.pgc > d.pgc && pgc-infer -m k.model --class sure:0.8 < typed.pgc > s8.pgc &&
    cmp d.pgc s8.pgc &&
    pgc-infer -m k.model --class sure:0 < typed.pgc > s0.pgc && pgc-infer -m k.model --class top < typed.pgc > t.pgc &&
    cmp s0.pgc t.pgc'

expect_exit 2 '--class sure:P wants P in [0, 1]' '
    pgc-infer -m k.model --class sure:1.5 < typed.pgc > /dev/null'

expect_ok '--class tumour and --class NAME choose the score' '
    pgc-infer -m k.model --class tumour < typed.pgc | pgc-info --json | grep -q "\"cam-class\":\"tumour\"" &&
    pgc-infer -m k.model --class glioma < typed.pgc | pgc-info --json | grep "\"name\":\"grad" > g2.txt &&
    test -s g2.txt && ! grep -v "\"cam-class\":\"glioma\"" g2.txt'

# --class type's gradient is the top class's minus the others' by their share of the
# tumour classes' probability (d/dz of z_c - log sum_{k != c} exp z_k), checked on grad.s5.
TYPECHECK=$NPY'
names = sys.argv[1].split(","); bad = 0; n = 0
for m in glob.glob("ty/*.grad.s5.npy"):
    fr = m.split("/")[1].split(".")[0]
    md = meta(m[:-4] + ".meta")
    c = names.index(md["cam-class"].split(" vs ")[0]); p = npy("ty/%s.prob.npy" % fr)
    others = [k for k in range(1, len(names)) if k != c]; tot = sum(p[k] for k in others)
    want = list(npy("k%d/%s.grad.s5.npy" % (c, fr)))
    for k in others:
        g = npy("k%d/%s.grad.s5.npy" % (k, fr)); want = [w - p[k] / tot * x for w, x in zip(want, g)]
    got = npy(m); scale = max(abs(x) for x in want) or 1
    bad += md["cam-class"] != names[c] + " vs types" or max(abs(a - b) for a, b in zip(got, want)) > 1e-4 * scale
    n += 1
sys.exit(bad != 0 or n == 0)'

expect_ok '--class type differentiates the top tumour class against the other types' '
    pgc-infer -m k.model --class type --scales 5 < typed.pgc | pgc-npy --export ty 2>/dev/null &&
    for c in 1 2 3; do pgc-infer -m k.model --class $c --scales 5 < typed.pgc | pgc-npy --export k$c 2>/dev/null || exit 1; done &&
    python3 -c "$TYPECHECK" '"$C"''

expect_exit 2 '--class type is refused for a two-class model' '
    '"$TR"' -o two0.model 2>/dev/null && pgc-infer -m two0.model --class type < typed.pgc > /dev/null'

expect_exit 2 '--class sure is refused for a two-class model' '
    pgc-infer -m two0.model --class sure < typed.pgc > /dev/null'

expect_ok 'a two-class model still differentiates logit 1, as before' '
    '"$TR"' -o two.model 2>/dev/null &&
    pgc-infer -m two.model < typed.pgc | pgc-info --json >info.json &&
    grep "grad.s1" info.json >grad.json && grep -q "\"cam-class\":\"tumour\"" grad.json &&
    pgc-infer -m two.model --class 1 < typed.pgc > a.pgc && pgc-infer -m two.model < typed.pgc > b.pgc && cmp a.pgc b.pgc'

expect_ok '--up-init nearest trains and the model records it' '
    '"$TR"' --up-init nearest -o n.model 2>/dev/null && grep -qa "up-init: nearest" n.model'

expect_ok 'the model carries its preprocessing and pgc-prep --model takes it' '
    grep -qa "prep-size: 32" k.model && grep -qa "prep-fit: crop" k.model && grep -qa "prep-norm: pct 0.5 99.5" k.model &&
    pgc-slice "$EX/slices/0205.png" | pgc-prep --model k.model | pgc-info | grep -q "image f32 \[y=32 x=32\]" &&
    pgc-slice "$EX/slices/0205.png" | pgc-prep --model k.model --size 48 | pgc-info | grep -q "y=48 x=48"'

expect_ok 'a model trained on --norm hist images records it, and pgc-prep --model makes them alike' '
    pgc-slice --labels "$EX/slices/labels.csv" "$EX/slices/0205.png" | pgc-prep --size 32 --norm hist > h.pgc &&
    pgc-info --json h.pgc | grep -q "\"norm\":\"hist 0.5 99.5\"" &&
    pgc-train h.pgc --width 2 --batch 1 --threads 1 --iters 1 -o h.model 2>/dev/null &&
    grep -qa "prep-norm: hist 0.5 99.5" h.model &&
    pgc-slice --labels "$EX/slices/labels.csv" "$EX/slices/0205.png" | pgc-prep --model h.model | cmp - h.pgc'

expect_exit 1 'a model whose prep-fit is neither crop nor pad is refused by pgc-prep --model' '
    sed "s/prep-fit: crop/prep-fit: cram/" k.model > bad.model && grep -qa "prep-fit: cram" bad.model &&
    pgc-slice "$EX/slices/0205.png" | pgc-prep --model bad.model > /dev/null'

expect_ok 'an input unlike the training images gets one warning line, then runs' '
    pgc-slice "$EX"/slices/*.png | pgc-prep --size 64 | pgc-infer -m k.model --no-grad > o.pgc 2>err &&
    test "$(wc -l < err)" -eq 1 && grep -q "64x64.*32x32.*pgc-prep --model" err && test -s o.pgc &&
    pgc-slice "$EX"/slices/*.png | pgc-prep --model k.model | pgc-infer -m k.model --no-grad > o.pgc 2>err &&
    ! test -s err'

expect_ok 'pgc-score adds the type confusion matrix for a K-class model, not for two' '
    pgc-infer -m k.model --no-grad < typed.pgc | pgc-score > s.tsv &&
    awk -F"\t" "\$1 == \"type_frames\" { t = \$2 } \$1 == \"frames_label\" { n = \$2 } END { exit !(t > 0 && t == n) }" s.tsv &&
    grep -q "^type_accuracy	" s.tsv &&
    grep -q "^confusion.meningioma.[a-z]*	[0-9]" s.tsv && grep -q "^class_accuracy.glioma	" s.tsv &&
    pgc-infer -m two.model --no-grad < typed.pgc | pgc-score > s2.tsv && ! grep -q type_ s2.tsv'

expect_ok '--balance and --adversarial-source train, name the sources and record themselves' '
    '"$TR"' --classes '"$C"' --balance --adversarial-source -o adv.model 2>err &&
    grep -q "source 0: .*examples/slices" err && grep -q "source head loss [0-9.]* acc" err &&
    grep -qa "balance: class,source" adv.model && grep -qa "adversarial-source: 0.1" adv.model &&
    grep -q "class weights 1,1,1,1" err'

expect_ok 'a resumed adversarial run continues exactly (the head is kept beside the checkpoint)' '
    '"$TR"' --iters 8 --balance --adversarial-source -o full.model 2>/dev/null &&
    '"$TR"' --iters 4 --balance --adversarial-source --checkpoint ck -o half.model 2>/dev/null &&
    test -s ck.adv &&
    '"$TR"' --iters 8 --balance --adversarial-source --resume ck -o resumed.model 2>/dev/null &&
    cmp full.model resumed.model &&
    '"$TR"' --iters 8 --adversarial-source -o other.model 2>/dev/null &&
    outputs_differ full.model other.model typed.pgc'

expect_ok '--mirror-halves trains on pairs from the step asked on, records itself and resumes exactly' '
    '"$TR"' --iters 6 --classes '"$C"' --mirror-halves 1 --mirror-halves-types glioma,meningioma \
        --mirror-halves-from 2 -o mh.model 2>/dev/null &&
    grep -qa "mirror-halves: 1" mh.model && grep -qa "mirror-halves-types: glioma,meningioma" mh.model &&
    grep -qa "mirror-halves-from: 2" mh.model &&
    '"$TR"' --iters 3 --classes '"$C"' --mirror-halves 1 --mirror-halves-types glioma,meningioma \
        --mirror-halves-from 2 --checkpoint mhck -o mh3.model 2>/dev/null &&
    '"$TR"' --iters 6 --classes '"$C"' --mirror-halves 1 --mirror-halves-types glioma,meningioma \
        --mirror-halves-from 2 --resume mhck -o mhr.model 2>/dev/null && cmp mh.model mhr.model &&
    '"$TR"' --iters 6 --classes '"$C"' -o plain.model 2>/dev/null &&
    outputs_differ mh.model plain.model typed.pgc'
expect_ok '--shuffle-tiles changes the training, records itself and resumes exactly' '
    '"$TR"' --iters 6 --classes '"$C"' --shuffle-tiles 4 -o st.model 2>/dev/null &&
    grep -qa "^shuffle-tiles: 4$" st.model &&
    '"$TR"' --iters 3 --classes '"$C"' --shuffle-tiles 4 --checkpoint stck -o st3.model 2>/dev/null &&
    '"$TR"' --iters 6 --classes '"$C"' --shuffle-tiles 4 --resume stck -o str.model 2>/dev/null && cmp st.model str.model &&
    '"$TR"' --iters 6 --classes '"$C"' -o stplain.model 2>/dev/null &&
    outputs_differ st.model stplain.model typed.pgc'
# Tied taps are a rule of the whole run: a resumed run keeps it from the checkpoint, so
# resuming without the option gives the model of one uninterrupted run.
expect_ok '--up-init tied differs from nearest, records itself and a resume keeps the tie' '
    '"$TR"' --iters 6 --up-init tied -o ti.model 2>/dev/null && grep -qa "^up-init: tied$" ti.model &&
    '"$TR"' --iters 6 --up-init nearest -o tn.model 2>/dev/null && outputs_differ ti.model tn.model typed.pgc &&
    '"$TR"' --iters 3 --up-init tied --checkpoint tick -o ti3.model 2>/dev/null &&
    '"$TR"' --iters 6 --resume tick -o tir.model 2>/dev/null && cmp ti.model tir.model'
expect_ok '--hide-patches changes the training, records itself and resumes exactly' '
    '"$TR"' --iters 6 --classes '"$C"' --hide-patches 4 -o hp.model 2>/dev/null &&
    grep -qa "^hide-patches: 4$" hp.model &&
    '"$TR"' --iters 6 --classes '"$C"' -o hp0.model 2>/dev/null && outputs_differ hp.model hp0.model typed.pgc &&
    '"$TR"' --iters 3 --classes '"$C"' --hide-patches 4 --checkpoint hpck -o hp3.model 2>/dev/null &&
    '"$TR"' --iters 6 --classes '"$C"' --hide-patches 4 --resume hpck -o hpr.model 2>/dev/null && cmp hp.model hpr.model'
# --init fine-tunes: the model's weights are where training starts (a run of the same seed
# from scratch ends elsewhere), at another image size if need be, and the steps count anew.
expect_ok '--init fine-tunes a model at another size from its weights, and records it' '
    pgc-slice --labels "$EX/slices/labels.csv" "$EX"/slices/*.png | pgc-prep --size 48 > t48.pgc &&
    pgc-train t48.pgc --width 2 --batch 4 --threads 1 --iters 3 --classes '"$C"' --init k.model -o ft.model 2>/dev/null &&
    grep -qa "^init: k.model$" ft.model && grep -qa "^prep-size: 48$" ft.model &&
    pgc-train t48.pgc --width 2 --batch 4 --threads 1 --iters 3 --classes '"$C"' -o fs.model 2>/dev/null &&
    outputs_differ ft.model fs.model t48.pgc && outputs_differ ft.model k.model t48.pgc &&
    pgc-train t48.pgc --width 2 --batch 4 --threads 1 --iters 2 --classes '"$C"' --init k.model \
        --checkpoint ftck -o ft2.model 2>/dev/null &&
    python3 -c "import struct, sys; sys.exit(struct.unpack(\"<Q\", open(\"ftck\", \"rb\").read()[32:40])[0] != 2)"'
expect_ok '--init --up-init tied ties a model trained untied; otherwise the model'"'"'s choice holds' '
    pgc-train t48.pgc --width 2 --batch 4 --threads 1 --iters 3 --classes '"$C"' --init k.model \
        --up-init tied -o ftt.model 2>/dev/null &&
    grep -qa "^up-init: tied$" ftt.model && grep -qa "^up-init: he$" ft.model &&
    outputs_differ ftt.model ft.model t48.pgc'
expect_exit 1 '--init takes a model, not a checkpoint' \
    "fails_with \"cannot start from 'ftck': a checkpoint\" $TR --classes $C --init ftck -o x.model"
expect_exit 1 '--init wants the model of the same classes' \
    "fails_with \"cannot start from 'k.model': its classes differ\" $TR --init k.model -o x.model"
expect_exit 1 '--init wants the model of the same width' \
    "fails_with \"cannot start from 'k.model': it is dcfpn width 2, not dcfpn width 4\" $TR --classes $C --width 4 --init k.model -o x.model"
expect_exit 2 '--init or --resume, not both' \
    "fails_with \"--init or --resume\" $TR --classes $C --init k.model --resume ftck -o x.model"
expect_exit 2 '--init is never written over' \
    "fails_with \"would be written over --init\" $TR --classes $C --init k.model -o k.model --force"
expect_exit 2 '--hide-patches must cut the image into patches' "$TR --hide-patches 5 -o x.model"
expect_exit 2 '--hide-patches 1 would hide the whole image' "$TR --hide-patches 1 -o x.model"
expect_exit 2 '--shuffle-tiles must divide the image size' "$TR --shuffle-tiles 3 -o x.model"
expect_exit 2 '--shuffle-tiles takes at most 16 tiles a side' "$TR --shuffle-tiles 32 -o x.model"
expect_exit 2 '--mirror-halves-types names tumour classes of --classes' \
    "$TR --classes $C --mirror-halves 1 --mirror-halves-types astrocytoma -o x.model"
expect_exit 2 '--mirror-halves-types cannot name none' \
    "$TR --classes $C --mirror-halves 1 --mirror-halves-types none -o x.model"
expect_exit 2 '--mirror-halves and --adversarial-source: one or the other' \
    "$TR --classes $C --mirror-halves 1 --adversarial-source -o x.model"
expect_exit 1 '--adversarial-source on images of one source is refused' \
    "pgc-train syn.pgc --width 2 --batch 4 --threads 1 --iters 2 --adversarial-source -o x.model"
expect_exit 2 '--class with a name the model lacks is a usage error' \
    "pgc-infer -m k.model --class astrocytoma < typed.pgc"
expect_exit 2 '--classes must start with none' "$TR --classes glioma,none -o x.model"
expect_exit 2 '--classes names a class once' "$TR --classes none,glioma,glioma -o x.model"
expect_exit 2 '--up-init wants he, nearest or tied' "$TR --up-init bilinear -o x.model"
expect_exit 1 'a class no training image has is refused' "$TR --classes none,astrocytoma,glioma -o x.model"
