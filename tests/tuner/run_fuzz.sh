#!/bin/sh
# Builds the sweep-spec fuzzer with clang in its own small build (tests/tuner/fuzz) and runs it
# on a seed corpus of the bundled and the malformed specs. Fails when the fuzzer finds a crash,
# an uncaught exception other than SpecError, or a memory error; exits 77 (ctest's skip code)
# only when clang++ is not installed.
# Usage: run_fuzz.sh SOURCE_DIR WORK_DIR [SECONDS]
set -eu
source_dir=$1
work=$2
seconds=${3:-30}

compiler=$(command -v clang++ || true)
if [ -z "$compiler" ]; then
  echo "run_fuzz.sh: clang++ is not installed: the spec fuzzer is skipped (scripts/packages.txt lists clang)"
  exit 77
fi
launcher=""
if command -v ccache >/dev/null 2>&1; then launcher="-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"; fi

mkdir -p "$work"
cmake -S "$source_dir/tests/tuner/fuzz" -B "$work/build" -DCMAKE_CXX_COMPILER="$compiler" \
  -DCOMMTUNE_SOURCE_DIR="$source_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo $launcher >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log"; exit 1; }
cmake --build "$work/build" -j2 >"$work/build.log" 2>&1 || { tail -50 "$work/build.log"; exit 1; }

# A fresh corpus each run, seeded with every spec we ship or test; the fuzzer adds to it.
rm -rf "$work/corpus" "$work/artifacts"
mkdir -p "$work/corpus" "$work/artifacts"
cp "$source_dir"/configs/sweeps/*.yaml "$source_dir"/tests/tuner/specs/bad/*.yaml "$work/corpus/"

# A slow input is a bug too (the validator bounds its work): -timeout makes it a failure.
"$work/build/fuzz_spec" "$work/corpus" -dict="$source_dir/tests/tuner/fuzz/spec.dict" \
  -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" 2>"$work/fuzz.log" || {
  tail -60 "$work/fuzz.log"
  echo "run_fuzz.sh: the fuzzer found a failing input in $work/artifacts/"
  exit 1
}
grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units)" "$work/fuzz.log" || true
echo "run_fuzz.sh: no failure in ${seconds} s"
