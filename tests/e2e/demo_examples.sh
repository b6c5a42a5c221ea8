# The README's main job: the bundled slices and volume through the whole chain with the
# shipped model. What is asserted here is what a user of `make demo` relies on.
. "$(dirname "$0")/lib.sh"
M=$EX/model/dcfpn.model

chain() {
    pgc-slice --labels $EX/slices/labels.csv --boxes $EX/slices/boxes.csv $EX/slices/*.png |
        pgc-prep --model $M | pgc-infer -m $M --threads 1 | pgc-cam | pgc-fuse --scales all | pgc-box
}
# what make demo shows: the product rule on the blurred PG-CAM of the coarse scales
product() { pgc-fuse --scales 3,4,5 --blur 3 --drop | pgc-box --rule product "$@"; }

expect_ok 'the shipped model loads and every bundled slice gets a probability and a PG-CAM map' '
    chain > r.pgc && pgc-info r.pgc > i.txt &&
    test $(grep -c " prob f32 \[class=[0-9]*\]" i.txt) -eq 6 &&
    test $(grep -c " pgcam f32 \[y=128 x=128\]" i.txt) -eq 6 &&
    test $(grep -c " boxes f32" i.txt) -eq 6 && test $(grep -c " boxes.src f32" i.txt) -eq 6'

expect_ok 'boxes in source pixels lie inside the 512 x 512 source slices' '
    chain | pgc-box --tsv > b.tsv && test $(wc -l < b.tsv) -ge 2 &&
    awk -F"\t" "NR > 1 && (\$6 < 0 || \$7 < 0 || \$8 > 512 || \$9 > 512 || \$6 >= \$8 || \$7 >= \$9) { bad = 1 } END { exit bad }" b.tsv'

expect_ok 'the shipped model calls every bundled tumour slice tumour' '
    chain | pgc-score > s.tsv && grep -q "^sensitivity.1\.0*$" s.tsv'

expect_ok 'PG-CAM under the paper rule boxes the tumour (IOBB > 0.2) on at least four of the six bundled slices' '
    chain | pgc-score > s.tsv && fn=$(awk -F"\t" "\$1 == \"fn\" { print \$2 }" s.tsv) &&
    echo "missed truth boxes: $fn" && test "$fn" -le 2'

expect_ok 'the volume slab slices, infers and boxes with its segmentation as truth' '
    pgc-slice $EX/volume/tcga_du_7294_t1c_slab.nii.gz --seg $EX/volume/tcga_du_7294_seg_slab.nii.gz --every 8 |
        pgc-prep --model $M | pgc-infer -m $M --threads 1 | pgc-cam | pgc-fuse | pgc-box > v.pgc &&
    test $(pgc-info v.pgc | grep -c " truth f32") -eq 4 && test $(pgc-info v.pgc | grep -c " pgcam ") -eq 4'

# what make demo runs: the maps of each slice and of its mirror image (pgc-infer --mirror)
demo_chain() {
    pgc-slice --labels $EX/slices/labels.csv --boxes $EX/slices/boxes.csv $EX/slices/*.png |
        pgc-prep --model $M | pgc-infer -m $M --mirror --threads 1 | pgc-cam | product "$@"
}
# (The issue asks for one to three boxes a tumour slice; the product rule keeps the
# strongest region. Without --mirror, slice 0462's hot spot is under the rule's 0.5% of
# the image and it gets none.)
expect_ok 'the demo shows exactly one box on each of the six bundled tumour slices' '
    demo_chain --tsv > b.tsv &&
    awk -F"\t" "NR > 1 { n[\$1]++ } END { for (f in n) if (n[f] != 1) exit 1; exit length(n) != 6 }" b.tsv'

expect_ok 'make demo leaves one overlay per frame, a boxes table and scores' '
    OUT=$T/out bash $TOP/examples/demo.sh > d.txt && ls out/*.png > p.txt &&
    test $(wc -l < p.txt) -eq 10 && head -n 1 out/boxes.tsv | grep -q "^frame" &&
    grep -q "^iobb_f1" out/score.tsv'
