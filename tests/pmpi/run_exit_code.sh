#!/bin/sh
# Runs an MPI program twice, without and with the commtune preload library, and checks that the
# library changes neither its standard output nor its exit status (which must be EXPECTED_STATUS),
# and that the run with the library did write a profile.
#
# usage: run_exit_code.sh OUTPUT_DIR PRELOAD_LIBRARY EXPECTED_STATUS -- LAUNCHER... PROGRAM ARGS...
set -u
if [ $# -lt 5 ] || [ "$4" != "--" ]; then
  echo "usage: $0 OUTPUT_DIR PRELOAD_LIBRARY EXPECTED_STATUS -- LAUNCHER... PROGRAM ARGS..." >&2
  exit 2
fi
output=$1 preload=$2 expected_status=$3
shift 4
if [ ! -f "$preload" ]; then
  echo "run_exit_code: FAILED: the preload library $preload does not exist (did it build?)" >&2
  exit 1
fi
rm -rf "$output" && mkdir -p "$output" || exit 1

"$@" > "$output/stdout.plain" 2> "$output/stderr.plain"
plain=$?
env LD_PRELOAD="$preload" COMMTUNE_OUTPUT="$output/profile" "$@" > "$output/stdout.preload" 2> "$output/stderr.preload"
preloaded=$?

failed=0
echo "run_exit_code: without the library: exit status $plain; with it: $preloaded (expected $expected_status)"
if [ "$plain" -ne "$expected_status" ]; then
  echo "run_exit_code: FAILED: without the library the exit status is $plain, not $expected_status (launcher or program problem)" >&2
  failed=1
fi
if [ "$preloaded" -ne "$plain" ]; then
  echo "run_exit_code: FAILED: the library changed the exit status from $plain to $preloaded" >&2
  failed=1
fi
if ! cmp -s "$output/stdout.plain" "$output/stdout.preload"; then
  echo "run_exit_code: FAILED: the library changed the standard output:" >&2
  diff "$output/stdout.plain" "$output/stdout.preload" >&2
  failed=1
fi
if [ ! -s "$output/stdout.plain" ]; then
  echo "run_exit_code: FAILED: the program printed nothing" >&2
  failed=1
fi
if [ ! -s "$output/profile/profile.json" ]; then
  echo "run_exit_code: FAILED: the run with the library wrote no profile (was the library active?)" >&2
  cat "$output/stderr.preload" >&2
  failed=1
fi
echo "run_exit_code: standard output:"
cat "$output/stdout.plain"
exit $failed
