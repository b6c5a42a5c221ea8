#!/usr/bin/env bash
# The README's benchmark table from a saved `make bench` output (FILE): nn_bench's rows
# (images/s, %peak, peak MiB) beside torch_bench's ratio, as Markdown.
# Usage: make bench > bench.log; tests/bench/readme_table.sh bench.log
set -euo pipefail
awk '
    /^== nn_bench/ { s = "nn" } /^== torch_bench/ { s = "torch" } /^== pgcam vs torch/ { s = "cmp" }
    s == "nn" && $1 ~ /^(dcfpn|resnet50)$/ { k = $1 " " $2 " " $3 " " $4 " " $5; ips[k] = $6; pk[k] = $9; mem[k] = $11; order[++n] = k }
    s == "cmp" && $1 ~ /^(dcfpn|resnet50)$/ { k = $1 " " $2 " " $3 " " $4 " " $5; tor[k] = $7; rat[k] = $8 }
    /^peak:/ { peak = $0 }
    END {
        print "| arch | width | size | batch | mode | pgcam images/s | %peak | peak MiB | PyTorch images/s | pgcam / PyTorch |"
        print "|---|---|---|---|---|---|---|---|---|---|"
        for (i = 1; i <= n; i++) { k = order[i]; split(k, f, " ")
            printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", f[1], f[2], f[3], f[4], f[5], ips[k], pk[k], mem[k],
                (k in tor) ? tor[k] : "-", (k in rat) ? rat[k] : "-" }
        print ""; print "`" peak "`"
    }' "$1"
