#!/usr/bin/env bash
# pgc-render on synthetic streams (tests/unit/cam_fixtures.c documents them).
. "$(dirname "$0")/lib.sh"
: "${UNIT:?}"
case $UNIT in /*) ;; *) UNIT=$TOP/$UNIT ;; esac # run.sh passes it relative to TOP
FX=$UNIT/cam_fixtures
$FX emit blobs | pgc-cam | pgc-fuse | pgc-box --prob-threshold 0.25 >"$T/boxed.pgc"
is_png() { test "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a; }

expect_ok 'one PNG per frame, named after the frame' '
    pgc-render -o out <boxed.pgc && test "$(ls out | tr "\n" " ")" = "a.png b.png c.png " &&
    is_png out/a.png && is_png out/b.png && is_png out/c.png'

expect_ok 'a frame with only an image renders' '
    $FX emit image | pgc-render -o out2 && is_png out2/m1.png'

expect_ok '--pass copies the stream through unchanged' '
    pgc-render -o out3 --pass <boxed.pgc | $FX dump >got && $FX dump <boxed.pgc >want &&
    diff want got'

expect_exit 1 'existing files are not replaced' 'pgc-render -o out <boxed.pgc'
expect_ok '--force replaces them' 'pgc-render -o out --force <boxed.pgc && is_png out/c.png'
expect_ok '--force replaces a file by a new one: a symlink in the way is replaced, its target kept' '
    mkdir -p out8 && echo keep > kept.txt && ln -s ../kept.txt out8/c.png &&
    pgc-render -o out8 --force <boxed.pgc && test ! -L out8/c.png && is_png out8/c.png &&
    grep -qx keep kept.txt && test -z "$(ls out8 | grep tmp)"'
expect_ok 'an empty stream writes nothing' '$FX emit empty | pgc-render -o out4 && test -z "$(ls out4)"'
expect_exit 1 'NaN in a map is bad input' '$FX emit camnan | pgc-render -o out5 --map cam.s1'
expect_exit 1 'an output path that is a file is refused' 'touch f && pgc-render -o f <boxed.pgc'
expect_exit 1 'a truncated stream is bad input' '$FX emit truncated | pgc-render -o out6'
expect_exit 2 'no -o is a usage error' 'pgc-render <boxed.pgc'
expect_exit 2 'an alpha above 1 is a usage error' 'pgc-render -o out7 --alpha 3 <boxed.pgc'
expect_ok '--help prints usage and exits 0' 'pgc-render --help | grep -q "^usage: pgc-render"'
