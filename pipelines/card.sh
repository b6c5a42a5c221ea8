#!/usr/bin/env bash
# The shipped model's card (examples/model/README.md), from the model file's own
# metadata and the study's kept scores on the validation split (RESULTS/MODEL/, with its
# training log there as log.tsv and train.txt).
# Usage: card.sh RESULTS MODEL MODEL-FILE   the whole card
#        card.sh RESULTS MODEL --scores      only its scores, the part between the card's
#                                            <!-- scores:begin/end --> markers (make ship,
#                                            when the model shipped stays)
set -euo pipefail
r=$1 m=$2 f=$3
. "$(dirname "$0")/tsv.sh"
get() { printf '%.3f' "$(tsv_get "$r/$m/$1" "$2" 0)"; }
# the models shipped (an ensemble: its members) and examples/model/'s files for them
mapfile -t mem < <(members "$m")
mapfile -t files < <(shipped_files ${#mem[@]})
# the rows of the paper's PG-CAM and of the map the product chain makes (tsv.sh)
rows=$(chain_rows); paper=${rows% *} prod=${rows#* }
# the share those rows were made with (pipelines/Makefile's SURE, pgc-infer's default)
sure=${SURE:?"card.sh: SURE unset (pipelines/Makefile passes it)"}
# the per-source localisation table, on the map above
table() {
    echo "| source | pointing game | IOBB F1, product rule | boxes per slice, product rule | pointing game, all scales | IOBB F1, paper rule, all scales |"
    echo "|---|---|---|---|---|---|"
    for s in menin_val:"figshare meningioma" glio_val:"figshare glioma" pit_val:"figshare pituitary" br_val:"Br35H" vol_val:"volume (metastasis)"; do
        k=${s%%:*}
        bps=$(awk -F'\t' '$1 == "pred_boxes" { b = $2 } $1 == "frames" { n = $2 } END { printf "%.2f", n ? b / n : 0 }' "$r/$m/$k.$prod.tsv")
        echo "| ${s#*:} | $(get $k.$prod.tsv pointing_game) | $(get $k.$prod.tsv iobb_f1) | $bps | $(get $k.$paper.tsv pointing_game) | $(get $k.$paper.tsv iobb_f1) |"
    done
}
# the validation scores: classification, and localisation per source on the map above
scores() {
    cat <<EOT
Validation split, classification (tumour vs none, 525 slices): accuracy $(get cls.tsv cls_accuracy),
sensitivity $(get cls.tsv sensitivity), specificity $(get cls.tsv specificity), ROC AUC $(get cls.tsv roc_auc).

Localisation on the validation split: the pointing game and the product rule's IOBB F1 of
the chain's map, PG-CAM of the coarse scales with blur (\`pgc-fuse --scales ${COARSE:?} --blur 3 | pgc-box --rule product\`),
and, beside them, the pointing game and the paper rule's IOBB F1 of the paper's PG-CAM
(every scale, no blur, \`pgc-fuse --scales all | pgc-box --rule paper\`); the maps are
made with the $(case $CHAIN_METHOD in gradcam) echo Grad-CAM ;; gradcam++) echo "Grad-CAM++ (\`pgc-cam --method gradcam++\`)" ;; *) echo "$CHAIN_METHOD (\`pgc-cam --method $CHAIN_METHOD\`)" ;; esac) of the score \`pgc-infer\` differentiates by default for this model
($(case $m in types-*|figtypes-*) echo "\`--class sure:$sure\`: the most probable tumour type's logit where that type holds at least $sure of P(tumour), the tumour score elsewhere" ;; *) echo "the tumour logit" ;; esac)),
on the slice and on its mirror image (\`pgc-infer --mirror\`$( [ ${#mem[@]} = 1 ] || echo ", of every model of the ensemble"), as in the README's chain and \`make demo\`):

EOT
    table
}
[ "$f" = --scores ] && { scores; exit 0; }
meta() { python3 - "$f" "$1" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<I", b[40:44])[0]
for line in b[64:64 + n].decode().splitlines():
    k, _, v = line.partition(": ")
    if k == sys.argv[2]: print(v)
PY
}
# From each shipped model's training log, its seconds and steps (a model restored from git, not
# trained here, has neither: its card says '?')
secs="" steps="" resumed=""
for x in "${mem[@]}"; do
    t=$(sed -n 's/.* in \([0-9]*\) s$/\1/p' "$r/$x/train.txt" 2>/dev/null | tail -n 1 || true)
    secs="${secs:+$secs + }${t:-?} s"
    [ -n "$steps" ] || steps=$(awk -F'\t' 'END { print $1 }' "$r/$x/log.tsv" 2>/dev/null || true)
    # "after N steps (M this run)": M < N when the run was resumed from a checkpoint
    [ -n "$resumed" ] || resumed=$(sed -n 's/.*after \([0-9]*\) steps (\([0-9]*\) this run).*/\1 \2/p' "$r/$x/train.txt" 2>/dev/null |
          tail -n 1 | awk '{ print ($2 < $1) ? " (a last run resumed from a checkpoint)" : "" }' || true)
done
# "a", "a and b", "a, b and c"
and_list() { paste -sd, | sed 's/,/, /g; s/\(.*\), /\1 and /'; }
names=$(printf '%s\n' "${files[@]}" | sed 's/.*/`&`/' | and_list)
mems=$(printf '%s\n' "${mem[@]}" | sed 's/.*/`&`/' | and_list)
seeds=$(printf '%s\n' "${mem[@]}" | sed 's/.*-s//' | and_list)
margs=$(printf -- '-m examples/model/%s\n' "${files[@]}" | paste -sd' ')
cat <<EOT
# The shipped model: $( [ ${#mem[@]} = 1 ] && echo dcfpn.model || echo "an ensemble, $(echo "$names" | tr -d '`')")

$( [ ${#mem[@]} = 1 ] && echo "A DC-FPN" || echo "${#mem[@]} DC-FPNs") (\`format/network.md\`, dense connections on) trained by this project's own
\`pgc-train\` on image-level labels only, in the localisation study of \`pipelines/\`
(\`make -C pipelines -j4 THREADS=1 study\`; $( [ ${#mem[@]} = 1 ] && echo "this file is the study's
\`$m\`" || echo "the files $names are the study's $mems,
scored together as \`$m\`: \`pgc-infer $margs\`
averages their probabilities and sums their maps"), and this card is written by \`pipelines/card.sh\`).

| | |
|---|---|
| architecture | \`$(meta arch)\`, width w = $(meta width), classes \`$(meta classes)\` (class 0 none; P(tumour) = 1 - P(none)) |
| input | 1 x $(meta prep-size) x $(meta prep-size): \`pgc-prep --model examples/model/dcfpn.model\` (fit $(meta prep-fit), norm $(meta prep-norm)) |
| data | \`pipelines/\` train split: $(meta train-images) slices, $(meta train-tumour) tumour: figshare T1c (meningioma, glioma, pituitary: their \`tumour_type\`), Br35H (tumour of unknown type, or none), every 3rd axial brain slice of the TCGA glioma volume and of the Colin27 template |
| recipe | Adam, lr $(meta lr) x 0.1 every $(meta lr-step) steps, ${steps:-?} steps of batch $(meta batch), class weights $(meta class-weights), augmentation $(meta augment), transposed convolutions initialised $(meta up-init), $( [ ${#mem[@]} = 1 ] && echo "seed $(meta seed)" || echo "seeds $seeds, one model each"), $(meta threads) thread |
| time | ${secs}${resumed} on one core of a 2-core AMD EPYC, beside another training and other work |

Why this one: it scored best on the validation split by \`pipelines/choose.sh\` (the mean
over figshare meningioma, glioma, pituitary and Br35H of the pointing game and of the
product rule's IOBB F1 on the chain's map), among the models of the study table in the top-level
README. Nothing of the kept-back cases was used to choose it.

<!-- scores:begin -->
$(scores)
<!-- scores:end -->
EOT
