# Sourced by the pipelines' table scripts: the value of KEY in a pgc-score TSV
# (key<TAB>value lines; the last one wins), or MISSING (default NA) when the file or the
# key is absent. Usage: tsv_get FILE KEY [MISSING]
tsv_get() {
    [ -f "$1" ] || { echo "${3-NA}"; return; }
    awk -F'\t' -v k="$2" -v miss="${3-NA}" '$1 == k { v = $2 } END { print (v == "" ? miss : v) }' "$1"
}
# The rows of the map the product chain makes (the README's, make demo's): pgc-infer's
# default score (--class sure for a model of tumour types, the tumour logit for a binary
# one) with test-time mirroring, pgc-infer --mirror, scored as mpaper/mproduct.
# The same for every model: the rows are MAP_ROWS{paper,product}.
MAP_ROWS=m
