# Every command that writes into a directory (pgc-render -o, pgc-npy --export,
# pgc-volume -o) makes it with its missing parents, as mkdir -p, through one rule
# (lib/atomic_file pgc_output_dir); a file in the way is refused in one line naming it.
. "$(dirname "$0")/lib.sh"
pgc-slice "$EX"/slices/0205.png | pgc-prep --size 32 > "$T/s.pgc"
VOL=$(ls "$EX"/volume/*.nii.gz | head -n 1)
pgc-slice "$VOL" --axis axial | pgc-prep --size 32 > "$T/v.pgc" 2>/dev/null

expect_ok 'pgc-render -o makes a nested directory' '
    pgc-render -o r/a/b s.pgc && ls r/a/b/*.png > /dev/null'
expect_ok 'pgc-npy --export makes a nested directory' '
    pgc-npy --export n/a/b s.pgc && ls n/a/b/*.image.npy > /dev/null'
expect_ok 'pgc-volume -o makes a nested directory' '
    pgc-volume -o v/a/b --map image < v.pgc > /dev/null && ls v/a/b/*.nii.gz > /dev/null'

touch "$T/plain"
expect_exit 1 'pgc-render -o under a file names the file in the way' '
    fails_with "'"'"'plain'"'"' is not a directory" pgc-render -o plain/x s.pgc'
expect_exit 1 'pgc-npy --export onto a file names it' '
    fails_with "'"'"'plain'"'"' is not a directory" pgc-npy --export plain s.pgc'
expect_exit 1 'pgc-volume -o under a file names the file in the way' '
    fails_with "'"'"'plain'"'"' is not a directory" pgc-volume -o plain/x/y --map image < v.pgc'
expect_exit 1 'an empty directory name is refused, not taken for the root' '
    fails_with "the name is empty" pgc-npy --export "" s.pgc'
expect_exit 1 'so is pgc-render -o with an empty name' '
    fails_with "the name is empty" pgc-render -o "" s.pgc'
