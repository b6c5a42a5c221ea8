#!/usr/bin/env bash
# The product rule for all the study's models at once: tune_rule.sh on each, then the
# mean of each setting's mean F1 over the models, best first, so that the rule chosen is
# the one that serves every model, not one model's luck. Usage: tune_all.sh WORK BIN MODEL...
set -euo pipefail
w=$1 bin=$2; shift 2
for m in "$@"; do
    [ -s "$w/study/$m/tune.tsv" ] || bash "$(dirname "$0")/tune_rule.sh" "$w" "$m" "$bin" > "$w/study/$m/tune.tsv.tmp"
    [ -s "$w/study/$m/tune.tsv" ] || mv "$w/study/$m/tune.tsv.tmp" "$w/study/$m/tune.tsv"
done
printf 'blur\tfrac\tmin_peak\tmax_boxes\tmean_f1_over_models\tboxes_per_slice\n'
for m in "$@"; do tail -n +2 "$w/study/$m/tune.tsv"; done |
    awk -F'\t' '{ k = $1 "\t" $2 "\t" $3 "\t" $4; s[k] += $5; b[k] += $10; n[k]++ }
        END { for (k in s) printf "%s\t%.4f\t%.2f\n", k, s[k] / n[k], b[k] / n[k] }' | sort -t$'\t' -k5,5gr
