#!/usr/bin/env bash
# `commtune run -- srun ...` on the one-node cluster that slurm_cluster.sh started (SLURM_CONF set
# by ctest). One case per call:
#   slurm_check.sh CASE COMMTUNE LIBRARY PROBE WORK MPI_PLUGIN MPIEXEC
#   ranks2, ranks4   every rank sees the job's size and its own rank (so srun started one MPI job,
#                    not N singletons), and LD_PRELOAD naming the library; srun itself did not get
#                    LD_PRELOAD, which reaches the ranks through --export=ALL,LD_PRELOAD=...;
#                    profile.json counts the ranks
#   exit_code        rank 0 exiting 3 makes `commtune run` exit 3, and the profile is still written,
#                    with the whole command although it has a comma (not expressible in --export)
#   salloc_mpirun    `salloc -n 2 commtune run -- MPIEXEC probe env`: the MPI's own launcher inside
#                    an allocation starts 2 ranks that see size 2 and the library
# MPI_PLUGIN: srun's --mpi value for the MPI the probe is built with (pmix: Open MPI, pmi2: MPICH).
set -u
case_name=$1 commtune=$2 library=$3 probe=$4 work=$5 plugin=$6 mpiexec=$7
. "$(dirname "$0")/slurm_common.sh"

# A spy called srun, first in PATH: records its arguments and its own LD_PRELOAD, then runs the real one.
printf '#!/bin/sh\nprintf "%%s\\n" "$@" > %s/srun-args\nprintf "%%s" "${LD_PRELOAD-}" > %s/srun-preload\nexec %s "$@"\n' \
  "$work" "$work" "$real_srun" >bin/srun
chmod +x bin/srun
export PATH=$work/bin:$PATH

# run NAME ARGS...: `commtune run ARGS...` with stdout in NAME.out, stderr in NAME.err; sets $status.
run_commtune() {
  local name=$1
  shift
  timeout -k 10 120 "$commtune" "$@" >"$name.out" 2>"$name.err"
  status=$?
  echo "commtune $* -> exit $status"
  sed 's/^/  stderr: /' "$name.err" | tail -n 20
}

profile_ranks() {  # DIR: the "ranks" of DIR/profile.json, or nothing
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ranks"])' "$1/profile.json" 2>/dev/null
}

# check_ranks N: N lines in env.out, one from each rank, each seeing size N and the library first
# in LD_PRELOAD; profile.json in out/ counts N ranks.
check_ranks() {
  local ranks=$1 rank line preload
  sed 's/^/  stdout: /' env.out
  for ((rank = 0; rank < ranks; ++rank)); do
    line=$(grep "^rank=$rank/" env.out)
    [ "$(echo "$line" | grep -c .)" -eq 1 ] || { fail "rank $rank printed $(echo "$line" | grep -c .) lines, not 1"; continue; }
    [[ $line == "rank=$rank/$ranks "* ]] || fail "rank $rank saw a world of another size: $line"
    preload=${line#* LD_PRELOAD=}
    preload=${preload%% COMMTUNE_OUTPUT=*}
    [ "$(realpath -m "${preload%%:*}")" = "$(realpath "$library")" ] || fail "rank $rank: LD_PRELOAD is '$preload'"
  done
  [ "$(grep -c '^rank=' env.out)" -eq "$ranks" ] || fail "$(grep -c '^rank=' env.out) lines from ranks, not $ranks"
  [ "$(profile_ranks out)" = "$ranks" ] || fail "profile.json says ranks=$(profile_ranks out), not $ranks"
}

check_srun() {
  local ranks=$1
  run_commtune env run -o out -- srun --mpi="$plugin" -n "$ranks" "$probe" env
  [ $status -eq 0 ] || fail "exited with $status"
  check_ranks "$ranks"
  [ -z "$(cat srun-preload 2>/dev/null)" ] || fail "srun itself got LD_PRELOAD=$(cat srun-preload)"
  grep -q "^--export=ALL,LD_PRELOAD=$library" srun-args || fail "srun was not given --export=ALL,LD_PRELOAD=$library"
  echo "srun arguments: $(tr '\n' ' ' <srun-args)"
}

case $case_name in
  ranks2) check_srun 2 ;;
  ranks4) check_srun 4 ;;
  salloc_mpirun)
    timeout -k 10 120 salloc -n 2 "$commtune" run -o out -- "$mpiexec" "$probe" env >env.out 2>env.err
    status=$?
    echo "salloc -n 2 commtune run -o out -- $mpiexec $probe env -> exit $status"
    sed 's/^/  stderr: /' env.err | tail -n 20
    [ $status -eq 0 ] || fail "exited with $status"
    check_ranks 2
    ;;
  exit_code)
    # The extra word "a,b" (which the probe ignores) puts a comma into COMMTUNE_COMMAND, which srun's
    # --export cannot carry: it must reach the ranks through srun's environment, whole.
    run_commtune exit run -o out -- srun --mpi="$plugin" -n 2 "$probe" exit 3 a,b
    [ $status -eq 3 ] || fail "exited with $status, not the ranks' 3"
    [ "$(profile_ranks out)" = 2 ] || fail "profile.json says ranks=$(profile_ranks out), not 2"
    command=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["command"])' out/profile.json 2>/dev/null)
    [[ $command == *" exit 3 a,b" ]] || fail "profile.json's command is '$command', not the whole command"
    ;;
  *)
    echo "slurm_check.sh: unknown case $case_name" >&2
    exit 1
    ;;
esac
[ $failures -eq 0 ] || exit 1
echo "slurm.$case_name: ok"
