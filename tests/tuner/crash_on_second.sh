#!/bin/sh
# Stands in for commtune-sweep-driver in tests/tuner/check_sweep_run.py: runs the real driver
# ($REAL_DRIVER), but in the first launch that measures anything, the rank that wins the mkdir
# kills its driver with SIGKILL once the results file holds the ready line and one result, so
# that the launch dies during its second configuration (each one measures for a second).
# Arguments as the driver's: --plan PLAN --output RESULTS.
plan=$2
out=$4
if grep -q '"kernel"' "$plan" && mkdir "$CRASH_MARKER" 2>/dev/null; then
  "$REAL_DRIVER" "$@" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    lines=$(cat "$out" 2>/dev/null | wc -l)
    if [ "$lines" -ge 2 ]; then
      kill -9 "$pid"
      exit 137
    fi
    sleep 0.02
  done
  wait "$pid"
  exit $?
fi
exec "$REAL_DRIVER" "$@"
