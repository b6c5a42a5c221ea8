#!/usr/bin/env bash
# make bench: runs every benchmark in $BENCH (built from tests/bench/*.c).
set -u
: "${BENCH:?}"
for b in "$BENCH"/*; do
    [ -x "$b" ] && [ -f "$b" ] || continue
    echo "== $(basename "$b")"
    "$b" || exit 1
done
