#!/usr/bin/env bash
# submit.sh: pipelines/volumes.mk's per-volume recipe as a Slurm job array.
usage() {
    cat <<'USAGE'
usage: submit.sh [-h] LIST OUT
Submits one Slurm array task per volume of LIST (a CSV with columns id,image[,seg,label],
pipelines/README.md), each running pipelines/volume-run.sh into OUT/vol/ID/, and a
merge job that runs only after every task succeeded (--dependency=afterok), which
writes OUT/score.tsv, boxes.tsv, frames.tsv, volumes.tsv (pipelines/volume-merge.sh).
Prints the job ids; task logs go to OUT/slurm/. LIST, OUT and this repository must be
on a file system every node sees. More volumes than the cluster's MaxArraySize are
submitted as several arrays, all before the merge.
Environment: SBATCH_ARGS (more sbatch options, e.g. "--partition=cpu --time=0:30:00"),
ARRAY_LIMIT (at most this many tasks at once: --array=...%N), and volume-run.sh's
settings (MODEL SIZE THREADS MIRROR METHOD BLUR RULE FRAC SCALES ...), which the tasks inherit.
Exit status: 0 submitted, 1 a problem (one line), 2 bad usage.
USAGE
}
set -u -o pipefail
case ${1-} in -h|--help) usage; exit 0 ;; esac
[ $# -eq 2 ] || { echo "usage: submit.sh LIST OUT (see --help)" >&2; exit 2; }
fail() { echo "submit: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd) top=$(cd "$(dirname "$0")/../.." && pwd)
command -v sbatch >/dev/null || fail "no sbatch here (Slurm's client; Debian package slurm-client)"
[ -r "$1" ] || fail "cannot read '$1'"
list=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
mkdir -p "$2/slurm" || fail "cannot make '$2/slurm'"
out=$(cd "$2" && pwd)
n=$(awk -F, '{ sub(/\r$/, "") } NR > 1 && !/^[ \t]*$/ { n++ } END { print n + 0 }' "$list")
[ "$n" -gt 0 ] || fail "'$1' lists no volume"
max=$(scontrol show config 2>/dev/null | awk '$1 == "MaxArraySize" { print $3 }')
chunk=$(( ${max:-1001} - 1 ))
# shellcheck disable=SC2086
sb() { sbatch --parsable --export=ALL ${SBATCH_ARGS:-} "$@"; }
deps=() off=0
while [ "$off" -lt "$n" ]; do
    last=$(( n - off < chunk ? n - off : chunk ))
    job=$(sb --array="1-$last${ARRAY_LIMIT:+%$ARRAY_LIMIT}" --output="$out/slurm/%A_%a.log" \
          "$here/array.sbatch" "$top" "$list" "$out" "$off") || fail "sbatch of the array failed"
    job=${job%%;*}
    echo "submit: array job $job: volumes $((off + 1))-$((off + last)) of $n"
    deps+=("$job") off=$((off + last))
done
dep=$(IFS=:; echo "${deps[*]}")
merge=$(sb --dependency="afterok:$dep" --output="$out/slurm/merge_%j.log" \
        "$here/merge.sbatch" "$top" "$list" "$out") || fail "sbatch of the merge failed"
merge=${merge%%;*}
echo "submit: merge job $merge after $dep succeeds: $out/score.tsv"
