# Sourced by the pipelines' table scripts: the value of KEY in a pgc-score TSV
# (key<TAB>value lines; the last one wins), or MISSING (default NA) when the file or the
# key is absent. Usage: tsv_get FILE KEY [MISSING]
tsv_get() {
    [ -f "$1" ] || { echo "${3-NA}"; return; }
    awk -F'\t' -v k="$2" -v miss="${3-NA}" '$1 == k { v = $2 } END { print (v == "" ? miss : v) }' "$1"
}
