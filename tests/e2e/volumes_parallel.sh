# pipelines/volumes.mk: inference spread over volumes (make -j, GNU parallel), one
# recipe per volume (pipelines/volume-run.sh) and a merge (pipelines/volume-merge.sh),
# on the bundled volume listed twice: once labelled by its segmentation, once by hand.
. "$(dirname "$0")/lib.sh"
P=$TOP/pipelines
export PGC_DEVICE=cpu THREADS=1
V=$EX/volume
list() { # list FILE [extra rows]: the two bundled entries, then the extra rows
    { printf 'id,image,seg,label\n'
      printf 'glioma,%s,%s,\n' "$V/tcga_du_7294_t1c_slab.nii.gz" "$V/tcga_du_7294_seg_slab.nii.gz"
      printf 'handlabel,%s,,tumour\n' "$V/tcga_du_7294_t1c_slab.nii.gz"
      shift; printf '%s\n' "$@"; } | grep -v '^$' > "$T/$1"
}
list ok.csv

expect_ok 'the scripts have --help' '
    $P/volume-run.sh --help | grep -q "usage: volume-run.sh" &&
    $P/volume-merge.sh --help | grep -q "usage: volume-merge.sh"'
expect_exit 2 'volume-run.sh without its three arguments is a usage error' '$P/volume-run.sh ok.csv'
expect_exit 1 'a volume the list does not have is one line' '$P/volume-run.sh ok.csv nosuch out'

expect_ok 'make -f volumes.mk: one result folder per volume, then the merge' '
    make -s -f $P/volumes.mk VOLUMES=ok.csv OUT=serial -j1 2>log &&
    for id in glioma handlabel; do for f in boxes.tsv score.tsv frames.tsv; do
        [ -s serial/vol/$id/$f ] || { echo "no serial/vol/$id/$f"; exit 1; }; done; done &&
    for f in boxes.tsv frames.tsv volumes.tsv score.tsv; do [ -s serial/$f ] || exit 1; done &&
    grep -q "^volume-merge: 2 volumes, 42 frames, " log'

expect_ok 'a second make runs nothing: the results are there' '
    make -f $P/volumes.mk VOLUMES=ok.csv OUT=serial -j2 > again 2>&1 &&
    ! grep -q volume-run again'

if ! command -v parallel >/dev/null; then
    skip 'the GNU parallel recipe' 'no GNU parallel (Debian package parallel; tests/deps.sh installs it)'
else
expect_ok 'the GNU parallel recipe gives the same merged results as make -j1' '
    make -s -f $P/volumes.mk VOLUMES=ok.csv OUT=par JOBS=2 parallel 2>log &&
    for f in boxes.tsv frames.tsv volumes.tsv score.tsv; do cmp serial/$f par/$f || exit 1; done &&
    [ $(awk "NR > 1" par/parallel.log | wc -l) -eq 2 ] &&
    awk -F"\t" "NR > 1 && \$7 != 0 { exit 1 }" par/parallel.log'

expect_ok 'a failed volume stops the run with one line naming it and leaves no partial result' '
    list bad.csv "missing,$T/nowhere.nii.gz,," &&
    ! make -s -f $P/volumes.mk VOLUMES=bad.csv OUT=badpar JOBS=1 parallel > out 2> err &&
    grep -q "^volume-run: volume .missing.: pgc-slice: cannot read .*nowhere.nii.gz" err &&
    [ ! -e badpar/vol/missing ] && ! ls badpar/vol/.missing.* 2>/dev/null &&
    [ ! -e badpar/score.tsv ]'
fi

expect_ok 'the merge names the volumes of the list that have no results' '
    list two.csv "third,$V/tcga_du_7294_t1c_slab.nii.gz,,none" && mkdir -p m && cp -r serial/vol m/ &&
    ! $P/volume-merge.sh m two.csv 2> err && grep -q "^volume-merge: 1 of 3 volumes have no results in .m/vol.: third$" err &&
    $P/volume-merge.sh m 2>/dev/null && cmp m/score.tsv serial/score.tsv'

expect_ok 'a volume named by its row number is the same as by its id' '
    $P/volume-run.sh ok.csv 2 byrow && cmp byrow/vol/handlabel/boxes.tsv serial/vol/handlabel/boxes.tsv &&
    cmp byrow/vol/handlabel/frames.tsv serial/vol/handlabel/frames.tsv'

expect_ok 'merged boxes and frames are every volume'"'"'s, with a volume column' '
    for f in boxes.tsv frames.tsv; do
        { head -n 1 serial/vol/glioma/$f | sed "s/^/volume\t/"
          for id in glioma handlabel; do tail -n +2 serial/vol/$id/$f | sed "s/^/$id\t/"; done; } > want.$f &&
        cmp want.$f serial/$f || exit 1; done'

expect_ok 'the pooled scores are pgc-score'"'"'s over all frames of all volumes together' '
    KEEP=1 $P/volume-run.sh ok.csv glioma keep && KEEP=1 $P/volume-run.sh ok.csv handlabel keep &&
    cat keep/vol/glioma/result.pgc keep/vol/handlabel/result.pgc | pgc-score > all.tsv &&
    awk -F"\t" "NR == FNR { v[\$1] = \$2; next } FNR > 1 { n++; if (v[\$1] != \$2) { print \"differs: \" \$0 \" vs \" v[\$1]; bad = 1 } }
        END { exit bad || n < 18 }" all.tsv serial/score.tsv'
