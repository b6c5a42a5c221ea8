#!/usr/bin/env bash
# make ship's copying: the chosen study model NAME into examples/model/ (an ensemble:
# each member, in the files tsv.sh shipped_files names), each file's blob kept beside
# its member's scores (RESULTS/MEMBER/model.blob), and the card written by card.sh.
# When examples/ holds exactly these models already, only the card's scores are written
# anew. A member that is not in WORK/study/models comes back from git by its blob.
# Usage: ship.sh RESULTS WORK TOP NAME   (SURE and CHAIN_METHOD from pipelines/Makefile;
# RESULTS and WORK relative to pipelines/, as the Makefile has them)
set -euo pipefail
r=$1 w=$2 top=$3 m=$4
here=$(dirname "$0")
. "$here/tsv.sh"
mapfile -t mem < <(members "$m")
mapfile -t files < <(shipped_files ${#mem[@]})
ex=$top/examples/model card=$top/examples/model/README.md
# the files of a larger ensemble shipped before, which this choice does not fill
stale=$(cd "$ex" && ls | grep -E '^dcfpn\.[0-9]+\.model$' | grep -vxF -f <(printf '%s\n' "${files[@]}") || true)
same=$([ -z "$stale" ] && echo 1 || echo 0)
for i in "${!mem[@]}"; do
    [ -f "$ex/${files[$i]}" ] && [ -f "$r/${mem[$i]}/model.blob" ] &&
        [ "$(git -C "$top" hash-object "$ex/${files[$i]}")" = "$(cat "$r/${mem[$i]}/model.blob")" ] || same=0
done
if [ "$same" = 1 ]; then
    bash "$here/card.sh" "$r" "$m" --scores > "$w/study/card-scores.md"
    bash "$here/splice.sh" "$card" scores "$w/study/card-scores.md"
    exit 0
fi
for i in "${!mem[@]}"; do
    f=$w/study/models/${mem[$i]}.model
    # the Makefile's RESTORE_MODEL rule (for a model with a blob; without one, make
    # would train it)
    if [ ! -f "$f" ] && [ -f "$r/${mem[$i]}/model.blob" ]; then
        make --no-print-directory -C "$here" W="$w" R="$r" "$f"
    fi
    [ -f "$f" ] || { echo "ship: ${mem[$i]}'s model is not in $w/study/models (its scores were kept, the model was not): train it again" >&2; exit 1; }
done
for i in "${!mem[@]}"; do
    cp "$w/study/models/${mem[$i]}.model" "$ex/${files[$i]}.tmp" && mv "$ex/${files[$i]}.tmp" "$ex/${files[$i]}"
    git -C "$top" hash-object -w "$ex/${files[$i]}" > "$r/${mem[$i]}/model.blob"
done
for f in $stale; do rm -f "$ex/$f"; done
bash "$here/card.sh" "$r" "$m" "$ex/${files[0]}" > "$card.tmp" && mv "$card.tmp" "$card"
