#!/usr/bin/env bash
# The README's main job: the whole chain on the bundled examples with the shipped model.
# Leaves demo-out/boxes.tsv (one line per predicted box, in source pixels too) and
# demo-out/*.png (overlays: slice, PG-CAM heat map, ground truth green, prediction red).
# The input is made the way the model's training images were (pgc-prep --model), and
# the maps are those of the slice and of its mirror image (pgc-infer --mirror), by
# Grad-CAM++ (pgc-cam --method gradcam++: the study's choice for the chain), fused over
# the coarse scales 3-5 (pgc-fuse --scales 3,4,5: the fine ones carry a dot pattern and
# the skull's edges), and the boxes follow the product rule (one a slice; pgc-box --help).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BIN:-bin} EX=examples OUT=${OUT:-demo-out}
MODEL=$EX/model/dcfpn.model
# every model shipped: an ensemble is dcfpn.model, dcfpn.2.model, ... (pgc-infer -m each)
. pipelines/tsv.sh
ALL=(); for m in $(shipped_models $EX/model); do ALL+=(-m "$m"); done
rm -rf "$OUT.tmp" && mkdir -p "$OUT.tmp"
{
    $B/pgc-slice --labels $EX/slices/labels.csv --boxes $EX/slices/boxes.csv $EX/slices/*.png
    $B/pgc-slice $EX/volume/tcga_du_7294_t1c_slab.nii.gz --seg $EX/volume/tcga_du_7294_seg_slab.nii.gz \
        --axis axial --every 8
} | $B/pgc-prep --model $MODEL | $B/pgc-infer "${ALL[@]}" --mirror | $B/pgc-cam --method gradcam++ | $B/pgc-fuse --scales "$CHAIN_SCALES" --blur 3 \
  | $B/pgc-box --rule product | $B/pgc-render -o "$OUT.tmp" --pass > "$OUT.tmp/result.pgc"
# The same boxes as text (pgc-box --tsv thresholds the same map again) and the scores.
$B/pgc-box --rule product --tsv < "$OUT.tmp/result.pgc" > "$OUT.tmp/boxes.tsv"
$B/pgc-score < "$OUT.tmp/result.pgc" > "$OUT.tmp/score.tsv"
rm -rf "$OUT" && mv "$OUT.tmp" "$OUT"
# The box with the highest peak of each frame; all of them are in boxes.tsv.
awk -F'\t' 'NR == 1 { print; next } !($1 in best) || $10 > peak[$1] { best[$1] = $0; peak[$1] = $10 }
    END { for (f in best) print best[f] | "sort" }' "$OUT/boxes.tsv" | column -t -s $'\t'
echo "($(($(wc -l < "$OUT/boxes.tsv") - 1)) boxes in all)"
echo
column -t -s $'\t' "$OUT/score.tsv" 2>/dev/null || cat "$OUT/score.tsv"
echo "demo: overlays in $OUT/*.png, boxes in $OUT/boxes.tsv, scores in $OUT/score.tsv"
