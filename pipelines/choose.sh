#!/usr/bin/env bash
# Chooses the model to ship from the study's scores on the validation split only:
# the score of a model is the mean over the four tumour sources (figshare meningioma,
# glioma, pituitary; Br35H) of the PG-CAM pointing game and of the product rule's IOBB
# F1, so that a model good on one source alone does not win; a model whose tumour vs
# none ROC AUC on the validation split is below MIN_AUC (0.95) is not a candidate, since
# its probability gates the boxes; nor is a model that points at the Br35H tumours less
# often than the model shipped before the study (`ship`), since the localisation issue
# asks for no loss there (MIN_BR_PG, default ship's own pointing game on br_val).
# Each model is scored on the map the product chain makes of it (tsv.sh chain_rows:
# pgc-infer's default score, with --mirror, by the chain's CAM method, scales 3-5, blur 3):
# its pointing game and the product rule's F1 are both of that map.
# An ensemble (a name with -ens-) is a candidate like any model: make ship puts each of
# its members into examples/model/ (tsv.sh shipped_files).
# Prints the model's name and its score.
# Usage: choose.sh RESULTS MODEL... (the kept scores: RESULTS/MODEL/*.tsv)
set -euo pipefail
kept=$1; shift
. "$(dirname "$0")/tsv.sh"
get() { tsv_get "$1" "$2" 0; }
min_br=${MIN_BR_PG:-$( [ -f "$kept/ship/br_val.paper.tsv" ] && get "$kept/ship/br_val.paper.tsv" pointing_game || echo 0)}
rows=$(chain_rows); prod=${rows#* }
for m in "$@"; do
    [ -f "$kept/$m/menin_val.$prod.tsv" ] || continue
    awk -v a="$(get "$kept/$m/cls.tsv" roc_auc)" -v min="${MIN_AUC:-0.95}" 'BEGIN { exit !(a >= min) }' || continue
    awk -v a="$(get "$kept/$m/br_val.$prod.tsv" pointing_game)" -v min="$min_br" 'BEGIN { exit !(a >= min) }' || continue
    printf '%s\t%s\n' "$m" "$(chain_score "$kept" "$m" "$prod" "$prod")"
done | sort -t$'\t' -k2,2gr -k1,1 | head -n 1
