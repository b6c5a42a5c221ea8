#!/usr/bin/env bash
# Replaces the lines between '<!-- NAME:begin -->' and '<!-- NAME:end -->' of FILE with
# the contents of PART, so that a generated table is copied, never typed.
# Usage: splice.sh FILE NAME PART
set -euo pipefail
f=$1 name=$2 part=$3
grep -q "^<!-- $name:begin -->$" "$f" && grep -q "^<!-- $name:end -->$" "$f" ||
    { echo "splice.sh: '$f' has no <!-- $name:begin/end --> markers" >&2; exit 1; }
awk -v b="<!-- $name:begin -->" -v e="<!-- $name:end -->" -v part="$part" '
    $0 == b { print; while ((getline l < part) > 0) print l; skip = 1; next }
    $0 == e { skip = 0 }
    !skip' "$f" > "$f.tmp" && mv "$f.tmp" "$f"
