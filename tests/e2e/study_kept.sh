# pipelines/: the localisation study keeps every model's scores under R (committed), so
# that its tables, its choice of the shipped model and the card outlive the machine that
# trained the models. Scores here are made up; the scripts only read pgc-score's
# key<TAB>value lines.
. "$(dirname "$0")/lib.sh"
P=$TOP/pipelines
SETS="menin_val glio_val pit_val br_val vol_val"
# the product chain's CAM method, whose rows choose.sh and card.sh read (the Makefile
# exports it; only Grad-CAM++ has rows of the chain's map of the coarse scales)
export CHAIN_METHOD=gradcam++
# score DIR MODEL PG F1 [AUC]: a model's kept scores, every rule of every set alike
score() {
    local d=$1/$2 r
    mkdir -p "$d"
    for s in $SETS; do for r in paper s1 s5 blur product tpaper tproduct ypaper yproduct spaper sproduct mpaper mproduct \
            ppaper pproduct lpaper lproduct cproduct; do
        printf 'frames\t10\nframes_boxes\t10\npred_boxes\t10\npointing_game\t%s\niobb_f1\t%s\n' "$3" "$4" > "$d/$s.$r.tsv"
    done; done
    printf 'roc_auc\t%s\ncls_accuracy\t0.9\n' "${5:-0.99}" > "$d/cls.tsv"
    printf 'iter\tloss\n100\t0.5\n' > "$d/log.tsv" && echo 'pgc-train: done' > "$d/train.txt"
}
setup() {
    rm -rf R && score R ship 0.50 0.40 &&
    score R types-he-x2-s1 0.40 0.50 && score R types-he-x2-s2 0.60 0.70 &&
    score R types-he-auc-s1 0.90 0.90 0.90 &&
    score R types-he-weakbr-s1 0.90 0.90 && sed -i 's/^pointing_game\t.*/pointing_game\t0.40/' R/types-he-weakbr-s1/br_val.cproduct.tsv &&
    printf '### Earlier rows\n\n| a | b |\n' > R/legacy.md
}

expect_ok 'a configuration of two seeds is one row: their mean, then the smallest and largest' '
    setup && bash $P/study.sh R ship types-he-x2-s1 types-he-x2-s2 > t.md &&
    grep -q "^| 4 classes (tumour types), He init, 2 steps | 2 | PG-CAM, paper rule | 0.500 \[0.40-0.60\] / 0.600 \[0.50-0.70\] |" t.md &&
    grep -q "^| binary, He init, 4800 steps (the model shipped before the study) | 1 | PG-CAM, paper rule | 0.500 / 0.400 |" t.md'

expect_ok 'the rows of an earlier machine follow the table, unchanged' '
    setup && bash $P/study.sh R ship types-he-x2-s1 > t.md && tail -n 3 t.md > tail.md &&
    printf "### Earlier rows\n\n| a | b |\n" | diff - tail.md'

expect_ok 'the choice is the best mean of pointing and product F1 over the four tumour sources' '
    setup && bash $P/choose.sh R ship types-he-x2-s1 types-he-x2-s2 > c &&
    printf "types-he-x2-s2\t0.6500\n" | diff - c'

expect_ok 'a model under ROC AUC 0.95, or pointing at Br35H less often than ship, is no candidate' '
    setup && bash $P/choose.sh R ship types-he-x2-s2 types-he-auc-s1 types-he-weakbr-s1 > c &&
    printf "types-he-x2-s2\t0.6500\n" | diff - c &&
    [ -z "$(bash $P/choose.sh R types-he-auc-s1)" ] && [ -z "$(bash $P/choose.sh R ship types-he-weakbr-s1 | grep weakbr)" ]'

# make -n: what `make study` would run, without running it (no data needed)
plan() { make -n -C "$P" W="$T/w" R="$T/R" THREADS=1 STUDY_MODELS="$1" study 2>&1; }
expect_ok 'a model whose scores are kept is neither trained nor scored again' '
    setup && plan "types-he-x2-s1 types-he-x2-s2" > n &&
    ! grep -q "pgc-train\|pgc-infer" n && grep -q "study.sh $T/R ship types-he-x2-s1 types-he-x2-s2" n'

expect_ok 'a model without kept scores is trained and scored, and each file copied to R with its log' '
    setup && plan "types-he-x2-s1 types-he-new-s1" > n &&
    [ "$(grep -c "pgc-train" n)" -eq 1 ] && grep -q -- "-o $T/w/study/models/types-he-new-s1.model" n &&
    grep -q "^cat $T/w/study/types-he-new-s1/menin_val.spaper.tsv > $T/R/types-he-new-s1/menin_val.spaper.tsv.tmp" n &&
    grep -q "^cat $T/w/study/models/types-he-new-s1.log.tsv > $T/R/types-he-new-s1/log.tsv.tmp" n &&
    grep -q "^grep -v .* $T/w/study/models/types-he-new-s1.train.txt > $T/R/types-he-new-s1/train.txt.tmp" n'

expect_ok 'a model that was shipped once comes back from git by its blob, not by training' '
    setup && rm R/types-he-x2-s1/cls.tsv && git -C $TOP rev-parse HEAD:examples/model/dcfpn.model > R/types-he-x2-s1/model.blob &&
    plan "types-he-x2-s1" > n && ! grep -q pgc-train n &&
    grep -q "git -C $TOP cat-file blob \$(cat $T/R/types-he-x2-s1/model.blob) > $T/w/study/models/types-he-x2-s1.model.tmp" n'

expect_ok 'a file the kept scores lack (a rule added later) is made alone' '
    setup && git -C $TOP rev-parse HEAD:examples/model/dcfpn.model > R/types-he-x2-s1/model.blob &&
    rm R/types-he-x2-s1/menin_val.mpaper.tsv && plan "types-he-x2-s1" > n && ! grep -q pgc-train n &&
    [ "$(grep -c pgc-infer n)" -eq 1 ] && grep -q "pgc-infer .* --mirror .*slices/menin_val.pgc" n &&
    grep -q "cat $T/w/study/types-he-x2-s1/menin_val.mpaper.tsv > $T/R/types-he-x2-s1/menin_val.mpaper.tsv.tmp" n'

expect_ok 'the card of a model restored from git (no training log kept) says ? for its steps and time' '
    setup && rm R/types-he-x2-s2/log.tsv R/types-he-x2-s2/train.txt &&
    SURE=0.8 bash $P/card.sh R types-he-x2-s2 $EX/model/dcfpn.model > card.md &&
    grep -q ", ? steps of batch 16," card.md && grep -q "^| time | ? s on one core" card.md &&
    grep -q "^| figshare meningioma | 0.600 | 0.700 | 1.00 | 0.600 | 0.700 |" card.md &&
    SURE=0.8 bash $P/card.sh R types-he-x2-s1 $EX/model/dcfpn.model > card1.md && grep -q ", 100 steps of batch 16," card1.md'

expect_ok 'a model whose model is lost (no blob, its log kept) is not asked for rules added later' '
    setup && rm R/types-he-x2-s1/*.ppaper.tsv && plan "types-he-x2-s1" > n &&
    ! grep -q "pgc-train\|pgc-infer" n'

expect_ok 'an ensemble is scored with its members together, never trained, and keeps no log' '
    setup && for m in types-he-x2-s1 types-he-x2-s2; do git -C $TOP rev-parse HEAD:examples/model/dcfpn.model > R/$m/model.blob; done &&
    plan "types-he-x2-s1 types-he-x2-s2 types-he-x2-ens-s1+s2" > n && ! grep -q pgc-train n &&
    grep -q "pgc-infer -m $T/w/study/models/types-he-x2-s1.model -m $T/w/study/models/types-he-x2-s2.model --mirror .*slices/menin_val.pgc" n &&
    grep -q "> $T/R/types-he-x2-ens-s1+s2/menin_val.pproduct.tsv.tmp" n && ! grep -q "types-he-x2-ens-s1+s2/log.tsv" n'

expect_ok 'the study names an ensemble and scores the product chain by CAM method, with their mean' '
    setup && score R types-he-x2-ens-s1+s2 0.70 0.80 && sed -i "s/^pointing_game\t.*/pointing_game\t0.30/" R/types-he-x2-s1/*.lpaper.tsv &&
    bash $P/study.sh R ship types-he-x2-s1 types-he-x2-ens-s1+s2 > t.md &&
    grep -q "^| 4 classes (tumour types), He init, 2 steps, ensemble of 2 seeds .* | 1 | PG-CAM, paper rule | 0.700 / 0.800 |" t.md &&
    grep -q "^| \`types-he-x2-s1\` | 0.4500 | 0.4500 | 0.4000 |" t.md &&
    grep -q "^| mean | 0.5500 | 0.5500 | 0.5333 |" t.md'

expect_ok 'ensembles of two and of three seeds are rows of their own, not seeds of one row' '
    setup && score R types-he-x2-ens-s1+s2 0.70 0.80 && score R types-he-x2-ens-s1+s2+s3 0.60 0.50 &&
    bash $P/study.sh R ship types-he-x2-ens-s1+s2 types-he-x2-ens-s1+s2+s3 > t.md &&
    grep -q "^| 4 classes (tumour types), He init, 2 steps, ensemble of 2 seeds .* | 1 | PG-CAM, paper rule | 0.700 / 0.800 |" t.md &&
    grep -q "^| 4 classes (tumour types), He init, 2 steps, ensemble of 3 seeds .* | 1 | PG-CAM, paper rule | 0.600 / 0.500 |" t.md'

expect_ok 'the choice reads the chain map of the coarse scales, and a method without its rows is an error' '
    setup && sed -i "s/^pointing_game\t.*/pointing_game\t0.95/" R/types-he-x2-s1/*.ppaper.tsv R/types-he-x2-s1/*.pproduct.tsv &&
    printf "types-he-x2-s2\t0.6500\n" | diff - <(bash $P/choose.sh R ship types-he-x2-s1 types-he-x2-s2) &&
    sed -i "s/^pointing_game\t.*/pointing_game\t0.95/" R/types-he-x2-s1/*.cproduct.tsv &&
    printf "types-he-x2-s1\t0.7250\n" | diff - <(bash $P/choose.sh R ship types-he-x2-s1 types-he-x2-s2) &&
    ! CHAIN_METHOD=gradcam bash $P/choose.sh R ship 2>/dev/null && ! CHAIN_METHOD=hirescam bash $P/choose.sh R ship 2>/dev/null'

expect_ok 'an ensemble is a candidate like any model, and its members are the seeds it names' '
    setup && score R types-he-x2-ens-s1+s2 0.90 0.90 &&
    printf "types-he-x2-ens-s1+s2\t0.9000\n" | diff - <(bash $P/choose.sh R ship types-he-x2-s1 types-he-x2-s2 types-he-x2-ens-s1+s2) &&
    (. $P/tsv.sh && test "$(members types-he-x2-ens-s1+s2 | paste -sd" ")" = "types-he-x2-s1 types-he-x2-s2" &&
     test "$(members types-he-x2-s1)" = types-he-x2-s1 &&
     test "$(shipped_files 2 | paste -sd" ")" = "dcfpn.model dcfpn.2.model" &&
     mkdir -p ex && touch ex/dcfpn.model ex/dcfpn.2.model ex/dcfpn.4.model &&
     test "$(shipped_models ex | paste -sd" ")" = "ex/dcfpn.model ex/dcfpn.2.model")'
