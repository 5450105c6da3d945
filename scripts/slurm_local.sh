#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for the sweep-plan test
# (tests/sim/test_sweep_jobs.cpp) and for trying `sbatch plan/sweep.sbatch`
# by hand: munged, slurmctld and slurmd started as root, without systemd,
# with every file under one directory.
#
#   scripts/slurm_local.sh start DIR   # prints: export SLURM_CONF=DIR/slurm.conf
#   scripts/slurm_local.sh stop DIR    # stops what start started, removes DIR
#
# The node is this machine (slurmd -C: its CPUs and memory); one partition,
# "local"; its ports are the first two free ones from a PID-derived base.
# Jobs run as root, processes tracked without cgroups
# (proctrack/linuxproc), so it runs in containers too.
set -euo pipefail
cmd=${1:-}
dir=${2:-}
if [[ -z $cmd || -z $dir ]]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "error: slurmd and munged run as root here; run as root" >&2
  exit 1
fi

stop() {
  for pidfile in "$dir"/slurmd.pid "$dir"/slurmctld.pid "$dir"/munged.pid; do
    [[ -f $pidfile ]] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    # Wait for it to go: a restarted daemon must not find the old one.
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  rm -rf "$dir"
}

if [[ $cmd == stop ]]; then
  stop
  exit 0
fi
[[ $cmd == start ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

mkdir -p "$dir"/state "$dir"/spool "$dir"/munge
chmod 700 "$dir"/munge
host=$(hostname -s)
# Two free ports: a second cluster (another test run) may hold the last ones.
free_port() {
  local port
  for port in $(seq "$1" 60999); do
    ss -Htln "sport = :$port" | grep -q . || { echo "$port"; return; }
  done
}
ctld_port=$(free_port $((20000 + $$ % 20000)))
slurmd_port=$(free_port $((ctld_port + 1)))
node=$(slurmd -C | head -1)  # NodeName=<host> CPUs=... RealMemory=...
# munged: its own key and socket, so a system munged (if any) is untouched.
mungekey --create --keyfile="$dir/munge/munge.key" --force >/dev/null 2>&1 ||
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$dir/munge/munge.key"
munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
  --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/seed"
cat > "$dir/slurm.conf" <<CONF
ClusterName=iommusim
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
$node State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf
slurmctld -i
slurmd
# Ready when the node takes jobs (idle), within 30 s; a daemon that died
# (a port taken after all, a bad config) ends the wait at once.
state=none
while ((SECONDS < 30)); do
  for pidfile in "$dir"/slurmctld.pid "$dir"/slurmd.pid; do
    # No pid file yet: still starting.
    if [[ -f $pidfile ]] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      state="a daemon died"
      break 2
    fi
  done
  state=$(timeout 2 sinfo -h -n "$host" -o %T 2>/dev/null || true)
  [[ $state == idle ]] && { echo "export SLURM_CONF=$dir/slurm.conf"; exit 0; }
  sleep 0.1
done
echo "error: the Slurm node did not come up (state: ${state:-none}); logs in $dir" >&2
tail -n 5 "$dir"/slurmctld.log "$dir"/slurmd.log >&2 || true
stop
exit 1
