# Sourced by slurm_check.sh and slurm_sweep.sh after they set case_name and work: counts failures
# (fail MESSAGE), checks that ctest pointed SLURM_CONF at the test cluster, finds the real srun
# (real_srun, for the spies the scripts put first in PATH) and starts from an empty $work/bin.
failures=0
fail() {
  echo "FAIL ($case_name): $*" >&2
  failures=$((failures + 1))
}
[ -n "${SLURM_CONF-}" ] && [ -s "$SLURM_CONF" ] || { echo "slurm: SLURM_CONF is not set to a cluster's slurm.conf" >&2; exit 1; }
real_srun=$(command -v srun) || { echo "slurm: no srun in PATH" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work/bin" && cd "$work" || exit 1
