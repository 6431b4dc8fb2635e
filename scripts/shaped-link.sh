#!/bin/sh
# scripts/shaped-link.sh [--rate RATE] -- COMMAND...
#
# Runs COMMAND while the loopback device is shaped by the kernel's token bucket filter to RATE
# (default 1gbit), so that MPI over TCP on this one machine (`--mca btl self,tcp`) behaves like a
# slow network, and removes the shaping when COMMAND ends, however it ends. Shared memory is not
# affected. Needs root and `tc` (Debian's iproute2). Every loopback connection of the machine is
# slowed meanwhile, so run nothing else that matters.
#   sudo scripts/shaped-link.sh -- commtune sweep configs/sweeps/transport_slow_link.yaml
set -eu
rate=1gbit
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate="$2"; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--rate RATE] -- COMMAND..." >&2; exit 2; }
if tc qdisc show dev lo | grep -q tbf; then
  echo "$0: lo is already shaped (tc qdisc show dev lo); remove it with: tc qdisc del dev lo root" >&2
  exit 2
fi
# The bucket holds 96 KiB, just over one packet of lo (MTU 64 KiB; tbf drops a packet larger than
# its bucket): a real link does not bank idle time, and a larger bucket does. With 256 KiB, a
# blocking exchange after 2 ms of computation went 2 ms faster than the link's rate allows, and a
# change that kept the link busy (overlap) looked worth half of what it was.
tc qdisc add dev lo root tbf rate "$rate" burst 96kb latency 100ms
trap 'tc qdisc del dev lo root 2>/dev/null || true' EXIT INT TERM HUP
echo "$0: lo shaped to $rate" >&2
status=0
"$@" || status=$?
exit "$status"
