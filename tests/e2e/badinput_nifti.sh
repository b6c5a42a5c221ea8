# Damaged NIfTI volumes: exit 1, one line on stderr naming the file and what is wrong,
# before anything large is allocated, and no crash.
. "$(dirname "$0")/lib.sh"
MKNII="python3 $TOP/tests/data/mknii.py"
# bad NAME PATTERN MKNII-OPTIONS...: a volume made with the options must be refused.
bad() {
    local what=$1 pat=$2; shift 2
    local args; args=$(printf '%q ' "$@")
    expect_exit 1 "$what" "$MKNII v.nii $args && fails_with \"cannot read 'v.nii': .*$pat\" pgc-slice v.nii"
    expect_exit 1 "$what (gzip)" "$MKNII v.nii.gz --gz $args && fails_with \"cannot read 'v.nii.gz': .*$pat\" pgc-slice v.nii.gz"
}

bad 'dim[0] of 0' 'dim\[0\] is 0' --set dim0=0
bad 'dim[0] of 8' 'dim\[0\] is 8' --set dim0=8
bad 'an extent of 0' 'dim\[2\] is 0' --set dim2=0
bad 'a negative extent' 'dim\[3\] is -5' --set dim3=-5
bad 'more than 2^31 voxels' '2^31' --set dim1=32767 --set dim2=32767 --set dim3=32767
bad 'a 4-d series' '3 volumes' --set dim0=4 --set dim4=3
bad 'a nifti-2 with 2^40 voxels' 'dim\[1\] is 1099511627776' --v2 --set dim1=1099511627776
bad 'vox_offset inside the header' 'vox_offset 100' --set vox_offset=100
bad 'vox_offset not a whole number' 'vox_offset 352.5' --set vox_offset=352.5
bad 'an unsupported datatype' 'unsupported datatype 1280' --set datatype=1280
bad 'bitpix that does not match the datatype' 'bitpix 8' --set bitpix=8
bad 'the .hdr/.img magic' '.hdr/.img' --set 'magic=ni1\0'
bad 'a wrong magic' 'bad magic' --set 'magic=abc\0'
bad 'an infinite scl_slope' 'scl_slope' --set scl_slope=inf
bad 'a NaN voxel' 'NaN' --dtype f32 --expr "float('nan') if (i, j, k) == (1, 2, 3) else 1.0"
bad 'a NIfTI-2 magic damaged by CR/LF conversion' 'CR/LF' --v2 --set 'magic=n+2\0\n\x1a\n\0'

expect_exit 1 'vox_offset past the end of the file' "
    $MKNII v.nii --set vox_offset=100000 && fails_with \"cannot read 'v.nii': truncated\" pgc-slice v.nii"
expect_exit 1 'vox_offset past the end of the gzip data' "
    $MKNII v.nii.gz --gz --set vox_offset=100000 && fails_with \"cannot read 'v.nii.gz': truncated\" pgc-slice v.nii.gz"
for cut in 1 30 400 1000; do
    expect_exit 1 "a plain volume missing its last $cut bytes" "
        $MKNII v.nii --dims 10 10 10 --cut $cut && fails_with \"cannot read 'v.nii': truncated\" pgc-slice v.nii"
done
for cut in 1 8 60 300; do
    expect_exit 1 "a gzip volume missing its last $cut bytes" "
        $MKNII v.nii.gz --gz --dims 10 10 10 --expr 'i * j * k % 97' --cut $cut &&
        fails_with \"cannot read 'v.nii.gz': truncated\" pgc-slice v.nii.gz"
done
expect_exit 1 'a gzip stream with damaged data' '
    $MKNII v.nii.gz --gz --dims 20 20 20 --expr "(i * 7 + j * 13 + k) % 101" &&
    python3 -c "
b = bytearray(open(\"v.nii.gz\", \"rb\").read())
for o in range(200, 260): b[o] ^= 0x5a
open(\"v.nii.gz\", \"wb\").write(b)" && fails_with "v.nii.gz.*corrupt gzip" pgc-slice v.nii.gz'
expect_exit 1 'a gzip stream with a damaged CRC' '
    $MKNII v.nii.gz --gz && python3 -c "
b = bytearray(open(\"v.nii.gz\", \"rb\").read()); b[-6] ^= 0xff
open(\"v.nii.gz\", \"wb\").write(b)" && fails_with "v.nii.gz.*corrupt gzip" pgc-slice v.nii.gz'
expect_exit 1 'gzip of something that is not NIfTI' '
    echo "just text, nothing else" | gzip > v.nii.gz && fails_with "v.nii.gz" pgc-slice v.nii.gz'
expect_exit 1 'a header cut short' '
    $MKNII v.nii && head -c 200 v.nii > h.nii && fails_with "h.nii.*truncated" pgc-slice h.nii'
expect_exit 1 'a bad segmentation names the segmentation' '
    $MKNII v.nii && $MKNII s.nii --set dim0=0 && fails_with "cannot read '\''s.nii'\'': dim" pgc-slice v.nii --seg s.nii'
# (past the voxel cap, README "Resource caps", which would refuse it sooner)
expect_ok 'a lying header does not make pgc-slice allocate what it claims' '
    $MKNII v.nii.gz --gz --v2 --dtype f64 --set dim1=1290 --set dim2=1290 --set dim3=1290 &&
    PGC_MAX_VOXELS=2147483648 /usr/bin/time -f %M pgc-slice v.nii.gz > /dev/null 2> err; grep -q truncated err &&
    test $(tail -n 1 err) -lt 100000'
