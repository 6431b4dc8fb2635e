#!/usr/bin/env bash
# The README's quick start. On a fresh Debian 12 machine:
#   scripts/quickstart.sh example   installs what is missing, builds, profiles, analyses and reports the bundled example
#   scripts/quickstart.sh test      installs what is missing, builds, runs the whole test suite
# Options after the word: --mpich builds and tests against MPICH instead of Open MPI (build-mpich/).
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-}
shift || true
mpi=openmpi
for arg in "$@"; do
  case $arg in
    --mpich) mpi=mpich ;;
    *) echo "quickstart.sh: unknown option '$arg' (accepted: --mpich)" >&2; exit 2 ;;
  esac
done
case $what in
  example|test) ;;
  *) echo "usage: scripts/quickstart.sh example|test [--mpich]" >&2; exit 2 ;;
esac

scripts/install-packages.sh $([[ $mpi == mpich ]] && echo --mpich)

build=build
[[ $mpi == mpich ]] && build=build-mpich
cmake -S . -B "$build" -DCOMMTUNE_MPI=$mpi -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
if [[ $what == example ]]; then
  # Only what the example needs; `test` builds everything.
  cmake --build "$build" -j"$(nproc)" --target commtune commtune_pmpi commtune_report commtune-example-heat
else
  cmake --build "$build" -j"$(nproc)"
fi

# Open MPI refuses to run as root unless told; fresh containers and CI run as root.
if [[ $(id -u) == 0 ]]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}

if [[ $what == example ]]; then
  launcher=mpirun
  [[ $mpi == mpich ]] && launcher=mpirun.mpich
  "$build"/bin/commtune run -o commtune-example -- "$launcher" -np 2 "$build"/bin/commtune-example-heat 256 300
  # Recommendations (without a results database: the patterns found, and the sweeps that would
  # measure their gains), then the report that shows them.
  "$build"/bin/commtune analyze commtune-example
  "$build"/bin/commtune report commtune-example
else
  ctest --test-dir "$build" --output-on-failure -j2 --timeout 300
fi
