# What every command shares: help on stdout with exit 0, and bad usage refused with
# exit 2, one line on stderr and nothing on stdout.
. "$(dirname "$0")/lib.sh"

for c in $(cd "$BIN" && ls pgc-* | grep -v "\.so$"); do
    expect_ok "$c --help prints its usage and exits 0" "$c --help > h.txt && grep -q '^usage: $c' h.txt"
    expect_exit 2 "$c refuses an unknown option" "$c --no-such-option > out.txt; rc=\$?; test ! -s out.txt && exit \$rc"
done

for c in pgc-box pgc-cam pgc-fuse pgc-score; do
    expect_exit 2 "$c takes one input stream at most" "$c a.pgc b.pgc > out.txt; rc=\$?; test ! -s out.txt && exit \$rc"
done
