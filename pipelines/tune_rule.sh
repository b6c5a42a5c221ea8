#!/usr/bin/env bash
# The product box rule, chosen on the validation split: for one model's Grad-CAMs of the
# four tumour sources (WORK/study/MODEL/{menin,glio,pit,br}_val.cam.pgc), every
# combination of blur, threshold, peak fraction and box count below, scored by IOBB F1
# per source. Prints a TSV, best mean F1 first. Usage: tune_rule.sh WORK MODEL BIN
set -euo pipefail
w=$1 m=$2 bin=$3
d=$w/study/$m
printf 'blur\tfrac\tmin_peak\tmax_boxes\tmean_f1\tmenin_f1\tglio_f1\tpit_f1\tbr_f1\tboxes_per_slice\n'
for blur in 1 2 3; do
    for set in menin_val glio_val pit_val br_val; do
        "$bin/pgc-fuse" --scales all --blur $blur < "$d/$set.cam.pgc" > "$d/$set.fused$blur.pgc"
    done
    for frac in 0.3 0.5; do for peak in 0.5 0.8; do for k in 1 3; do
        row="$blur	$frac	$peak	$k"
        f1s="" sum=0 boxes=0 frames=0
        for set in menin_val glio_val pit_val br_val; do
            "$bin/pgc-box" --rule product --frac $frac --min-peak $peak --max-boxes $k \
                < "$d/$set.fused$blur.pgc" | "$bin/pgc-score" > "$d/tune.tsv"
            f=$(awk -F'\t' '$1 == "iobb_f1" { print $2 }' "$d/tune.tsv")
            f1s="$f1s	$f"; sum=$(awk -v a="$sum" -v b="$f" 'BEGIN { print a + b }')
            boxes=$((boxes + $(awk -F'\t' '$1 == "pred_boxes" { print $2 }' "$d/tune.tsv")))
            frames=$((frames + $(awk -F'\t' '$1 == "frames_boxes" { print $2 }' "$d/tune.tsv")))
        done
        printf '%s\t%.4f%s\t%.2f\n' "$row" "$(awk -v s="$sum" 'BEGIN { print s / 4 }')" "$f1s" \
            "$(awk -v b=$boxes -v n=$frames 'BEGIN { print n ? b / n : 0 }')"
    done; done; done
    rm -f "$d"/*.fused$blur.pgc
done | sort -t$'\t' -k5,5gr
rm -f "$d/tune.tsv"
