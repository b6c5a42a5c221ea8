#!/usr/bin/env bash
# volume-run.sh: the per-volume recipe of pipelines/volumes.mk, GNU parallel and the
# Slurm array (pipelines/slurm/): one volume of a list, through the whole chain.
usage() {
    cat <<'EOF'
usage: volume-run.sh [-h] LIST ID|N OUT
Runs one volume of LIST (a CSV with columns id,image[,seg,label]; relative paths are
relative to LIST's folder) through the README's chain,
    pgc-slice | pgc-prep --model | pgc-infer --mirror | pgc-cam --method gradcam++
      | pgc-fuse --scales 3,4,5 --blur 3 | pgc-box --rule product
and writes OUT/vol/ID/: boxes.tsv (pgc-box --tsv), score.tsv (pgc-score) and
frames.tsv (pgc-score --per-frame). The volume is named by its id, or by its row
number N (1 = the first volume; what a Slurm array task gets). The results appear
all at once: a run that fails or is killed leaves none, so a rerun redoes only what
is missing. pipelines/volume-merge.sh joins the volumes' results.
Settings, from the environment (defaults in brackets):
  MODEL [the shipped models]: a model, or an ensemble's models separated by ':'
    (pgc-infer -m each, pgc-prep --model the first)  SIZE [the model's: pgc-prep --model]
  THREADS [1]  MIRROR [1]: 0 runs pgc-infer without --mirror
  METHOD [gradcam++]: pgc-cam --method (the chain's, pipelines/Makefile's CHAIN_METHOD)
  BLUR [3]: pgc-fuse --blur (0: none)  RULE [product]: pgc-box --rule, or paper
  FRAC [the rule's]: pgc-box --frac  SCALES [3,4,5]: pgc-fuse --scales (the chain's, tsv.sh CHAIN_SCALES)
  AXIS [axial]  MINFG [0.15]
  EVERY [1]  BIN [the repository's bin/]
  KEEP [0]: 1 keeps the final stream as result.pgc (for pgc-render, pgc-score)
  PGC_DEVICE [auto]: cpu or gpu for pgc-infer
Exit status: 0 done, 1 the volume failed (one line naming it), 2 bad usage.
EOF
}
set -u -o pipefail
export LC_ALL=C
case ${1-} in -h|--help) usage; exit 0 ;; esac
[ $# -eq 3 ] || { echo "usage: volume-run.sh LIST ID|N OUT (see --help)" >&2; exit 2; }
list=$1 key=$2 out=$3
top=$(cd "$(dirname "$0")/.." && pwd)
B=${BIN:-$top/bin}
. "$top/pipelines/tsv.sh"
MODEL=${MODEL:-$(shipped_models "$top/examples/model" | paste -sd:)}
IFS=: read -ra models <<< "$MODEL"
margs=(); for m in "${models[@]}"; do margs+=(-m "$m"); done
fail() { echo "volume-run: $*" >&2; exit 1; }
[ -r "$list" ] || fail "cannot read '$list'"
[ -x "$B/pgc-slice" ] || fail "no pgc-slice in '$B' (build pgcam, or set BIN)"

# The row: id, image, seg, label, by id or by row number (header excluded).
row=$(awk -F, -v key="$key" '
    { sub(/\r$/, "") }
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    /^[ \t]*$/ { next }
    { n++ }
    (key ~ /^[0-9]+$/ && n == key) || $col["id"] == key {
        printf "%s\037%s\037%s\037%s\n", $col["id"], $col["image"], ("seg" in col) ? $col["seg"] : "",
               ("label" in col) ? $col["label"] : ""; exit }' "$list")
[ -n "$row" ] || fail "'$list' has no volume '$key'"
IFS=$'\037' read -r id image seg label <<<"$row"  # not a tab: empty fields stay
base=$(dirname "$list")
abs() { case $1 in /*|'') echo "$1" ;; *) echo "$base/$1" ;; esac; }
image=$(abs "$image") seg=$(abs "$seg")

dest=$out/vol/$id
mkdir -p "$out/vol" || fail "cannot make '$out/vol'"
tmp=$(mktemp -d "$out/vol/.$id.XXXXXX") || fail "cannot make a folder in '$out/vol'"
trap 'rm -rf "$tmp"' EXIT
src=(--axis "${AXIS:-axial}" --min-fg "${MINFG:-0.15}" --every "${EVERY:-1}")
if [ -n "$seg" ]; then src+=(--seg "$seg"); elif [ -n "$label" ]; then src+=(--label "$label"); fi
# Every stage's messages go to the log; the first one that is not the GPU fallback note
# is what went wrong (the stages after it only saw their input end).
prep=(--model "${models[0]}") infer=(--threads "${THREADS:-1}") fuse=(--scales "${SCALES:-$CHAIN_SCALES}" --drop)
box=(--rule "${RULE:-product}") cam=(--method "${METHOD:-gradcam++}")
[ -n "${SIZE-}" ] && prep=(--size "$SIZE")
[ "${MIRROR:-1}" = 1 ] && infer+=(--mirror)
[ "${BLUR:-3}" != 0 ] && fuse+=(--blur "${BLUR:-3}")
[ -n "${FRAC-}" ] && box+=(--frac "$FRAC")
if ! { "$B/pgc-slice" "$image" "${src[@]}" | "$B/pgc-prep" "${prep[@]}" |
        "$B/pgc-infer" "${margs[@]}" "${infer[@]}" | "$B/pgc-cam" "${cam[@]}" |
        "$B/pgc-fuse" "${fuse[@]}" | "$B/pgc-box" "${box[@]}" \
        > "$tmp/result.pgc"; } 2> "$tmp/log"; then
    fail "volume '$id': $(grep -v 'using the CPU$' "$tmp/log" | head -n 1)"
fi
"$B/pgc-box" --tsv "${box[@]}" < "$tmp/result.pgc" > "$tmp/boxes.tsv" &&
    "$B/pgc-score" --per-frame "$tmp/frames.tsv" < "$tmp/result.pgc" > "$tmp/score.tsv" ||
    fail "volume '$id': scoring failed: $(tail -n 1 "$tmp/log")"
rm -f "$tmp/log"
[ "${KEEP:-0}" = 1 ] || rm -f "$tmp/result.pgc"
chmod 755 "$tmp" && rm -rf "$dest" && mv "$tmp" "$dest" || fail "cannot write '$dest'"
trap - EXIT
