#!/usr/bin/env bash
# `commtune sweep` on the one-node cluster that slurm_cluster.sh started (SLURM_CONF set by ctest),
# with a spec whose launcher is `srun --mpi=MPI_PLUGIN`. One case per call:
#   slurm_sweep.sh CASE COMMTUNE WORK MPI_PLUGIN
#   srun_in_salloc     `salloc -n 2 commtune sweep SPEC`: exit 0; the database holds both
#                      configurations, measured on 2 ranks; every launch's driver saw a world of
#                      2 ranks (its ready line), so srun started one job, not 2 singletons; every
#                      srun call had --mpi=MPI_PLUGIN and -n 2
#   wrong_plugin       `salloc -n 2 commtune sweep` with srun --mpi=none, which starts 2 one-rank
#                      worlds (MPICH: they run and exit 0; Open MPI: MPI_Init fails): the sweep
#                      fails (exit 1) and records nothing rather than recording them as 2 ranks
#   sbatch             `commtune sweep SPEC --sbatch` outside any allocation: commtune waits for the
#                      job, exits 0, its stdout is the job's output file, the batch script is in the
#                      work directory, and the database, drivers and srun calls pass the checks of
#                      srun_in_salloc
#   sbatch_mpirun      (Open MPI only) --sbatch with `launcher: {kind: mpirun}`: Open MPI's mpirun
#                      in the job's allocation starts the drivers, with the checks of sbatch
#   sbatch_exit_code   `commtune sweep --sbatch` exits with the job's code: 2 when the job's sweep
#                      rejects its spec (spoilt while the job was held), 137 when SIGKILL ended the
#                      batch script
#   sbatch_cancel      SIGINT to `commtune sweep --sbatch` while the job runs cancels the job:
#                      exit 130, the job CANCELLED, no driver of it left running
#   sbatch_refused     a submission sbatch refuses (unknown partition) exits 1 at once and names
#                      sbatch; so does a work directory that cannot be made (nothing submitted); a
#                      malformed spec exits 2 before anything is written or submitted
set -u
case_name=$1 commtune=$2 work=$3 plugin=$4
. "$(dirname "$0")/slurm_common.sh"

# A spy called srun, first in PATH (the batch job inherits PATH): one line of arguments per call.
printf '#!/bin/sh\necho "$*" >> %s/srun-calls\nexec %s "$@"\n' "$work" "$real_srun" >bin/srun
chmod +x bin/srun
export PATH=$work/bin:$PATH

# write_spec FILE MEASURE [LAUNCHER]: two configurations of the batching kernel on 2 ranks, measured
# as the spec's `measure` map MEASURE says, started by LAUNCHER (default: srun with the plugin).
readonly QUICK='{min_iterations: 5, max_iterations: 50, min_time: 10ms, max_time: 1s}'
readonly ENDLESS='{min_iterations: 1000000, max_iterations: 1000000, min_time: 1h, max_time: 1h}'
write_spec() {
  local launcher=${3:-"{kind: srun, args: [--mpi=$plugin]}"}
  cat >"$1" <<EOF
schema: commtune.sweep/1
kernels:
  - kernel: batching
    params:
      variant: [individual, batched]
      message_bytes: 64
      message_count: 64
ranks: [2]
launcher: $launcher
budget: {evaluations: 40}
strategy: {name: grid}
measure: $2
finalists: 1
warmup: 1
EOF
}

# show NAME: the tail of NAME.out and NAME.err.
show() {
  sed 's/^/  stdout: /' "$1.out" | tail -n 15
  sed 's/^/  stderr: /' "$1.err" | tail -n 15
}

# check_sweep DB SWEEP_DIR [LAUNCHER]: both configurations measured on 2 ranks in DB, and every
# driver launch in SWEEP_DIR reporting a world of 2 ranks; unless LAUNCHER is mpirun, every srun
# call with the plugin and -n 2.
check_sweep() {
  python3 - "$commtune" "$1" "$2" <<'EOF' || fail "the database or the drivers' results are wrong (above)"
import json, pathlib, subprocess, sys
commtune, db, sweep_dir = sys.argv[1:4]
bad = []
listing = subprocess.run([commtune, "results", "--db", db, "--format", "json"], capture_output=True, text=True)
points = json.loads(listing.stdout)["points"] if listing.returncode == 0 else []
print(f"  {len(points)} points: " + ", ".join(f"{p['params'].get('variant')}/{p['ranks']}/{p['status']}" for p in points))
variants = sorted(p["params"].get("variant") for p in points)
if variants != ["batched", "individual"]:
    bad.append(f"points of variants {variants}, not batched and individual (results exit {listing.returncode})")
for p in points:
    if p["ranks"] != 2 or p["status"] != "measured" or p["kernel"] != "batching":
        bad.append(f"point {p['point_id']}: kernel {p['kernel']}, ranks {p['ranks']}, status {p['status']}")
    elif not p["statistics"] or p["statistics"]["samples"] < 1:
        bad.append(f"point {p['point_id']} has no samples")
files = sorted(pathlib.Path(sweep_dir).glob("*.results.jsonl"))
launches = 0
for f in files:
    ready = [json.loads(line) for line in f.read_text().splitlines() if '"ready"' in line]
    launches += 1
    # N singletons (the wrong plugin) would each write a ready line of a world of 1.
    if len(ready) != 1 or ready[0]["ranks"] != 2:
        bad.append(f"{f.name}: ready lines {[r.get('ranks') for r in ready]}, not one of 2 ranks")
if launches < 2:
    bad.append(f"{launches} driver results files in {sweep_dir}, not the probe and at least one launch")
print(f"  {launches} driver launches, each saw 2 ranks" if not bad else "")
for b in bad:
    print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
  [ "${3-}" != mpirun ] || return
  [ -s srun-calls ] || { fail "srun was never called"; return; }
  while read -r call; do
    [[ " $call " == *" --mpi=$plugin "* && " $call " == *" -n 2 "* ]] || fail "srun called without --mpi=$plugin -n 2: $call"
  done <srun-calls
  echo "  $(wc -l <srun-calls) srun calls, each with --mpi=$plugin -n 2"
}

job_id() {  # from the "submitted Slurm job N" line of NAME.err
  sed -n 's/.*submitted Slurm job \([0-9]*\).*/\1/p' "$1.err" | head -n 1
}

case $case_name in
  srun_in_salloc)
    write_spec spec.yaml "$QUICK"
    timeout -k 10 120 salloc -n 2 "$commtune" sweep spec.yaml --db results.sqlite --work-dir sweep >run.out 2>run.err
    status=$?
    echo "salloc -n 2 commtune sweep spec.yaml -> exit $status"
    show run
    [ $status -eq 0 ] || fail "exited with $status"
    check_sweep results.sqlite sweep
    ;;
  wrong_plugin)
    plugin=none
    write_spec spec.yaml "$QUICK"
    timeout -k 10 120 salloc -n 2 "$commtune" sweep spec.yaml --db results.sqlite --work-dir sweep >run.out 2>run.err
    status=$?
    echo "salloc -n 2 commtune sweep spec.yaml, srun --mpi=none -> exit $status"
    show run
    [ $status -eq 1 ] || fail "exited with $status, not 1"
    grep -q "the sweep failed: the driver did not start" run.err || fail "the failure is not explained"
    points=$("$commtune" results --db results.sqlite --format csv 2>/dev/null | tail -n +2 | grep -c .)
    [ "$points" -eq 0 ] || fail "$points points recorded from worlds of the wrong size"
    ;;
  sbatch)
    write_spec spec.yaml "$QUICK"
    timeout -k 10 120 "$commtune" sweep spec.yaml --sbatch --db results.sqlite --work-dir sweep >run.out 2>run.err
    status=$?
    echo "commtune sweep spec.yaml --sbatch -> exit $status"
    show run
    [ $status -eq 0 ] || fail "exited with $status"
    id=$(job_id run)
    [ -n "$id" ] || fail "no job id announced"
    [ -x sweep/sweep.sbatch ] || fail "no executable batch script sweep/sweep.sbatch"
    [ -s "sweep/sweep-$id.out" ] || fail "no job output sweep/sweep-$id.out"
    # What the job printed reached our stdout, whole.
    cmp -s "sweep/sweep-$id.out" run.out || fail "stdout is not the job's output file"
    grep -q "Slurm job $id COMPLETED" run.err || fail "the job's end is not reported"
    check_sweep results.sqlite sweep
    ;;
  sbatch_mpirun)
    write_spec spec.yaml "$QUICK" "{kind: mpirun}"
    timeout -k 10 120 "$commtune" sweep spec.yaml --sbatch --db results.sqlite --work-dir sweep >run.out 2>run.err
    status=$?
    echo "commtune sweep spec.yaml --sbatch, launcher mpirun -> exit $status"
    show run
    [ $status -eq 0 ] || fail "exited with $status"
    grep -q "COMPLETED" run.err || fail "the job's end is not reported"
    check_sweep results.sqlite sweep mpirun
    ;;
  sbatch_exit_code)
    # 1. The job's sweep rejects its spec (exit 2): submitted held, the spec is spoilt before the
    #    job is released, so the check before submission passed and the job's own fails.
    write_spec spec.yaml "$QUICK"
    "$commtune" sweep spec.yaml --sbatch --sbatch-arg=--hold --db results.sqlite --work-dir held >held.out 2>held.err &
    pid=$!
    for ((i = 0; i < 300; ++i)); do
      [ -n "$(job_id held)" ] && break
      sleep 0.1
    done
    id=$(job_id held)
    echo "schema: commtune.sweep/1" >spec.yaml
    scontrol release "$id"
    timeout -k 10 100 tail --pid=$pid -f /dev/null
    wait $pid
    status=$?
    echo "held job $id, released with a spoilt spec -> exit $status"
    show held
    [ -n "$id" ] || fail "no job id announced"
    [ $status -eq 2 ] || fail "exited with $status, not the job's 2"
    grep -q "spec.yaml:1:1: budget" held.out || fail "the job's spec error is not shown"
    grep -q "Slurm job $id FAILED (exit code 2, signal 0)" held.err || fail "the job's end is not reported"
    # 2. The batch script killed by SIGKILL: 128 + 9.
    write_spec spec.yaml "$ENDLESS"
    "$commtune" sweep spec.yaml --sbatch --db results.sqlite --work-dir killed >killed.out 2>killed.err &
    pid=$!
    for ((i = 0; i < 300; ++i)); do
      grep -q RUNNING killed.err && [ -s srun-calls ] && break
      sleep 0.1
    done
    id=$(job_id killed)
    scancel --batch --signal=KILL "$id"
    timeout -k 10 100 tail --pid=$pid -f /dev/null
    wait $pid
    status=$?
    echo "job $id, its batch script killed by SIGKILL -> exit $status"
    show killed
    [ $status -eq 137 ] || fail "exited with $status, not 137"
    ;;
  sbatch_cancel)
    write_spec spec.yaml "$ENDLESS"
    "$commtune" sweep spec.yaml --sbatch --db results.sqlite --work-dir sweep >run.out 2>run.err &
    pid=$!
    for ((i = 0; i < 300; ++i)); do
      grep -q RUNNING run.err && [ -s srun-calls ] && break
      sleep 0.1
    done
    sleep 2  # inside a launch
    id=$(job_id run)
    echo "job $id: $(grep -o 'RUNNING.*' run.err); sending SIGINT to commtune"
    kill -INT $pid
    for ((i = 0; i < 600; ++i)); do
      kill -0 $pid 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 $pid 2>/dev/null; then
      fail "still waiting 60 s after SIGINT"
      kill -KILL $pid
    fi
    wait $pid
    status=$?
    echo "commtune sweep --sbatch after SIGINT -> exit $status"
    show run
    [ $status -eq 130 ] || fail "exited with $status, not 130"
    state=$(scontrol show job --oneliner "$id" 2>/dev/null | grep -o 'JobState=[A-Z_]*')
    [ "$state" = JobState=CANCELLED ] || fail "job $id is '$state', not CANCELLED"
    ! pgrep -f "$work/sweep/launch" >/dev/null || fail "a driver of the job is still running: $(pgrep -af "$work/sweep/launch")"
    ;;
  sbatch_refused)
    write_spec spec.yaml "$QUICK"
    timeout -k 10 60 "$commtune" sweep spec.yaml --sbatch --sbatch-arg=--partition=nosuch --work-dir sweep \
      --db results.sqlite >run.out 2>run.err
    status=$?
    echo "--sbatch-arg=--partition=nosuch -> exit $status"
    show run
    [ $status -eq 1 ] || fail "exited with $status, not 1"
    grep -q "sbatch failed" run.err || fail "sbatch's refusal is not reported"
    [ -z "$(squeue -h -n commtune-sweep 2>/dev/null)" ] || fail "a job is queued: $(squeue -h -n commtune-sweep)"
    : >a-file
    timeout -k 10 60 "$commtune" sweep spec.yaml --sbatch --work-dir a-file/sweep --db results.sqlite \
      >nodir.out 2>nodir.err
    status=$?
    echo "a work directory under a regular file -> exit $status"
    show nodir
    [ $status -eq 1 ] || fail "exited with $status, not 1"
    grep -q "a-file/sweep" nodir.err || fail "the work directory is not named"
    [ -z "$(squeue -h -n commtune-sweep 2>/dev/null)" ] || fail "a job is queued: $(squeue -h -n commtune-sweep)"
    printf 'schema: commtune.sweep/1\nkernels: [{kernel: nosuch}]\nbudget: {evaluations: 1}\n' >bad.yaml
    timeout -k 10 60 "$commtune" sweep bad.yaml --sbatch --work-dir bad --db results.sqlite >bad.out 2>bad.err
    status=$?
    echo "a malformed spec with --sbatch -> exit $status"
    show bad
    [ $status -eq 2 ] || fail "exited with $status, not 2"
    grep -q "bad.yaml:2:" bad.err || fail "the spec's error is not located"
    [ ! -e bad ] || fail "the work directory was created for a malformed spec"
    ;;
  *)
    echo "slurm_sweep.sh: unknown case $case_name" >&2
    exit 1
    ;;
esac
[ $failures -eq 0 ] || exit 1
echo "slurm.sweep_$case_name: ok"
