#!/usr/bin/env bash
# A private one-node Slurm (Debian's slurm-wlm 22.05) for the tests: the real slurmctld and slurmd
# on this machine, with every file they write (config, state, spool, logs, pid files) inside DIR
# and ports of their own, so that it cannot clash with another Slurm on the machine.
#   slurm_cluster.sh start DIR   writes DIR/slurm.conf and DIR/cgroup.conf, starts both daemons and
#                                waits until the node is idle; clients then need SLURM_CONF=DIR/slurm.conf
#   slurm_cluster.sh stop DIR    stops the daemons by their pid files
# No munge: AuthType=auth/none and CredType=cred/none. No systemd: the daemons are started here.
# On failure it exits 1 and prints the daemons' log tails, so that a test depending on it fails
# with the reason rather than passing without a cluster.
set -u

readonly START_WAIT_S=${SLURM_CLUSTER_START_WAIT_S:-60}
readonly STOP_WAIT_S=20
readonly MIN_CPUS=4  # four ranks fit without overcommitting (srun -n 4 on 2 CPUs waits forever)

die() {
  echo "slurm_cluster.sh: $*" >&2
  exit 1
}

log_tails() {
  local dir=$1 log
  for log in "$dir"/log/slurmctld.log "$dir"/log/slurmd.log "$dir"/log/slurmctld.out "$dir"/log/slurmd.out; do
    [[ -s $log ]] || continue
    echo "---- last lines of $log" >&2
    tail -n 25 "$log" >&2
  done
}

# Two TCP ports nobody listens on now (the kernel picks them), for slurmctld and slurmd.
free_ports() {
  python3 - <<'EOF'
import socket
sockets = []
for _ in range(2):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    sockets.append(s)
print(" ".join(str(s.getsockname()[1]) for s in sockets))
EOF
}

# $1: the node's CPU count as slurmd sees it; the rest from `slurmd -C`.
write_config() {
  local dir=$1 proctrack=$2 task=$3
  local host cpus memory ports
  host=$(hostname -s)
  local probe
  probe=$(slurmd -C 2>/dev/null | head -n 1) || true
  cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$probe")
  memory=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$probe")
  [[ -n $cpus ]] || cpus=$(nproc)
  [[ -n $memory ]] || memory=1000
  ((cpus < MIN_CPUS)) && cpus=$MIN_CPUS
  read -r -a ports <<<"$(free_ports)" || die "cannot find free ports (python3 missing?)"
  mkdir -p "$dir"/state "$dir"/spool "$dir"/log "$dir"/run
  cat >"$dir/slurm.conf" <<EOF
# Written by tests/slurm/slurm_cluster.sh: a private one-node cluster, all files under $dir.
ClusterName=commtune-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=${ports[0]}
SlurmdPort=${ports[1]}
SlurmUser=root
SlurmdUser=root
AuthType=auth/none
CredType=cred/none
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=$proctrack
TaskPlugin=$task
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
InactiveLimit=0
KillWait=5
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF
  cat >"$dir/cgroup.conf" <<EOF
CgroupPlugin=autodetect
IgnoreSystemd=yes
EOF
}

pid_alive() {
  local file=$1 pid
  [[ -s $file ]] || return 1
  pid=$(<"$file")
  kill -0 "$pid" 2>/dev/null
}

node_state() {
  SLURM_CONF=$1/slurm.conf sinfo -h -N -o '%T' 2>/dev/null | head -n 1
}

# Starts both daemons; returns 0 once the node is idle, 1 (daemons stopped again) otherwise.
start_daemons() {
  local dir=$1 waited_ds=0 state=""
  slurmctld -f "$dir/slurm.conf" -i >"$dir/log/slurmctld.out" 2>&1 || return 1
  # Its pid file is how we stop it: without it a failure below would leave it running.
  while [[ ! -s $dir/run/slurmctld.pid ]] && ((waited_ds < 100)); do
    sleep 0.1
    waited_ds=$((waited_ds + 1))
  done
  [[ -s $dir/run/slurmctld.pid ]] || {
    echo "slurm_cluster.sh: slurmctld wrote no pid file in 10 s" >&2
    return 1
  }
  waited_ds=0
  slurmd -f "$dir/slurm.conf" >"$dir/log/slurmd.out" 2>&1 || {
    stop_daemons "$dir"
    return 1
  }
  while ((waited_ds < START_WAIT_S * 10)); do
    state=$(node_state "$dir")
    [[ $state == idle ]] && return 0
    # A daemon that exited will not bring the node up: no point waiting out the limit.
    if ((waited_ds > 20)) && { ! pid_alive "$dir/run/slurmctld.pid" || ! pid_alive "$dir/run/slurmd.pid"; }; then
      break
    fi
    sleep 0.1
    waited_ds=$((waited_ds + 1))
  done
  echo "slurm_cluster.sh: the node is '${state:-unknown}', not idle, after $((waited_ds / 10)) s" >&2
  stop_daemons "$dir"
  return 1
}

stop_one() {
  local file=$1 pid waited_ds=0
  [[ -s $file ]] || return 0
  pid=$(<"$file")
  kill -TERM "$pid" 2>/dev/null || {
    rm -f "$file"
    return 0
  }
  while kill -0 "$pid" 2>/dev/null && ((waited_ds < STOP_WAIT_S * 10)); do
    sleep 0.1
    waited_ds=$((waited_ds + 1))
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  rm -f "$file"
}

stop_daemons() {
  stop_one "$1/run/slurmd.pid"
  stop_one "$1/run/slurmctld.pid"
}

start() {
  local dir=$1
  # slurmd runs the jobs' tasks as their users and SlurmUser is root: only root can start this.
  [[ $(id -u) == 0 ]] || die "needs root (slurmd starts tasks as their user); configure with -DCOMMTUNE_TEST_SLURM=OFF to skip the Slurm tests"
  for tool in slurmctld slurmd sinfo srun; do
    command -v $tool >/dev/null || die "$tool not found: install Debian's slurm-wlm (scripts/packages.txt)"
  done
  stop_daemons "$dir"  # a cluster left by an interrupted run
  # proctrack/linuxproc and task/none need no cgroups; should slurmd still fail on the cgroup setup
  # (a container without the host's cgroup tree), the pgid tracker is the last thing to try.
  local attempt
  for attempt in "proctrack/linuxproc task/none" "proctrack/pgid task/none"; do
    rm -rf "$dir"/state "$dir"/spool "$dir"/log "$dir"/run
    write_config "$dir" $attempt
    if start_daemons "$dir"; then
      echo "slurm_cluster.sh: one-node cluster up ($attempt); SLURM_CONF=$dir/slurm.conf"
      return 0
    fi
    echo "slurm_cluster.sh: start with $attempt failed" >&2
    log_tails "$dir"
    grep -qi cgroup "$dir"/log/slurmd.log "$dir"/log/slurmd.out 2>/dev/null || break
  done
  die "the one-node cluster in $dir did not come up (logs above and in $dir/log)"
}

[[ $# -eq 2 ]] || die "usage: slurm_cluster.sh start|stop DIR"
mkdir -p "$2" || die "cannot create $2"
DIR=$(cd "$2" && pwd)
case $1 in
  start) start "$DIR" ;;
  stop) stop_daemons "$DIR" ;;
  *) die "usage: slurm_cluster.sh start|stop DIR" ;;
esac
