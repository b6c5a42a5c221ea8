# Sourced by the pipelines' table scripts: the value of KEY in a pgc-score TSV
# (key<TAB>value lines; the last one wins), or MISSING (default NA) when the file or the
# key is absent. Usage: tsv_get FILE KEY [MISSING]
tsv_get() {
    [ -f "$1" ] || { echo "${3-NA}"; return; }
    awk -F'\t' -v k="$2" -v miss="${3-NA}" '$1 == k { v = $2 } END { print (v == "" ? miss : v) }' "$1"
}
# The rows of a model's default map: pgc-infer's default for a model of tumour types
# (LABELS types or figtypes) is --class sure, scored as spaper/sproduct; for a binary
# model it is the tumour logit, paper/product. Usage: map_prefix MODEL (prints s or nothing)
map_prefix() { case $1 in types-*|figtypes-*) echo s ;; *) echo ;; esac; }
