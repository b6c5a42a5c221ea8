#!/usr/bin/env bash
# The localisation study's tables, as Markdown, from the pgc-score outputs under
# $1/MODEL/ (the kept scores). Usage: study.sh RESULTS MODEL... (models named LABELS-INIT[-OPT...]-sSEED, or
# ship; an ensemble LABELS-INIT[-OPT...]-ens-sA+sB[+sC...]). A row is a configuration (the models that differ only in their seed): each
# number is the mean over its seeds, with the smallest and largest in brackets.
set -euo pipefail
kept=$1; shift
models=("$@")
. "$(dirname "$0")/tsv.sh"
get() { tsv_get "$1" "$2" NA; }
# A model's configuration: its name without the seed; an ensemble's, without its seeds
# and with its size (types-he-x12000-ens-s2+s3+s5: types-he-x12000-ens3), so that
# ensembles of two and of three seeds are rows of their own.
config_of() {
    local c=${1%-s[0-9]*}
    case $1 in *-ens-*) local p=${1##*-}; p=${p//[^+]/}; c=$c$(( ${#p} + 1 )) ;; esac
    echo "$c"
}
# configs, in order of first appearance; each model's, worked out once
configs=()
declare -A config
for m in "${models[@]}"; do
    c=$(config_of "$m")
    config[$m]=$c
    [[ " ${configs[*]-} " == *" $c "* ]] || configs+=("$c")
done
seeds_of() { for m in "${models[@]}"; do [ "${config[$m]}" = "$1" ] && echo "$m"; done; }
# stat CONFIG FILE-SUFFIX METRIC: mean [min-max] over the config's seeds (3 decimals)
stat() {
    local vals=()
    for m in $(seeds_of "$1"); do vals+=("$(get "$kept/$m/$2" "$3")"); done
    printf '%s\n' "${vals[@]}" | awk '$1 != "NA" { s += $1; n++; if (n == 1 || $1 < lo) lo = $1; if (n == 1 || $1 > hi) hi = $1 }
        END { if (!n) print "NA"; else if (n == 1 || lo == hi) printf "%.3f\n", s / n; else printf "%.3f [%.2f-%.2f]\n", s / n, lo, hi }'
}
nseeds() { seeds_of "$1" | wc -l; }
name() {
    case $1 in
    ship) echo "binary, He init, 4800 steps (the model shipped before the study)" ;;
    *) local w; IFS=- read -ra w <<< "$1"
       printf '%s, %s' "$(case ${w[0]} in types) echo "4 classes (tumour types)" ;;
                              figtypes) echo "tumour types, figshare slices alone" ;; *) echo binary ;; esac)" \
           "$(case ${w[1]} in nearest) echo "nearest-neighbour upsampling init" ;;
                              tied) echo "nearest-neighbour upsampling, tied through training" ;; *) echo "He init" ;; esac)"
       for o in "${w[@]:2}"; do
           case $o in
           adv) printf ", adversarial source head" ;;
           adv*) printf ", adversarial source head (weight %s)" "${o#adv}" ;;
           bal) printf ', balanced sources and classes' ;;
           allvol) printf ', every volume slice' ;;
           views) printf ", tumour-free slices of every view" ;;
           hist) printf ', pgc-prep --norm hist' ;;
           halves) printf ', mirrored halves (pgc-train --mirror-halves %s)' "${HALVES_PAIRS:?HALVES_PAIRS unset (pipelines/Makefile exports it)}" ;;
           halves*) printf ', mirrored halves (pgc-train --mirror-halves %s)' "${o#halves}" ;;
           tiles*) printf ', tiles shuffled (pgc-train --shuffle-tiles %s)' "${o#tiles}" ;;
           hide*) printf ', hide-and-seek (pgc-train --hide-patches %s)' "${o#hide}" ;;
           ens[0-9]*) printf ', ensemble of %s seeds (pgc-infer -m A -m B ...; seeds: ensembles)' "${o#ens}" ;;
           x*) printf ', %s steps' "${o#x}" ;;
           px*) printf ', %s px' "${o#px}" ;;
           tied) printf ', upsampling tied (pgc-train --up-init tied, each 2x2 kernel from its taps'"'"' mean)' ;;
           ft*) printf ', then fine-tuned %s steps (pgc-train --init, lr %s)' "${o#ft}" "${FT_LR:?FT_LR unset (pipelines/Makefile exports it)}" ;;
           w*) printf ', width %s' "${o#w}" ;;
           esac
       done
       echo ;;
    esac
}
rules=(paper:"PG-CAM, paper rule" s1:"Grad-CAM scale 1 (finest), paper rule" s5:"Grad-CAM scale 5 (coarsest), paper rule"
       blur:"PG-CAM, blur 3, paper rule" product:"PG-CAM, blur 3, product rule"
       tpaper:"PG-CAM of the tumour score, paper rule" tproduct:"PG-CAM of the tumour score, blur 3, product rule"
       ypaper:"PG-CAM of the type contrast, paper rule" yproduct:"PG-CAM of the type contrast, blur 3, product rule"
       spaper:"PG-CAM of --class sure (the default), paper rule" sproduct:"PG-CAM of --class sure (the default), blur 3, product rule"
       mpaper:"PG-CAM of the default score, with its mirror image (--mirror), paper rule"
       mproduct:"PG-CAM of the default score, with its mirror image (--mirror), blur 3, product rule"
       ppaper:"PG-CAM by Grad-CAM++ (pgc-cam --method gradcam++) of the default score, --mirror, paper rule"
       pproduct:"PG-CAM by Grad-CAM++ of the default score, --mirror, blur 3, product rule"
       cproduct:"PG-CAM of scales 3-5 alone (pgc-fuse --scales 3,4,5) by Grad-CAM++ of the default score, --mirror, blur 3, product rule"
       lpaper:"PG-CAM by LayerCAM (pgc-cam --method layercam) of the default score, --mirror, paper rule"
       lproduct:"PG-CAM by LayerCAM of the default score, --mirror, blur 3, product rule")
# has CONFIG RULE: whether any seed of the config was scored under the rule (the type
# contrast exists for type models only)
has() { for m in $(seeds_of "$1"); do [ -f "$kept/$m/menin_val.$2.tsv" ] && return 0; done; return 1; }
sets=(menin_val:"figshare meningioma" glio_val:"figshare glioma" pit_val:"figshare pituitary" br_val:"Br35H" vol_val:"volume (metastasis)")

echo "### Pointing game and IOBB F1 per source of the validation split"
echo
printf '| labels, init | seeds | map, box rule |'
for s in "${sets[@]}"; do printf ' %s PG / F1 |' "${s#*:}"; done; echo
printf '|---|---|---|'; for s in "${sets[@]}"; do printf -- '---|'; done; echo
for c in "${configs[@]}"; do
    for r in "${rules[@]}"; do
        has "$c" "${r%%:*}" || continue
        printf '| %s | %d | %s |' "$(name "$c")" "$(nseeds "$c")" "${r#*:}"
        for s in "${sets[@]}"; do
            printf ' %s / %s |' "$(stat "$c" "${s%%:*}.${r%%:*}.tsv" pointing_game)" "$(stat "$c" "${s%%:*}.${r%%:*}.tsv" iobb_f1)"
        done
        echo
    done
done
echo
# The product chain's CAM method, chosen on the validation split: tsv.sh chain_score on
# the map of all five scales (pointing game of the paper rule's rows, product F1) of each
# model scored under all three methods, and their mean.
withp=(); for m in "${models[@]}"; do [ -f "$kept/$m/menin_val.ppaper.tsv" ] && withp+=("$m"); done
if [ ${#withp[@]} -gt 0 ]; then
    echo "### The CAM method of the product chain's map"
    echo
    echo "The mean over the four tumour sources of the pointing game and the product rule's IOBB F1 (choose.sh's score, here on the map of all five scales), on the mirrored map of pgc-infer's default score, by the method of pgc-cam:"
    echo
    echo "| model | Grad-CAM (the paper's) | Grad-CAM++ | LayerCAM |"
    echo "|---|---|---|---|"
    for m in "${withp[@]}"; do
        echo "| \`$m\` | $(chain_score "$kept" "$m" mpaper mproduct) | $(chain_score "$kept" "$m" ppaper pproduct) | $(chain_score "$kept" "$m" lpaper lproduct) |"
    done
    for r in m p l; do for m in "${withp[@]}"; do chain_score "$kept" "$m" ${r}paper ${r}product; done |
        awk '$1 != "NA" { s += $1; n++ } END { printf "%s\n", n ? sprintf("%.4f", s / n) : "NA" }'; done |
        paste -sd'|' | sed 's/|/ | /g; s/^/| mean | /; s/$/ |/'
    echo
fi
echo "### The meningioma slices in the paper's terms, and classification"
echo
echo "| labels, init | map, box rule | IOBB precision | IOBB recall | IOBB F1 | F1 @ IoU 0.5 | MaxBoxAccV2 | boxes per slice | ROC AUC (tumour vs none, all val) |"
echo "|---|---|---|---|---|---|---|---|---|"
for c in "${configs[@]}"; do
    auc=$(stat "$c" cls.tsv roc_auc)
    for r in "${rules[@]}"; do
        has "$c" "${r%%:*}" || continue
        f=menin_val.${r%%:*}.tsv
        bps=$(for m in $(seeds_of "$c"); do awk -F'\t' '$1 == "pred_boxes" { b = $2 } $1 == "frames" { n = $2 } END { if (n) printf "%.2f\n", b / n }' "$kept/$m/$f" 2>/dev/null; done |
              awk '{ s += $1; n++ } END { if (n) printf "%.2f", s / n; else printf "NA" }')
        echo "| $(name "$c") | ${r#*:} | $(stat "$c" "$f" iobb_precision) | $(stat "$c" "$f" iobb_recall) | $(stat "$c" "$f" iobb_f1) | $(stat "$c" "$f" iou50_f1) | $(stat "$c" "$f" maxboxacc_v2) | $bps | $auc |"
    done
done
echo
echo "Slices per source: $(for s in "${sets[@]}"; do m=${models[0]}; printf '%s %s; ' "${s#*:}" "$(get "$kept/$m/${s%%:*}.paper.tsv" frames_boxes)"; done | sed 's/; $//') (slices with a truth box)."
# and the study as an earlier machine made it, for the models whose scores it did not keep
if [ -f "$kept/legacy.md" ]; then echo; cat "$kept/legacy.md"; fi
