#!/usr/bin/env bash
# Times every topology variant for a few halo sizes and node groupings, variants interleaved,
# ROUNDS launches each; prints the median over launches of each launch's median exchange time.
# Usage: sweep.sh BUILD_DIR [ROUNDS] [mpirun options ... --]
set -euo pipefail
build=${1:?usage: sweep.sh BUILD_DIR [ROUNDS] [mpirun options ... --]}
rounds=${2:-3}
shift $(( $# >= 2 ? 2 : 1 ))
launcher=()
if [[ " $* " == *" -- "* ]]; then
  while [[ $1 != -- ]]; do launcher+=("$1"); shift; done
  shift
fi
runner="$build/bin/commtune-kernel-run"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
configs=("2 0" "4 0" "4 2")  # ranks, ranks_per_node (0 = real shared-memory nodes)
for round in $(seq 1 "$rounds"); do
  for config in "${configs[@]}"; do
    read -r ranks rpn <<< "$config"
    for halo in 8 1K 64K; do
      for variant in naive cartesian dist_graph neighborhood hierarchical; do
        mpirun -np "$ranks" --oversubscribe "${launcher[@]}" "$runner" topology --param variant=$variant \
          --param halo_bytes=$halo --param ranks_per_node=$rpn --iterations 1000 --warmup 100 \
          > "$out/$ranks-$rpn-$halo-$variant-$round.json"
      done
    done
  done
done
python3 - "$out" <<'PY'
import glob, json, os, statistics, sys
rows = {}
for path in glob.glob(os.path.join(sys.argv[1], "*.json")):
    ranks, rpn, halo, variant, _ = os.path.basename(path)[:-5].split("-")
    rows.setdefault((int(ranks), int(rpn), halo, variant), []).append(json.load(open(path)))
order = ["naive", "cartesian", "dist_graph", "neighborhood", "hierarchical"]
halos = ["8", "1K", "64K"]
print(f"{'ranks':<6}{'rpn':<5}{'halo':<6}{'variant':<14}{'median us':>10}{'vs naive':>10}{'inter-node msgs':>17}  reordered / checksum")
for key in sorted(rows, key=lambda k: (k[0], k[1], halos.index(k[2]), order.index(k[3]))):
    runs = rows[key]
    t = statistics.median(r["metrics"]["median_exchange_us"] for r in runs)
    base = statistics.median(r["metrics"]["median_exchange_us"] for r in rows[key[:3] + ("naive",)])
    m = runs[0]["metrics"]
    print(f"{key[0]:<6}{key[1]:<5}{key[2]:<6}{key[3]:<14}{t:>10.2f}{(t / base - 1) * 100:>+9.0f}%"
          f"{m['inter_node_messages_per_exchange']:>17.0f}  {m['reordered_ranks']:.0f} / {runs[0]['checksum']}")
PY
