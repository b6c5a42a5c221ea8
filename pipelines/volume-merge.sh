#!/usr/bin/env bash
# volume-merge.sh: joins what pipelines/volume-run.sh left for each volume.
usage() {
    cat <<'EOF'
usage: volume-merge.sh [-h] OUT [LIST]
Joins the per-volume results in OUT/vol/*/ (pipelines/volume-run.sh) into
  OUT/boxes.tsv    every predicted box: a `volume` column, then pgc-box --tsv's columns
  OUT/frames.tsv   every frame: `volume`, then pgc-score --per-frame's columns
  OUT/volumes.tsv  one row per volume: its frames and headline scores (pgc-score's)
  OUT/score.tsv    the scores pooled over every frame of every volume, as pgc-score
                   writes them: box counts, IOBB precision / recall / F1 / accuracy,
                   pointing game, classification accuracy / sensitivity / specificity
                   and ROC AUC (from the probabilities as frames.tsv prints them).
                   MaxBoxAccV2 and the IoU scores need every map and every box again,
                   so they are per volume only (volumes.tsv, OUT/vol/ID/score.tsv).
With LIST (the volume list), every volume in it must have its results, else it names
the missing ones and fails; without, it merges the volumes that are there.
PROB_THRESHOLD [0.5]: tumour when prob >= it, as pgc-score --prob-threshold.
Exit status: 0 merged, 1 a volume missing or a result unreadable, 2 bad usage.
EOF
}
set -u -o pipefail
export LC_ALL=C
case ${1-} in -h|--help) usage; exit 0 ;; esac
[ $# -eq 1 ] || [ $# -eq 2 ] || { echo "usage: volume-merge.sh OUT [LIST] (see --help)" >&2; exit 2; }
out=$1 list=${2-}
fail() { echo "volume-merge: $*" >&2; exit 1; }

if [ -n "$list" ]; then
    [ -r "$list" ] || fail "cannot read '$list'"
    mapfile -t ids < <(awk -F, '{ sub(/\r$/, "") } NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
                                !/^[ \t]*$/ { print $c["id"] }' "$list")
    missing=()
    for id in "${ids[@]}"; do
        [ -f "$out/vol/$id/score.tsv" ] || missing+=("$id")
    done
    [ ${#missing[@]} -eq 0 ] ||
        fail "${#missing[@]} of ${#ids[@]} volumes have no results in '$out/vol': ${missing[*]:0:10}$([ ${#missing[@]} -gt 10 ] && echo ' ...')"
else
    mapfile -t ids < <(cd "$out/vol" 2>/dev/null && for d in */; do [ -f "$d/score.tsv" ] && echo "${d%/}"; done)
fi
[ ${#ids[@]} -gt 0 ] || fail "no volume results in '$out/vol'"
for id in "${ids[@]}"; do
    for f in boxes.tsv frames.tsv score.tsv; do
        [ -r "$out/vol/$id/$f" ] || fail "volume '$id': cannot read '$out/vol/$id/$f'"
    done
done

tmp=$(mktemp -d "$out/.merge.XXXXXX") || fail "cannot write in '$out'"
trap 'rm -rf "$tmp"' EXIT

# cat_tsv FILE: each volume's FILE with a leading volume column, one header.
cat_tsv() {
    local first=1
    for id in "${ids[@]}"; do
        awk -F'\t' -v OFS='\t' -v id="$id" -v first=$first \
            'NR == 1 { if (first) print "volume", $0; next } { print id, $0 }' "$out/vol/$id/$1"
        first=0
    done
}
cat_tsv boxes.tsv > "$tmp/boxes.tsv" && cat_tsv frames.tsv > "$tmp/frames.tsv" || fail "cannot write '$tmp'"

cols="frames gt_boxes pred_boxes tp fp fn iobb_f1 pointing_game maxboxacc_v2 frames_label cls_accuracy sensitivity specificity roc_auc"
{
    printf 'volume'; printf '\t%s' $cols; printf '\n'
    for id in "${ids[@]}"; do
        awk -F'\t' -v id="$id" -v cols="$cols" '
            NR > 1 { v[$1] = $2 }
            END { n = split(cols, c, " "); printf "%s", id
                  for (i = 1; i <= n; i++) printf "\t%s", (c[i] in v) ? v[c[i]] : "NA"; printf "\n" }' \
            "$out/vol/$id/score.tsv"
    done
} > "$tmp/volumes.tsv"

# Pooled scores from the frames (columns: volume frame gt pred tp fp fn best_iou
# pointing label prob), pgc-score's definitions (format/network.md, section 7).
# ROC AUC first: Mann-Whitney U with average ranks for tied probabilities.
awk -F'\t' 'NR > 1 && $10 != "NA" && $11 != "NA" { print $11, ($10 == "tumour") }' "$tmp/frames.tsv" |
    sort -g -k1,1 | awk '
    { n++; P[n] = $1 + 0; Y[n] = $2 }
    END {
        for (i = 1; i <= n; ) {
            j = i; while (j <= n && P[j] == P[i]) j++
            for (k = i; k < j; k++) if (Y[k]) { rank_pos += (i + j - 1) / 2; npos++ }
            i = j
        }
        d = npos * (n - npos); printf "%.6f\n", d ? (rank_pos - npos * (npos + 1) / 2) / d : 0
    }' > "$tmp/auc" || fail "cannot compute the ROC AUC"
awk -F'\t' -v thr="${PROB_THRESHOLD:-0.5}" -v AUC="$tmp/auc" '
    function r(a, b) { return b != 0 ? a / b : 0 }
    function f(name, v, kind) { printf "%s\t%s\n", name, kind == 0 ? sprintf("%d", v) : (kind == 2 ? "n/a" : sprintf("%.6f", v)) }
    NR == 1 { next }
    { frames++ }
    $3 != "NA" && $4 != "NA" { nb++; gt += $3; pred += $4; tp += $5; fp += $6; fn += $7 }
    $9 != "NA" { nm++; hits += $9 }
    $10 != "NA" && $11 != "NA" {
        nc++; y = ($10 == "tumour"); p = $11 + 0; P[nc] = p; Y[nc] = y
        if (p >= thr) { if (y) ctp++; else cfp++ } else { if (y) cfn++; else ctn++ }
    }
    END {
        f("frames", frames, 0)
        kb = nb ? 1 : 2
        f("frames_boxes", nb, 0); f("gt_boxes", gt, 0); f("pred_boxes", pred, 0)
        f("tp", tp, 0); f("fp", fp, 0); f("fn", fn, 0)
        p = r(tp, tp + fp); q = r(gt - fn, gt)
        f("iobb_precision", p, kb); f("iobb_recall", q, kb)
        f("iobb_f1", r(2 * p * q, p + q), kb); f("iobb_accuracy", r(tp, tp + fp + fn), kb)
        km = nm ? 1 : 2
        f("frames_map", nm, 0); f("pointing_game", r(hits, nm), km)
        kc = nc ? 1 : 2
        f("frames_label", nc, 0)
        f("cls_accuracy", r(ctp + ctn, nc), kc)
        f("sensitivity", r(ctp, ctp + cfn), kc); f("specificity", r(ctn, ctn + cfp), kc)
        auc = "n/a"; if (nc) { getline auc < AUC }
        printf "roc_auc\t%s\n", auc
    }' "$tmp/frames.tsv" | { printf 'metric\tvalue\n'; cat; } > "$tmp/score.tsv" ||
    fail "cannot pool the scores"

for f in boxes.tsv frames.tsv volumes.tsv score.tsv; do mv "$tmp/$f" "$out/$f" || fail "cannot write '$out/$f'"; done
echo "volume-merge: ${#ids[@]} volumes, $(($(wc -l < "$out/frames.tsv") - 1)) frames, $(($(wc -l < "$out/boxes.tsv") - 1)) boxes -> $out/score.tsv" >&2
