#!/usr/bin/env bash
# Writes Tables 1 and 2 as Markdown from the pgc-score outputs under $1 (the work dir).
set -euo pipefail
w=$1
# get FILE METRIC: the value of one metric in a pgc-score TSV, or "n/a".
. "$(dirname "$0")/tsv.sh"
get() { tsv_get "$1" "$2" n/a; }
fmt() { [ "$1" = n/a ] && echo n/a || printf '%.3f' "$1"; }

echo "## Table 1: classification on the validation split"
echo
echo "| model | accuracy | sensitivity | specificity | ROC AUC |"
echo "|---|---|---|---|---|"
for a in dcfpn fpn multigap multigap-dc resnet50; do
    f=$w/t1/$a.tsv
    echo "| $a | $(fmt "$(get "$f" cls_accuracy)") | $(fmt "$(get "$f" sensitivity)") | $(fmt "$(get "$f" specificity)") | $(fmt "$(get "$f" roc_auc)") |"
done
f=$w/t1/dcfpn-ship.tsv
echo "| dcfpn, shipped recipe (longer, strong augmentation) | $(fmt "$(get "$f" cls_accuracy)") | $(fmt "$(get "$f" sensitivity)") | $(fmt "$(get "$f" specificity)") | $(fmt "$(get "$f" roc_auc)") |"
echo
echo "## Table 2: localisation on the validation meningioma slices"
echo
echo "| method | IOBB precision | IOBB accuracy | IOBB F1 | F1 @ IoU 0.5 | MaxBoxAccV2 | pointing game |"
echo "|---|---|---|---|---|---|---|"
row() {
    local f=$w/t2/$2.tsv
    echo "| $1 | $(fmt "$(get "$f" iobb_precision)") | $(fmt "$(get "$f" iobb_accuracy)") | $(fmt "$(get "$f" iobb_f1)") | $(fmt "$(get "$f" iou50_f1)") | $(fmt "$(get "$f" maxboxacc_v2)") | $(fmt "$(get "$f" pointing_game)") |"
}
row "PG-CAM, all scales (dcfpn)" pgcam-all
row "Grad-CAM, scale 1 (dcfpn)" pgcam-s1
row "PG-CAM, scales 1 and 4 (dcfpn)" pgcam-s14
row "ResCAM (resnet50, CAM)" rescam
row "Grad-ResCAM (resnet50)" gradrescam
row "PG-CAM, all scales (dcfpn trained without figshare)" nofig-all
row "Grad-CAM, scale 1 (dcfpn trained without figshare)" nofig-s1
row "PG-CAM, all scales (dcfpn, shipped recipe)" ship-all
row "Grad-CAM, scale 1 (dcfpn, shipped recipe)" ship-s1
echo
echo "## The source confound: per source of the validation split"
echo
echo "| model | source | slices | accuracy | sensitivity | specificity | ROC AUC | PG-CAM IOBB F1 | pointing game |"
echo "|---|---|---|---|---|---|---|---|---|"
for d in src:dcfpn src-nofig:"dcfpn without figshare" src-ship:"dcfpn, shipped recipe"; do
    for s in fig_val:figshare br_val:Br35H vol_val:volume; do
        f=$w/${d%%:*}/${s%%:*}.tsv
        echo "| ${d#*:} | ${s#*:} | $(get "$f" frames_label) | $(fmt "$(get "$f" cls_accuracy)") | $(fmt "$(get "$f" sensitivity)") | $(fmt "$(get "$f" specificity)") | $(fmt "$(get "$f" roc_auc)") | $(fmt "$(get "$f" iobb_f1)") | $(fmt "$(get "$f" pointing_game)") |"
    done
done
echo
echo "Data: $(awk -F'\t' '{printf "%s%s: %d slices (%d tumour, %d none)", (NR > 1 ? "; " : ""), $1, $2, $3, $4}' "$w/counts.tsv")."
