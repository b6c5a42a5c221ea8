#!/usr/bin/env bash
# What the hostile pass (tests/fuzz/hostile.sh, corpus tests/fuzz/seeds/hostile/) found
# behind the file outputs, the checkpoints and the options: each row is a behaviour, named
# by what the commands do now (H1, H2 also in tests/unit/hardening.c).
. "$(dirname "$0")/lib.sh"
MKS="python3 $TOP/tests/data/mkstream.py"
MKN="python3 $TOP/tests/data/mknii.py"

# H2: a '# dims:' name no reader takes (a tab, a non-ASCII letter) was written into the
# stream, which every reader then refused.
expect_exit 1 "pgc-npy --import refuses a '# dims:' name that is not printable ASCII, naming the file (H2)" "
    $MKS 'frame: a;name: image|u8|2x2' | pgc-npy --export x &&
    printf '# dims: y\tx q\nframe: a\n' > x/a.image.meta &&
    fails_with \"cannot read 'x/a.image.npy': dimension name 'y.x' is not printable ASCII\" pgc-npy --import x/a.image.npy"

# H3: --export writes a '# dims:' line before a record's metadata, which may be 1 MiB:
# such a .meta file was refused as too large when read back.
expect_ok "pgc-npy --import reads back the .meta of a record with 1 MiB of metadata (H3)" "
    python3 -c '
import sys
s, i = \"frame: a\nname: image\n\", 0
while len(s) < (1 << 20) - 4100:
    s += \"k%d: %s\n\" % (i, \"x\" * 4000); i += 1
open(\"m.txt\", \"w\").write(s + \"z: \" + \"y\" * ((1 << 20) - len(s) - 4) + \"\n\")' &&
    $MKS '@m.txt|u8|2x2' > s.pgc && pgc-npy --export x3 < s.pgc && pgc-npy --import x3/a.image.npy > r.pgc &&
    pgc-npy --export y3 < r.pgc && cmp x3/a.image.meta y3/a.image.meta"

# H4: two sources of one file name (a/t1.nii.gz, b/t1.nii.gz) make one output name; with
# --force the second volume replaced the first, without it the refusal blamed the user.
mkvols() {
    mkdir -p a b && $MKN a/t1.nii.gz --gz --dtype u8 --dims 16 16 2 --expr 'i+j' > /dev/null &&
        $MKN b/t1.nii.gz --gz --dtype u8 --dims 16 16 2 --expr 'i+j' > /dev/null &&
        pgc-slice a/t1.nii.gz b/t1.nii.gz > s.pgc
}
expect_exit 1 "pgc-volume --force names both volumes that would make one NIfTI file (H4)" "
    mkvols && fails_with \"'a/t1.nii.gz axial' and 'b/t1.nii.gz axial' both make the file name 'o/t1.axial.image.nii.gz'\" \
        pgc-volume --map image -o o --force s.pgc"
expect_exit 1 "pgc-volume names both volumes that would make one plot (H4)" "
    mkvols && fails_with \"both make the file name 'p_t1.axial.png'\" pgc-volume --map image --plot 'p_%s.png' s.pgc"
expect_ok "pgc-volume writes one file per volume when the names differ (H4)" "
    mkvols && mv b/t1.nii.gz b/t2.nii.gz && pgc-slice a/t1.nii.gz b/t2.nii.gz > s.pgc &&
    pgc-volume --map image -o o4 s.pgc > r.tsv && test \$(ls o4 | wc -l) = 2"

# H5: a checkpoint's adversarial head (.adv) is checked as the model is: a step count
# of 2^63 - 1 overflowed on the next step (UBSan), NaN weights blamed --adversarial-weight.
SYN=$UNIT/nn_synth; case $SYN in /*) ;; *) SYN=$TOP/$SYN ;; esac
TR="--width 1 --batch 2 --threads 1 --adversarial-source"
mkadv() { # a checkpoint with its .adv, trained on two sources
    rm -f ck ck.adv && pgc-train $TOP/tests/fuzz/seeds/hostile/train/ds_sources.pgc $TR --iters 1 \
        --checkpoint ck -o m0.model --force 2> /dev/null
}
# patch FILE OFFSET FORMAT VALUE: one field of the .adv file
patch() { python3 -c 'import struct,sys; p,o,f,v=sys.argv[1:]; b=bytearray(open(p,"rb").read()); struct.pack_into(f,b,int(o),float(v) if f.endswith("f") else int(v)); open(p,"wb").write(b)' "$@"; }
expect_exit 1 "pgc-train --resume refuses an .adv claiming 2^63 - 1 steps, naming it (H5)" "
    mkadv && patch ck.adv 32 '<q' 9223372036854775807 &&
    fails_with \"'ck.adv': step count 9223372036854775807 is beyond\" pgc-train $TOP/tests/fuzz/seeds/hostile/train/ds_sources.pgc $TR --iters 2 --resume ck -o m5.model --force"
expect_exit 1 "pgc-train --resume refuses an .adv holding NaN, naming it (H5)" "
    mkadv && patch ck.adv 40 '<f' nan &&
    fails_with \"'ck.adv': value 0 of the head's state is nan\" pgc-train $TOP/tests/fuzz/seeds/hostile/train/ds_sources.pgc $TR --iters 2 --resume ck -o m5.model --force"
expect_ok "pgc-train --resume continues its own .adv (H5)" "
    mkadv && pgc-train $TOP/tests/fuzz/seeds/hostile/train/ds_sources.pgc $TR --iters 2 --resume ck -o m5.model --force 2> /dev/null"

# H6: -o, --checkpoint and --log naming one file trained to the end and then failed (or
# wrote the log into the model's place): refused before training.
"$SYN" "$T/train.pgc" 16 32 1 > /dev/null
for pair in "-o m.model --checkpoint m.model" "-o m.model --log m.model" "-o m.model --checkpoint c --log c" \
            "-o m.model --checkpoint ./m.model"; do
    expect_exit 2 "pgc-train refuses outputs that name one file: $pair (H6)" "
        fails_with 'name one file' pgc-train train.pgc --width 2 --batch 4 --threads 1 --iters 1 $pair &&
        test ! -e m.model"
done
expect_exit 2 "pgc-train refuses --log naming an existing -o by another path (H6)" "
    echo old > m.model && ln -s m.model l.tsv &&
    fails_with \"-o 'm.model' and --log 'l.tsv' name one file\" pgc-train train.pgc --width 2 --threads 1 --iters 1 -o m.model --log l.tsv --force &&
    grep -qx old m.model"

# H7: pgc-infer checked --scales only when the first image built the net: after a
# warning and input read, and never for a stream without images (exit 0).
MODEL=$EX/model/dcfpn.model
for sc in 0 6 1,,2 all,1; do
    expect_exit 2 "pgc-infer refuses --scales $sc before it reads any input (H7)" "
        $MKS 'frame: a;name: pgcam|f32|4x4' > s.pgc &&
        fails_with \"--scales wants 'all' or numbers in 1..5 separated by commas, not '$sc'\" pgc-infer -m $MODEL --scales $sc < s.pgc"
done
expect_ok "pgc-infer --scales 1,5 emits those scales only (H7)" "
    $MKS 'frame: a;name: image|f32|32x32|0,1' | pgc-infer -m $MODEL --threads 1 --scales 1,5 2> /dev/null | pgc-info > i.txt &&
    grep -q ' feat.s1 ' i.txt && grep -q ' grad.s5 ' i.txt && ! grep -q ' feat.s2 ' i.txt"

# H8: pgc-train wrote -o and --checkpoint only after training: a missing directory or a
# directory in the file's place failed the run at its end.
for bad in "-o nodir/m.model" "-o adir --force" "-o m8.model --checkpoint nodir/ck"; do
    expect_exit 1 "pgc-train refuses $bad before it trains (H8)" "
        mkdir -p adir && fails_with \"cannot write '[a-z]*/*[a-z.]*': \\(No such file\\|Is a directory\\)\" \
            pgc-train train.pgc --width 2 --batch 4 --threads 1 --iters 1 $bad"
done
