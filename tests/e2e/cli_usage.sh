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

# --help is made from each command's table of options: every option is listed once.
for c in $(cd "$BIN" && ls pgc-* | grep -v "\.so$"); do
    expect_ok "$c --help lists each option once" \
        "$c --help > h.txt && test -z \"\$(grep -oE '^  --?[a-z][-a-z]*' h.txt | sort | uniq -d)\""
done

# One wording for every usage error: an option without its value, a number out of its
# range, an option nobody declared.
for co in "pgc-train --batch" "pgc-infer --batch" "pgc-slice --every" "pgc-volume --frac" \
          "pgc-box --frac" "pgc-render --alpha" "pgc-score --prob-threshold"; do
    set -- $co
    expect_exit 2 "$1 says '$2 needs a value'" "fails_with '^$1: $2 needs a value' $1 $2"
    expect_exit 2 "$1 says what $2 wants" "fails_with '^$1: $2 wants an* [a-z]* in ' $1 $2 x"
    expect_exit 2 "$1 names an unknown option" \
        "fails_with \"^$1: unknown option '--no-such-option'\" $1 --no-such-option"
done
expect_exit 2 "pgc-npy says '--export needs a value'" "fails_with '^pgc-npy: --export needs a value' pgc-npy --export"
