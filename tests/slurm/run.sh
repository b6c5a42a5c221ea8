#!/usr/bin/env bash
# make test-slurm: the Slurm recipe (pipelines/slurm/submit.sh) for real, on a one-node
# Slurm that this script starts on localhost and stops again: munged, slurmctld and
# slurmd with their own key, sockets, ports and state in a scratch folder (nothing of
# the machine's own Slurm or munge configuration is used or changed). Installs the
# Debian packages slurm-wlm and munge first when they are missing (as root; otherwise
# it prints the apt-get line and fails). Then:
#   1. the job array over the bundled volume (listed twice) and the merge that depends
#      on it; the merged results must be byte for byte those of make -f volumes.mk;
#   2. an array with a volume that fails: its task fails and the merge never runs
#      (DependencyNeverSatisfied).
# Prints "ok - ..." / "not ok - ..." and what Slurm said; exits 1 on any failure.
set -u -o pipefail
cd "$(dirname "$0")/../.."
TOP=$(pwd)
BIN=$(cd "${BIN:-bin}" && pwd)
export BIN PGC_DEVICE=cpu THREADS=1
fails=0
ok() { echo "ok - $1"; }
notok() { echo "not ok - $1"; fails=$((fails + 1)); }
die() { echo "test-slurm: $*" >&2; exit 1; }

need=()
for c in slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client munged:munge; do
    command -v "${c%%:*}" >/dev/null || need+=("${c#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        die "missing Debian packages; run: sudo apt-get install -y slurm-wlm munge"
    fi
    echo "test-slurm: installing slurm-wlm munge (${need[*]} missing)"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq slurm-wlm munge; } > /tmp/test-slurm-apt.$$ 2>&1 ||
        { tail -n 5 /tmp/test-slurm-apt.$$ >&2; die "apt-get install slurm-wlm munge failed"; }
    rm -f /tmp/test-slurm-apt.$$
fi
[ "$(id -u)" -eq 0 ] || die "slurmd must start jobs as their users: run as root (e.g. in a container)"
[ -x "$BIN/pgc-slice" ] || die "no pgcam binaries in '$BIN' (run make first)"

D=$(mktemp -d /tmp/pgc-slurm.XXXXXX)
chmod 755 "$D"
pids=()
stop() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null
    done
    if [ -f "$D/munged.pid" ]; then
        p=$(cat "$D/munged.pid")
        kill "$p" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    fi
    if [ "${KEEP_SLURM_DIR:-0}" = 1 ]; then echo "test-slurm: logs kept in $D"; else rm -rf "$D"; fi
}
trap stop EXIT

# ---- munge with a key of its own ----
mkdir -p "$D/munge" && chmod 700 "$D/munge"
dd if=/dev/urandom of="$D/munge/key" bs=1024 count=1 status=none && chmod 400 "$D/munge/key"
munged --force --key-file="$D/munge/key" --socket="$D/munge/sock" --pid-file="$D/munged.pid" \
    --log-file="$D/munged.log" --seed-file="$D/munge/seed" ||
    die "munged did not start: $(tail -n 1 "$D/munged.log" 2>/dev/null)"
echo "test: munge" | munge --socket="$D/munge/sock" | unmunge --socket="$D/munge/sock" >/dev/null ||
    die "munge cannot encode and decode a credential with its own key"

# ---- slurm.conf: this host, all its cores, free ports ----
host=$(hostname -s)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
port2=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$D/state" "$D/spool"
export SLURM_CONF=$D/slurm.conf
cat > "$SLURM_CONF" <<EOF
ClusterName=pgcamtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$port2
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$D/munge/sock
CredType=cred/munge
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -D -i -f "$SLURM_CONF" > "$D/slurmctld.out" 2>&1 & pids+=($!)
slurmd -D -f "$SLURM_CONF" -N "$host" > "$D/slurmd.out" 2>&1 & pids+=($!)
state=
for _ in $(seq 60); do
    state=$(timeout 5 sinfo -h -o %T 2>/dev/null | head -n 1)
    [ "$state" = idle ] && break
    sleep 0.5
done
if [ "$state" != idle ]; then
    tail -n 5 "$D/slurmctld.log" "$D/slurmd.log" >&2 2>/dev/null
    die "the one-node Slurm did not come up (node state '${state:-none}')"
fi
echo "# $(sinfo --version): $(sinfo -h -o '%P %D node(s) %c CPUs %T' | head -n 1), on $host"

# wait_gone JOB...: until squeue lists none of them (at most 5 minutes).
wait_gone() {
    local ids; ids=$(IFS=,; echo "$*")
    for _ in $(seq 600); do
        [ -z "$(squeue -h -j "$ids" -t PD,R,CG,CF 2>/dev/null | grep -v DependencyNeverSatisfied)" ] && return 0
        sleep 0.5
    done
    return 1
}
job_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -n 1; }
job_reason() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*Reason=\([A-Za-z_]*\).*/\1/p' | head -n 1; }

V=$TOP/examples/volume
W=$D/work && mkdir -p "$W"
{ echo 'id,image,seg,label'
  echo "glioma,$V/tcga_du_7294_t1c_slab.nii.gz,$V/tcga_du_7294_seg_slab.nii.gz,"
  echo "handlabel,$V/tcga_du_7294_t1c_slab.nii.gz,,tumour"; } > "$W/ok.csv"

# ---- 1. the array and its merge ----
if make -s -f pipelines/volumes.mk VOLUMES="$W/ok.csv" OUT="$W/local" -j1 2>/dev/null; then
    ok "the same volumes without Slurm (make -f pipelines/volumes.mk) for comparison"
else
    notok "make -f pipelines/volumes.mk on the bundled volumes"
fi
sub=$(bash pipelines/slurm/submit.sh "$W/ok.csv" "$W/slurm-out" 2>&1); echo "$sub" | sed 's/^/# /'
array=$(sed -n 's/^submit: array job \([0-9]*\):.*/\1/p' <<<"$sub")
merge=$(sed -n 's/^submit: merge job \([0-9]*\) .*/\1/p' <<<"$sub")
if [ -n "$array" ] && [ -n "$merge" ]; then ok "submit.sh submits an array and a merge job"
else notok "submit.sh submits an array and a merge job"; fi
if [ -n "$merge" ] && wait_gone "$array" "$merge"; then
    ok "the array and the merge finish"
else
    notok "the array and the merge finish (still queued after 5 minutes)"
fi
for t in 1 2; do
    s=$(job_state "${array}_$t")
    echo "# job ${array}_$t: $s"
    [ "$s" = COMPLETED ] && ok "array task $t completed" || notok "array task $t completed (state '$s')"
done
s=$(job_state "$merge"); echo "# job $merge (merge): $s"
[ "$s" = COMPLETED ] && ok "the merge ran after the array and completed" ||
    notok "the merge ran after the array and completed (state '$s')"
same=1
for f in score.tsv boxes.tsv frames.tsv volumes.tsv; do
    cmp -s "$W/local/$f" "$W/slurm-out/$f" || { same=0; echo "# $f differs or is missing"; }
done
[ $same = 1 ] && ok "the merged results are those of the run without Slurm, byte for byte" ||
    notok "the merged results are those of the run without Slurm"
echo "# $W/slurm-out/score.tsv:"
sed 's/^/#   /' "$W/slurm-out/score.tsv" 2>/dev/null | head -n 20

# ---- 2. a failing task holds the merge back ----
cp "$W/ok.csv" "$W/bad.csv" && echo "missing,$W/nowhere.nii.gz,," >> "$W/bad.csv"
sub=$(bash pipelines/slurm/submit.sh "$W/bad.csv" "$W/bad-out" 2>&1); echo "$sub" | sed 's/^/# /'
array=$(sed -n 's/^submit: array job \([0-9]*\):.*/\1/p' <<<"$sub")
merge=$(sed -n 's/^submit: merge job \([0-9]*\) .*/\1/p' <<<"$sub")
wait_gone "$array" "$merge"
s=$(job_state "${array}_3") r=$(job_reason "$merge") ms=$(job_state "$merge")
echo "# job ${array}_3: $s; job $merge (merge): $ms, $r"
[ "$s" = FAILED ] && grep -q "^volume-run: volume 'missing': " "$W/bad-out/slurm/${array}_3.log" &&
    ok "the task of a missing volume fails with volume-run's one line in its log" ||
    notok "the task of a missing volume fails (state '$s')"
[ "$ms" = PENDING ] && [ "$r" = DependencyNeverSatisfied ] && [ ! -e "$W/bad-out/score.tsv" ] &&
    ok "its merge never runs (afterok): no score.tsv" || notok "its merge never runs (state '$ms', reason '$r')"
[ -n "$merge" ] && scancel "$merge"

echo "test-slurm: $([ $fails -eq 0 ] && echo passed || echo "$fails FAILED")"
[ $fails -eq 0 ]
