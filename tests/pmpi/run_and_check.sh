#!/bin/sh
# Runs an MPI test program with the commtune preload library and compares the profile it leaves
# with the expected.json the program wrote itself (check_profile.py). Fails on any mismatch.
#
# usage: run_and_check.sh OUTPUT_DIR PRELOAD_LIBRARY PYTHON CHECKER -- LAUNCHER... PROGRAM ARGS...
#   OUTPUT_DIR is emptied first and becomes COMMTUNE_OUTPUT; an argument "{expected}" in the
#   command is replaced by OUTPUT_DIR/expected.json.
set -u
if [ $# -lt 6 ] || [ "$5" != "--" ]; then
  echo "usage: $0 OUTPUT_DIR PRELOAD_LIBRARY PYTHON CHECKER -- LAUNCHER... PROGRAM ARGS..." >&2
  exit 2
fi
output=$1 preload=$2 python=$3 checker=$4
shift 5
expected="$output/expected.json"

if [ ! -f "$preload" ]; then
  echo "run_and_check: FAILED: the preload library $preload does not exist (did it build?)" >&2
  exit 1
fi
rm -rf "$output" && mkdir -p "$output" || exit 1
for arg in "$@"; do
  shift
  if [ "$arg" = "{expected}" ]; then set -- "$@" "$expected"; else set -- "$@" "$arg"; fi
done

echo "run_and_check: LD_PRELOAD=$preload COMMTUNE_OUTPUT=$output $*"
env LD_PRELOAD="$preload" COMMTUNE_OUTPUT="$output" "$@"
status=$?
if [ $status -ne 0 ]; then
  echo "run_and_check: FAILED: the program exited with status $status" >&2
  exit 1
fi
for file in "$output/profile.json" "$expected"; do
  if [ ! -s "$file" ]; then
    echo "run_and_check: FAILED: $file was not written" >&2
    exit 1
  fi
done
exec "$python" "$checker" "$output/profile.json" "$expected"
