#!/usr/bin/env bash
# The README's benchmark table from a saved `make bench` output (FILE): nn_bench's rows
# (images/s, %peak, peak MiB) beside torch_bench's and ort_bench's images/s and the ratios
# pgcam / PyTorch and pgcam / ONNX Runtime (from run.sh's summary), and PyTorch's peak MiB
# ("-" from a torch_bench without that column), as Markdown. ORT has
# inference rows only: "-" in its columns elsewhere, and in all of them for an output
# without ORT (or from before it was there).
# Usage: make bench > bench.log; tests/bench/readme_table.sh bench.log
set -euo pipefail
awk '
    /^== / { s = "" }
    /^== nn_bench/ { s = "nn" } /^== torch_bench/ { s = "torch" } /^== ort_bench/ { s = "ort" }
    /^== pgcam vs torch/ { s = "cmp" }
    s == "nn" && $1 ~ /^(dcfpn|resnet50)$/ { k = $1 " " $2 " " $3 " " $4 " " $5; ips[k] = $6; pk[k] = $9; mem[k] = $11; order[++n] = k }
    s == "torch" && $1 ~ /^(dcfpn|resnet50)$/ && NF == 12 { tmem[$1 " " $2 " " $3 " " $4 " " $5] = $11 }
    s == "cmp" && $1 ~ /^(dcfpn|resnet50)$/ { k = $1 " " $2 " " $3 " " $4 " " $5; tor[k] = $7; rat[k] = $8
        if (NF >= 11) { ort[k] = $10; orat[k] = $11 } }
    /^peak:/ { peak = $0 }
    s == "ort" && /^onnxruntime-node / { ortline = $0 }
    function v(m, k) { return (k in m) ? m[k] : "-" }
    END {
        print "| arch | width | size | batch | mode | pgcam images/s | %peak | peak MiB | PyTorch images/s | pgcam / PyTorch | PyTorch peak MiB | ONNX Runtime images/s | pgcam / ORT |"
        print "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
        for (i = 1; i <= n; i++) { k = order[i]; split(k, f, " ")
            printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", f[1], f[2], f[3], f[4], f[5], ips[k], pk[k], mem[k],
                v(tor, k), v(rat, k), v(tmem, k), v(ort, k), v(orat, k) }
        print ""; print "`" peak "`"
        if (ortline != "") { print ""; print "`" ortline "`" }
    }' "$1"
