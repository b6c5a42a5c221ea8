# pgc-info: one line per record, JSON on request, loud on a damaged stream.
. "$(dirname "$0")/lib.sh"
MK="python3 $TOP/tests/data/mkpng.py"

expect_ok 'help goes to stdout and exits 0' \
    'pgc-info --help | grep -q "usage: pgc-info"'

expect_ok 'one text line per record with frame, name, dtype and dims' '
    $MK grey8 5 3 a.png >/dev/null && pgc-slice a.png > s.pgc &&
    pgc-info s.pgc > out && test $(wc -l < out) -eq 1 &&
    grep -q "^a image u8 \[y=3 x=5\] png:0 .*min=0 max=54" out'

expect_ok 'json carries every metadata key and the statistics' '
    $MK grey8 4 2 b.png > mean && pgc-slice b.png | pgc-info --json > j &&
    python3 -c "
import json, sys
r = json.loads(open(\"j\").read())
assert r[\"meta\"][\"frame\"] == \"b\" and r[\"meta\"][\"transform\"] == \"1 0 0 0 1 0\", r
assert r[\"dims\"] == [2, 4] and r[\"dimnames\"] == [\"y\", \"x\"] and r[\"dtype\"] == \"u8\"
assert abs(r[\"mean\"] - float(open(\"mean\").read())) < 1e-3, r
"'

expect_ok 'concatenated streams read as one' '
    $MK grey8 4 2 c.png >/dev/null && pgc-slice c.png > one.pgc &&
    cat one.pgc one.pgc | pgc-info | wc -l | grep -qx 2'

expect_exit 1 'a truncated stream fails with "truncated stream"' '
    $MK grey8 40 40 d.png >/dev/null && pgc-slice d.png | head -c 1000 | pgc-info > /dev/null'
expect_ok 'the truncated stream message says so' '
    $MK grey8 40 40 d.png >/dev/null; pgc-slice d.png | head -c 1000 | pgc-info >/dev/null 2>err
    test $? = 1 && grep -q "truncated stream" err'

expect_exit 1 'garbage input fails with one line' 'echo hello | pgc-info'
expect_exit 2 'an unknown option is a usage error' 'pgc-info --bogus < /dev/null'
expect_exit 1 'a missing file fails with one line' 'pgc-info nonexistent.pgc'

expect_ok 'a closed pipe downstream is not an error' '
    set -o pipefail; $MK grey8 8 8 e.png >/dev/null && pgc-slice e.png > e.pgc &&
    for i in $(seq 3000); do cat e.pgc; done > big.pgc &&
    pgc-info big.pgc | head -n 1 | grep -q "^e image"'
