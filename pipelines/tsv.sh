# Sourced by the pipelines' table scripts: the value of KEY in a pgc-score TSV
# (key<TAB>value lines; the last one wins), or MISSING (default NA) when the file or the
# key is absent. Usage: tsv_get FILE KEY [MISSING]
tsv_get() {
    [ -f "$1" ] || { echo "${3-NA}"; return; }
    awk -F'\t' -v k="$2" -v miss="${3-NA}" '$1 == k { v = $2 } END { print (v == "" ? miss : v) }' "$1"
}
# The scales the product chain fuses (pgc-fuse --scales), chosen on the validation split
# (pipelines/Makefile's COARSE, make demo and volume-run.sh read it here): the coarse
# ones, 3-5 of 5; the fine ones carry the 2x2 dot pattern and the skull's edges.
CHAIN_SCALES=3,4,5
# The kept rows of the product chain (the README's, make demo's): pgc-infer's default
# score (--class sure for a model of tumour types, the tumour logit for a binary one) with
# test-time mirroring, pgc-infer --mirror, by the CAM method CHAIN_METHOD (pipelines/
# Makefile exports it). Two words: the paper rule's row on the paper's PG-CAM of that
# score (every scale, no blur) and the product rule's row on the chain's own map (scales
# COARSE, blur 3), which is also the map whose pointing game the chain is judged by.
# Only Grad-CAM++ has rows of the coarse map. The same for every model.
chain_rows() {
    case ${CHAIN_METHOD:?"CHAIN_METHOD unset (pipelines/Makefile exports it)"} in
    gradcam++) echo "ppaper cproduct" ;;
    *) echo "tsv.sh: CHAIN_METHOD '$CHAIN_METHOD' has no study rows of the coarse scales' map" >&2; return 1 ;;
    esac
}
# The study models an evaluated name stands for, one a line: an ensemble's members
# (LABELS-INIT[-OPT...]-ens-sA+sB: the same name without ens, one seed each; the
# Makefile's members does the same), or the name itself. Usage: members NAME
members() {
    case $1 in
    *-ens-*) local last=${1##*-} base=${1%-*}; base=${base%-ens}
             local s; for s in ${last//+/ }; do echo "$base-$s"; done ;;
    *) echo "$1" ;;
    esac
}
# The files of examples/model/ that hold the shipped models, for N of them: dcfpn.model,
# then dcfpn.2.model, dcfpn.3.model, ... (the README's chain gives each to pgc-infer -m).
shipped_file() { [ "$1" = 1 ] && echo dcfpn.model || echo "dcfpn.$1.model"; }
shipped_files() { local i; for ((i = 1; i <= $1; i++)); do shipped_file $i; done; }
# The shipped models in DIR (examples/model), in that order, as paths: every file of
# shipped_files that is there. What the README's chain, make demo, make volumes and
# volume-run.sh give pgc-infer -m. Usage: shipped_models DIR
shipped_models() {
    local i=1
    while [ -f "$1/$(shipped_file $i)" ]; do echo "$1/$(shipped_file $i)"; i=$((i + 1)); done
}
# The score choose.sh ranks models by, of MODEL's kept scores under RESULTS: the mean
# over the four tumour sources of the validation split of the pointing game of the map
# in the rows PG and the IOBB F1 of the rows F1 (RESULTS/MODEL/SET.PG.tsv, SET.F1.tsv),
# or NA when a row is missing. Usage: chain_score RESULTS MODEL PG F1
chain_score() {
    local s=0 set pg f1
    for set in menin_val glio_val pit_val br_val; do
        pg=$(tsv_get "$1/$2/$set.$3.tsv" pointing_game)
        f1=$(tsv_get "$1/$2/$set.$4.tsv" iobb_f1)
        [ "$pg" = NA ] || [ "$f1" = NA ] && { echo NA; return; }
        s=$(awk -v s="$s" -v a="$pg" -v b="$f1" 'BEGIN { print s + (a + b) / 8 }')
    done
    printf '%.4f\n' "$s"
}
