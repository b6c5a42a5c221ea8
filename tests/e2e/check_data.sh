# pipelines/check-data.py: a data folder that pipelines/ can read passes in silence; each
# kind of damage a user's own folder can have gives exactly one line naming the file and
# the line, and exit 1.
. "$(dirname "$0")/lib.sh"
if ! command -v python3 >/dev/null; then skip 'check-data' 'no python3'; exit 0; fi
CHECK="python3 $TOP/pipelines/check-data.py --bin $BIN"

# good DIR: a slice set in the layout of pipelines/README.md, from the bundled slices.
good() {
    mkdir -p "$1/images" && cp "$EX"/slices/*.png "$1/images/" &&
    cp "$EX/slices/labels.csv" "$EX/slices/boxes.csv" "$1/"
}
# problems WANT: stdout holds exactly the lines of the file WANT (order aside), exit 1.
problems() {
    $CHECK "$2" > got 2> err; local rc=$?
    sort got > got.s && sort "$1" > want.s && diff want.s got.s && [ "$rc" -eq 1 ] &&
        grep -q "; $(wc -l < want.s) problems\?$" err
}

expect_ok 'help goes to stdout and exits 0' "$CHECK --help | grep -q 'usage: check-data'"
expect_exit 2 'no folder is a usage error' "$CHECK"
expect_exit 2 'an unknown option is a usage error' "$CHECK --bogus x"

expect_ok 'a good slice set passes: no line on stdout, exit 0, a summary on stderr' '
    good set && $CHECK set > out 2> err && [ ! -s out ] &&
    grep -q "^check-data: set: 6 images, 6 tumour, 6 boxes; 0 problems$" err'

expect_ok 'a DATA root checks its three sets and names each one missing' '
    mkdir root && good root/br35h && printf "no such\n" > want &&
    cat > want <<EOF
root/figshare_cheng_t1ce: no such folder (pipelines/Makefile reads it)
root/nifti: no such folder (pipelines/Makefile reads it)
root/br35h/labels.csv:line 1: no column similarity_group in the header (file,label,tumour_type,patient_id,figshare_index,width,height,mask_pixels,original_size)
EOF
    problems want root'

expect_ok 'labels: a bad label, a ragged row, a repeated name, a missing image, each one line' '
    good s && cat >> s/labels.csv <<EOF &&
0206.png,tumor,meningioma,,206,512,512,1,512x512
0207.png,none,meningioma
0205.png,tumour,meningioma,,205,512,512,1,512x512
gone.png,none,meningioma,,9,512,512,0,512x512
EOF
    cp s/images/0205.png s/images/0206.png &&
    cat > want <<EOF &&
s/labels.csv:line 8: label '"'"'tumor'"'"' of '"'"'0206.png'"'"' is not tumour or none
s/labels.csv:line 9: 3 fields, the header has 9
s/labels.csv:line 10: file '"'"'0205.png'"'"': its name is listed already on line 2 (files are told apart by name)
s/images/gone.png: listed in labels.csv line 11 but missing
EOF
    problems want s'

expect_ok 'labels: a missing column is one line, and nothing else is checked against it' '
    good s && sed -i "1s/label/lab/" s/labels.csv &&
    echo "s/labels.csv:line 1: no column label in the header (file,lab,tumour_type,patient_id,figshare_index,width,height,mask_pixels,original_size)" > want &&
    problems want s'

expect_ok 'images: each unreadable one is named, and the readable ones after it are still read' '
    good s && printf "not a png" > s/images/0232.png && head -c 100 s/images/0462.png > cut &&
    mv cut s/images/0462.png &&
    $CHECK s > got 2> err; [ $? -eq 1 ] && [ $(wc -l < got) -eq 2 ] &&
    grep -q "^s/images/0232.png: not readable by pgc-slice: " got &&
    grep -q "^s/images/0462.png: not readable by pgc-slice: " got &&
    grep -q " 4 images, " err'

expect_ok 'boxes: outside the image, inverted, of an unlisted file, on a none slice, not a number' '
    good s && sed -i "s/^0972.png,tumour/0972.png,none/" s/labels.csv &&
    sed -i "/^0972.png,/d" s/boxes.csv && cat >> s/boxes.csv <<EOF &&
0205.png,274,282,600,392
0232.png,303,142,223,229
other.png,1,1,2,2
0972.png,1,1,5,5
0741.png,1,1,x,5
0462.png,0,0,512,512
EOF
    cat > want <<EOF &&
s/boxes.csv:line 7: box of '"'"'0205.png'"'"' (274,282,600,392) is not inside the 512 x 512 image
s/boxes.csv:line 8: box of '"'"'0232.png'"'"' is empty or inverted (303,142,223,229: want x0 < x1, y0 < y1)
s/boxes.csv:line 9: box of '"'"'other.png'"'"', which labels.csv does not list
s/boxes.csv:line 10: box of '"'"'0972.png'"'"', whose label is none
s/boxes.csv:line 11: box of '"'"'0741.png'"'"' has a coordinate that is not a number
EOF
    problems want s'

expect_ok 'a set named figshare_cheng_t1ce needs the columns the Makefile splits by' '
    good figshare_cheng_t1ce && sed -i "s/^0205.png,tumour,meningioma,,205,/0205.png,tumour,meningioma,,x5,/" figshare_cheng_t1ce/labels.csv &&
    echo "figshare_cheng_t1ce/labels.csv:line 2: figshare_index '"'"'x5'"'"' of '"'"'0205.png'"'"' is not an integer" > want &&
    problems want figshare_cheng_t1ce'

expect_ok 'a volume list: the bundled volume passes; a missing file and a bad id are named' '
    V=$EX/volume && printf "id,image,seg,label\nslab,$V/tcga_du_7294_t1c_slab.nii.gz,$V/tcga_du_7294_seg_slab.nii.gz,\n" > ok.csv &&
    $CHECK ok.csv 2> err && grep -q " 1 volumes; 0 problems" err &&
    printf "id,image,seg,label\nslab,$V/tcga_du_7294_t1c_slab.nii.gz,,maybe\nbad id,x.nii.gz,,\nnone,nowhere.nii.gz,,none\n" > bad.csv &&
    cat > want <<EOF &&
bad.csv:line 2: label '"'"'maybe'"'"' of '"'"'slab'"'"' is not tumour, none or empty
bad.csv:line 3: id '"'"'bad id'"'"' is not made of letters, digits, '"'"'.'"'"', '"'"'_'"'"', '"'"'-'"'"'
bad.csv:line 4: '"'"'nowhere.nii.gz'"'"': no such file
EOF
    problems want bad.csv'

expect_ok 'a volume whose segmentation is on another grid is one line' '
    python3 -c "
import gzip
h = bytearray(gzip.open(\"$EX/volume/tcga_du_7294_seg_slab.nii.gz\").read())
import struct
struct.pack_into(\"<h\", h, 42, 239)            # dim[1]: 240 -> 239
open(\"seg239.nii\", \"wb\").write(h)
" && printf "id,image,seg\nv,$EX/volume/tcga_du_7294_t1c_slab.nii.gz,seg239.nii\n" > l.csv &&
    $CHECK l.csv > got 2>/dev/null; [ $? -eq 1 ] && [ $(wc -l < got) -eq 1 ] && grep -q "^l.csv:line 2: " got'
