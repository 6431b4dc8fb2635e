#!/usr/bin/env bash
# slurm_cluster.sh must fail, with the daemon's own words, when slurmd cannot start: a test that
# depends on the cluster then fails with the reason instead of passing without a cluster. A fake
# slurmd first in PATH fails as slurmd does in a container without the host's cgroup tree.
#   start_failure.sh SLURM_CLUSTER_SH WORK
set -u
script=$1 work=$2
rm -rf "$work" && mkdir -p "$work/bin" || exit 1
printf '#!/bin/sh\necho "slurmd: fatal: (fake) cannot set up the cgroup plugin" >&2\nexit 1\n' >"$work/bin/slurmd"
chmod +x "$work/bin/slurmd"
PATH=$work/bin:$PATH bash "$script" start "$work/cluster" >"$work/out" 2>&1
status=$?
cat "$work/out"
failures=0
[ $status -ne 0 ] || { echo "FAIL: slurm_cluster.sh exited 0 without a slurmd" >&2; failures=1; }
grep -q "(fake) cannot set up the cgroup plugin" "$work/out" || { echo "FAIL: the daemon's message is not shown" >&2; failures=1; }
grep -q "proctrack/pgid" "$work/out" || { echo "FAIL: no second attempt after a cgroup failure" >&2; failures=1; }
! pgrep -f "slurmctld -f $work/cluster/" >/dev/null || { echo "FAIL: slurmctld left running" >&2; failures=1; }
exit $failures
