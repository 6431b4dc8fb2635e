#!/usr/bin/env bash
# Measures the load_balance quality goal (dynamic balancing within 1.10x of the ideal makespan on
# the linear-ramp case) and the utilisation gain over the static baseline, for 2 ranks x 1 and
# 2 ranks x 2 threads. Variants run interleaved, ROUNDS launches each; prints the median over
# launches of each launch's median. Usage: quality_goal.sh BUILD_DIR [ROUNDS] [extra --param ...]
set -euo pipefail
build=${1:?usage: quality_goal.sh BUILD_DIR [ROUNDS] [--param k=v ...]}
rounds=${2:-3}
shift $(( $# >= 2 ? 2 : 1 ))
runner="$build/bin/commtune-kernel-run"
# Open MPI binds each of 2 ranks to one core by default, which would put a rank's pool threads on
# one core; let them float (override with LAUNCH_FLAGS).
read -r -a launch_flags <<< "${LAUNCH_FLAGS---bind-to none}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for round in $(seq 1 "$rounds"); do
  for threads in 1 2; do
    for variant in static master_worker work_stealing; do
      mpirun -np 2 "${launch_flags[@]}" "$runner" load_balance --param variant=$variant --param threads=$threads "$@" \
        --iterations 20 --warmup 3 > "$out/$threads-$variant-$round.json"
    done
  done
done
python3 - "$out" <<'PY'
import glob, json, os, statistics, sys
rows = {}
for path in glob.glob(os.path.join(sys.argv[1], "*.json")):
    threads, variant, _ = os.path.basename(path)[:-5].split("-")
    d = json.load(open(path))
    rows.setdefault((int(threads), variant), []).append(d)
print(f"{'ranks x threads':<16}{'variant':<15}{'makespan ms':>12}{'ideal ms':>10}{'ratio':>8}{'cpu ideal ms':>13}{'ratio':>7}{'LB eff':>8}{'util':>7}  checksum")
for (threads, variant) in sorted(rows, key=lambda k: (k[0], ["static", "master_worker", "work_stealing"].index(k[1]))):
    runs = rows[(threads, variant)]
    med = lambda key: statistics.median(r["metrics"][key] for r in runs)
    sums = {r["checksum"] for r in runs}
    print(f"{'2 x ' + str(threads):<16}{variant:<15}{med('makespan_s')*1e3:>12.2f}{med('ideal_makespan_s')*1e3:>10.2f}"
          f"{med('makespan_over_ideal'):>8.3f}{med('ideal_makespan_cpu_s')*1e3:>13.2f}{med('makespan_over_ideal_cpu'):>7.3f}"
          f"{med('load_balance_efficiency'):>8.3f}{med('utilisation'):>7.3f}  {','.join(sums)}")
PY
