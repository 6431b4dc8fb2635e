#!/bin/bash
# The `commtune` command line, one case per ctest test.
#
# usage: cli_check.sh CASE COMMTUNE PRELOAD_LIBRARY PROBE WORK_DIR MPI_FLAVOUR -- LAUNCHER...
#   PRELOAD_LIBRARY  the build's libcommtune_pmpi.so (what `commtune preload` must find)
#   PROBE            the cli_probe MPI program (cli_probe.c)
#   LAUNCHER...      the MPI launcher with its rank-count options, e.g. mpiexec -n 2 --oversubscribe
set -u
if [ $# -lt 7 ] || [ "$7" != "--" ]; then
  echo "usage: $0 CASE COMMTUNE PRELOAD_LIBRARY PROBE WORK_DIR MPI_FLAVOUR -- LAUNCHER..." >&2
  exit 2
fi
case_name=$1 commtune=$2 library=$3 probe=$4 work=$5 flavour=$6
shift 7
launcher=("$@")
failed=0
fail() { echo "cli: FAILED: $*" >&2; failed=1; }

rm -rf "$work" && mkdir -p "$work" && cd "$work" || { echo "cli: cannot create $work" >&2; exit 1; }
# Nothing from the caller's environment may steer commtune here.
unset COMMTUNE_PRELOAD COMMTUNE_OUTPUT COMMTUNE_MODE COMMTUNE_CLOCK COMMTUNE_QUIET COMMTUNE_COMMAND COMMTUNE_REPORT LD_PRELOAD

# run_commtune NAME ARGS...: runs commtune with ARGS, keeps stdout/stderr in NAME.out/NAME.err and
# the exit status in $status.
run_commtune() {
  local name=$1
  shift
  echo "+ commtune $*"
  "$commtune" "$@" > "$name.out" 2> "$name.err"
  status=$?
  echo "  exit status $status"
  sed 's/^/  stdout: /' "$name.out" | head -40
  sed 's/^/  stderr: /' "$name.err" | head -40
}

# The subcommands that `commtune --help` lists.
subcommands() {
  "$commtune" --help | awk '
    tolower($0) ~ /^subcommands:/ { in_list = 1; next }
    in_list && /^[^ ]/ { in_list = 0 }
    in_list && /^  [a-z][a-z0-9_-]*( |$)/ { print $1 }'
}

check_profile() {  # DIR: DIR/profile.json exists and is JSON
  local dir=$1
  if [ ! -s "$dir/profile.json" ]; then
    fail "no profile.json in $dir"
    ls -la "$dir" >&2 2>/dev/null
    return
  fi
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$dir/profile.json" ||
    fail "$dir/profile.json is not valid JSON"
}

# write_dump FILE RANK REASON: a rank dump (schema commtune.rank/1) as a rank of a 2-rank run
# writes it when it ends without MPI_Finalize: rank 0 sent 10 messages of 8 bytes to rank 1, which
# received them. Its one call-site frame points into the probe's main().
write_dump() {
  local file=$1 rank=$2 reason=$3 main_address offset site matrix
  main_address=$(nm "$probe" 2>/dev/null | awk '$3 == "main" { print $1; exit }')
  offset=$((16#${main_address:-0} + 16))
  if [ "$rank" -eq 0 ]; then
    site='{"function": "MPI_Send", "region": 0, "frames": [[0, '$offset']],
   "calls": 10, "ticks": 5000000, "min_ticks": 100000, "max_ticks": 2000000,
   "bytes_sent": 80, "bytes_received": 0, "sent_sizes": [[4, 10]], "received_sizes": [],
   "wait_kind": "late_receiver", "wait_calls": 10, "wait_ticks": 5000000, "wait_bytes": 80,
   "comm_size": 0, "requests": 0, "request_life_ticks": 0, "request_inside_ticks": 0}'
    matrix='[[1, 10, 80]]'
  else
    site='{"function": "MPI_Recv", "region": 0, "frames": [[0, '$offset']],
   "calls": 10, "ticks": 3000000, "min_ticks": 50000, "max_ticks": 1000000,
   "bytes_sent": 0, "bytes_received": 80, "sent_sizes": [], "received_sizes": [[4, 10]],
   "wait_kind": "late_sender", "wait_calls": 4, "wait_ticks": 2000000, "wait_bytes": 32,
   "comm_size": 0, "requests": 0, "request_life_ticks": 0, "request_inside_ticks": 0}'
    matrix='[]'
  fi
  mkdir -p "$(dirname "$file")"
  cat > "$file" <<EOF
{"schema": "commtune.rank/1", "reason": "$reason",
 "rank": $rank, "size": 2, "pid": $((4000 + rank)), "host": "testnode",
 "program": "cli_probe", "command": "mpirun -np 2 ./cli_probe", "mpi_library": "hand-written test dump",
 "clock": "clock_gettime", "ticks_per_second": 1000000000,
 "start_unix_ns": 1700000000000000000, "wall_ns": 3000000000, "init_ns": 100000000,
 "threads": 1, "untracked_requests": 0, "callsite_depth": 1,
 "regions": [""],
 "modules": [{"id": 0, "path": "$probe"}],
 "size_floor_ticks": [[4, 20000]],
 "sites": [
  {"function": "MPI_Init", "region": 0, "frames": [],
   "calls": 1, "ticks": 100000000, "min_ticks": 100000000, "max_ticks": 100000000,
   "bytes_sent": 0, "bytes_received": 0, "sent_sizes": [], "received_sizes": [],
   "wait_kind": "none", "wait_calls": 0, "wait_ticks": 0, "wait_bytes": 0,
   "comm_size": 0, "requests": 0, "request_life_ticks": 0, "request_inside_ticks": 0},
  $site
 ],
 "matrix": $matrix}
EOF
}

# profile_field DIR EXPRESSION: prints EXPRESSION evaluated on DIR/profile.json as `p` (Python).
profile_field() {
  python3 -c 'import json,sys; p = json.load(open(sys.argv[1] + "/profile.json")); print(eval(sys.argv[2]))' "$1" "$2"
}

check_partial_profile() {  # DIR RANKS: a partial profile.json of RANKS ranks, and summary.txt
  local dir=$1 ranks=$2
  check_profile "$dir"
  [ -s "$dir/profile.json" ] || return
  [ "$(profile_field "$dir" 'p.get("complete")')" = "False" ] ||
    fail "$dir/profile.json: complete is '$(profile_field "$dir" 'p.get("complete")')', not false"
  [ "$(profile_field "$dir" 'p.get("ranks_reported")')" = "$ranks" ] ||
    fail "$dir/profile.json: ranks_reported is '$(profile_field "$dir" 'p.get("ranks_reported")')', not $ranks"
  [ -n "$(profile_field "$dir" 'p.get("partial_reason", "")')" ] || fail "$dir/profile.json: no partial_reason"
  [ -s "$dir/summary.txt" ] || fail "no summary.txt in $dir"
}

# elapsed_since START: whole seconds since START (date +%s.%N).
elapsed_since() {
  python3 -c 'import sys, time; print(int(time.time() - float(sys.argv[1])))' "$1"
}

case "$case_name" in
help)
  run_commtune help --help
  [ $status -eq 0 ] || fail "'commtune --help' exited with $status"
  grep -q '^Usage:' help.out || fail "'commtune --help' prints no Usage line"
  names=$(subcommands)
  echo "subcommands: $(echo $names)"
  for expected in run preload report; do
    echo "$names" | grep -qx "$expected" || fail "'commtune --help' does not list the subcommand $expected"
  done
  run_commtune none
  [ $status -ne 0 ] || fail "'commtune' without a subcommand exited with 0"
  ;;
version)
  run_commtune version --version
  [ $status -eq 0 ] || fail "'commtune --version' exited with $status"
  grep -qxE "commtune [0-9]+\.[0-9]+\.[0-9]+ \(built against $flavour\)" version.out ||
    fail "'commtune --version' does not print 'commtune X.Y.Z (built against $flavour)'"
  ;;
subcommand_help)
  names=$(subcommands)
  [ "$(echo "$names" | grep -c .)" -ge 2 ] || fail "'commtune --help' lists fewer than 2 subcommands: '$names'"
  for name in $names; do
    run_commtune "help-$name" "$name" --help
    [ $status -eq 0 ] || fail "'commtune $name --help' exited with $status"
    grep -qE "^Usage: .*$name" "help-$name.out" || fail "'commtune $name --help' prints no 'Usage: ... $name' line"
  done
  ;;
preload)
  run_commtune preload preload
  [ $status -eq 0 ] || fail "'commtune preload' exited with $status"
  path=$(cat preload.out)
  [ "$(echo "$path" | grep -c .)" -eq 1 ] || fail "'commtune preload' printed $(echo "$path" | grep -c .) lines, not 1"
  case "$path" in
    /*/libcommtune_pmpi.so) ;;
    *) fail "'commtune preload' printed '$path', not an absolute path ending in /libcommtune_pmpi.so" ;;
  esac
  [ -f "$path" ] || fail "'commtune preload' printed '$path', which does not exist"
  [ "$(realpath "$path")" = "$(realpath "$library")" ] ||
    fail "'commtune preload' printed '$path', not this build's $library"
  ;;
run_no_command)
  run_commtune no-command run
  [ $status -ne 0 ] || fail "'commtune run' with no command exited with 0"
  grep -qi 'usage' no-command.err || fail "'commtune run' with no command prints no usage message on stderr"
  run_commtune separator-only run --
  [ $status -ne 0 ] || fail "'commtune run --' with no command exited with 0"
  grep -qi 'usage' separator-only.err || fail "'commtune run --' prints no usage message on stderr"
  left=$(ls -A | grep -vE '^(no-command|separator-only)\.')
  [ -z "$left" ] || fail "'commtune run' with no command created $left"
  ;;
run_unknown_option)
  run_commtune bogus run --bogus -- true
  [ $status -ne 0 ] || fail "'commtune run --bogus -- true' exited with 0"
  grep -q -- '--bogus' bogus.err || fail "the message of 'commtune run --bogus -- true' does not name --bogus"
  # An unknown option is a usage error, not the command to run.
  grep -q 'cannot run' bogus.err && fail "'commtune run --bogus -- true' tried to run --bogus as the command"
  [ -z "$(ls -A | grep -v '^bogus\.')" ] || fail "'commtune run --bogus -- true' created $(ls -A | grep -v '^bogus\.')"
  ;;
run_bad_clock)
  run_commtune clock run --clock fast -- true
  [ $status -ne 0 ] || fail "'commtune run --clock fast -- true' exited with 0"
  for value in auto tsc monotonic; do
    grep -qw "$value" clock.err || fail "the message of 'commtune run --clock fast' does not name the accepted value $value"
  done
  [ -z "$(ls -A | grep -v '^clock\.')" ] || fail "'commtune run --clock fast' created $(ls -A | grep -v '^clock\.')"
  ;;
run_exit_code)
  run_commtune exit3 run -o out -- "${launcher[@]}" "$probe" exit 3
  [ $status -eq 3 ] || fail "'commtune run -o out -- ... cli_probe exit 3' exited with $status, not 3"
  check_profile out
  ;;
run_without_separator)
  run_commtune no-separator run -o out "${launcher[@]}" "$probe" exit 3
  [ $status -eq 3 ] || fail "'commtune run -o out <launcher> ... cli_probe exit 3' exited with $status, not 3"
  check_profile out
  ;;
run_default_output)
  before=$(date +%s)
  run_commtune default run -- "${launcher[@]}" "$probe" exit 0
  after=$(date +%s)
  [ $status -eq 0 ] || fail "'commtune run -- ... cli_probe exit 0' exited with $status"
  created=$(ls -A)
  dirs=$(echo "$created" | grep -E '^commtune-cli_probe-[0-9]{8}-[0-9]{6}$')
  if [ "$(echo "$dirs" | grep -c .)" -ne 1 ]; then
    fail "expected one directory commtune-cli_probe-YYYYmmdd-HHMMSS in the working directory; found: $(echo $created)"
  else
    stamp=${dirs#commtune-cli_probe-}
    when=$(date -d "${stamp:0:8} ${stamp:9:2}:${stamp:11:2}:${stamp:13:2}" +%s 2>/dev/null) ||
      fail "$dirs: '$stamp' is not a date and time"
    if [ -n "${when-}" ] && { [ "$when" -lt $((before - 1)) ] || [ "$when" -gt $((after + 1)) ]; }; then
      fail "$dirs: the time $stamp is not the time of the run ($(date -d @$before +%Y%m%d-%H%M%S) .. $(date -d @$after +%Y%m%d-%H%M%S))"
    fi
    check_profile "$dirs"
  fi
  ;;
run_rank_environment)
  # Every rank receives LD_PRELOAD (the library first) and COMMTUNE_OUTPUT (absolute).
  run_commtune env run -o out -- "${launcher[@]}" "$probe" env
  [ $status -eq 0 ] || fail "'commtune run -o out -- ... cli_probe env' exited with $status"
  expected_output=$(realpath -m out)
  ranks=$(grep -c '^rank=' env.out)
  size=$(sed -n 's/^rank=[0-9]*\/\([0-9]*\) .*/\1/p' env.out | head -1)
  [ -n "$size" ] && [ "$ranks" -eq "$size" ] || fail "$ranks ranks reported, of ${size:-?}"
  while read -r rank preload output; do
    preload=${preload#LD_PRELOAD=} output=${output#COMMTUNE_OUTPUT=}
    first=${preload%%:*}
    [ "$(realpath -m "$first")" = "$(realpath "$library")" ] ||
      fail "$rank: LD_PRELOAD is '$preload', which does not start with $library"
    [ "$output" = "$expected_output" ] || fail "$rank: COMMTUNE_OUTPUT is '$output', not $expected_output"
  done < <(grep '^rank=' env.out)
  check_profile out
  ;;
run_openmpi_exports)
  # With Open MPI's mpirun commtune passes every variable the ranks need as -x NAME=value (mpirun
  # passes only those to ranks on other nodes), so that mpirun itself has none of them: it does not
  # load the library. A spy launcher, recognised as Open MPI's by its name, records its arguments
  # and its own LD_PRELOAD and starts the real one.
  real_launcher=$(command -v "${launcher[0]}") || { echo "cli: no launcher ${launcher[0]}" >&2; exit 1; }
  spy=$work/spy-openmpi-mpirun
  printf '#!/bin/sh\nprintf "%%s\\n" "$@" > %s/launcher-args\nprintf "%%s" "${LD_PRELOAD-}" > %s/launcher-preload\nexec %s "$@"\n' \
    "$work" "$work" "$real_launcher" > "$spy"
  chmod +x "$spy"
  COMMTUNE_MODE=profile run_commtune spy run -o out --clock monotonic -- "$spy" "${launcher[@]:1}" "$probe" env
  [ $status -eq 0 ] || fail "the run through the spy launcher exited with $status"
  args=$(cat launcher-args 2>/dev/null)
  echo "launcher arguments: $(echo $args)"
  echo "$args" | grep -A1 -x -- '-x' | grep -qx "LD_PRELOAD=$library" || fail "mpirun was not given '-x LD_PRELOAD=$library'"
  [ -z "$(cat launcher-preload)" ] || fail "mpirun itself got LD_PRELOAD=$(cat launcher-preload)"
  for name in COMMTUNE_OUTPUT COMMTUNE_CLOCK COMMTUNE_MODE COMMTUNE_COMMAND COMMTUNE_REPORT; do
    echo "$args" | grep -A1 -x -- '-x' | grep -q "^$name=" || fail "mpirun was not given '-x $name=...'"
  done
  # The -x options go before the program, where mpirun reads its own options.
  program_line=$(echo "$args" | grep -nxF "$probe" | head -1 | cut -d: -f1)
  last_x=$(echo "$args" | grep -nx -- '-x' | tail -1 | cut -d: -f1)
  [ -n "$program_line" ] && [ -n "$last_x" ] && [ "$last_x" -lt "$program_line" ] ||
    fail "the -x options do not all come before the program"
  grep -q 'LD_PRELOAD=.*libcommtune_pmpi.so' spy.out || fail "the ranks did not receive LD_PRELOAD"
  check_profile out
  ;;
run_openmpi_remote_ranks)
  # Ranks on another node get only what mpirun is told to pass with -x. A fake rsh agent starts
  # Open MPI's daemon for the (unresolvable, hence remote) node "commtune-test-remote" with an
  # empty environment, as ssh would: the ranks then see LD_PRELOAD and COMMTUNE_OUTPUT only if
  # commtune passed them with -x.
  printf '#!/bin/sh\nshift\nexec env -i PATH=/usr/bin:/bin HOME="$HOME" /bin/sh -c "$*"\n' > fake-rsh
  chmod +x fake-rsh
  run_commtune remote run -o out -- "${launcher[0]}" --mca plm_rsh_agent "$work/fake-rsh" \
    -H commtune-test-remote:2 -np 2 "$probe" env
  [ $status -eq 0 ] || fail "the run on the fake remote node exited with $status"
  expected_output=$(realpath -m out)
  [ "$(grep -c '^rank=' remote.out)" -eq 2 ] || fail "not both ranks reported"
  while read -r rank preload output; do
    preload=${preload#LD_PRELOAD=} output=${output#COMMTUNE_OUTPUT=}
    [ "$(realpath -m "${preload%%:*}")" = "$(realpath "$library")" ] ||
      fail "remote $rank: LD_PRELOAD is '$preload', not $library (not passed with -x?)"
    [ "$output" = "$expected_output" ] ||
      fail "remote $rank: COMMTUNE_OUTPUT is '$output', not $expected_output (not passed with -x?)"
  done < <(grep '^rank=' remote.out)
  check_profile out
  ;;
run_bad_timeout)
  # A bad --timeout is a usage error (exit 2) named in the message, before anything runs.
  for value in 0 -5 abc 5x 1.5 10ms 5mm 1d '' ' 5'; do
    run_commtune bad-timeout run --timeout "$value" -- true
    [ $status -eq 2 ] || fail "'commtune run --timeout \"$value\" -- true' exited with $status, not 2"
    grep -q -- '--timeout' bad-timeout.err || fail "the message of '--timeout \"$value\"' does not name --timeout"
    grep -q '5m' bad-timeout.err || fail "the message of '--timeout \"$value\"' does not show the accepted forms"
  done
  [ -z "$(ls -A | grep -v '^bad-timeout\.')" ] || fail "a bad --timeout created $(ls -A | grep -v '^bad-timeout\.')"
  for value in 90 90s 5m 1h; do
    run_commtune good-timeout run --timeout "$value" -o "out-$value" -- true
    [ $status -eq 0 ] || fail "'commtune run --timeout $value -- true' exited with $status, not 0"
    grep -q 'timeout after' good-timeout.err && fail "'commtune run --timeout $value -- true' timed out"
  done
  ;;
run_timeout)
  start=$(date +%s.%N)
  run_commtune timeout run --timeout 2 -o out -- sleep 30
  elapsed=$(elapsed_since "$start")
  echo "  elapsed: ${elapsed} s"
  [ $status -eq 124 ] || fail "'commtune run --timeout 2 -- sleep 30' exited with $status, not 124"
  [ "$elapsed" -ge 2 ] && [ "$elapsed" -le 15 ] || fail "'commtune run --timeout 2 -- sleep 30' took $elapsed s"
  grep -qx 'commtune: timeout after 2s: stopping sleep' timeout.err ||
    fail "no line 'commtune: timeout after 2s: stopping sleep' on stderr"
  grep -q 'SIGKILL' timeout.err && fail "sleep needed SIGKILL, though SIGTERM ends it"
  [ -e out/profile.json ] && fail "a profile.json appeared without MPI"
  ;;
run_timeout_kill)
  # A program that ignores SIGTERM gets SIGKILL 10 s later; the exit code is still 124.
  start=$(date +%s.%N)
  run_commtune kill run --timeout 1 -o out -- bash -c 'trap "" TERM; exec sleep 60'
  elapsed=$(elapsed_since "$start")
  echo "  elapsed: ${elapsed} s"
  [ $status -eq 124 ] || fail "the program ignoring SIGTERM: exit status $status, not 124"
  [ "$elapsed" -ge 10 ] && [ "$elapsed" -le 25 ] || fail "the program ignoring SIGTERM was stopped after $elapsed s"
  grep -q 'SIGKILL' kill.err || fail "no message about SIGKILL"
  ;;
run_partial_merge)
  # Ranks that end without MPI_Finalize leave dumps in DIR/ranks; `commtune run` merges them into a
  # partial profile. A fake program stands for the ranks. A dump an earlier run left in the same
  # directory must not be merged.
  write_dump dumps/rank-00000.json 0 SIGSEGV
  write_dump dumps/rank-00001.json 1 SIGTERM
  write_dump out/ranks/rank-00005.json 0 abort
  printf '#!/bin/sh\nmkdir -p "$COMMTUNE_OUTPUT/ranks" && cp %s/dumps/*.json "$COMMTUNE_OUTPUT/ranks/"\nexit 3\n' \
    "$work" > fake-ranks
  chmod +x fake-ranks
  run_commtune partial run -o out -- "$work/fake-ranks"
  [ $status -eq 3 ] || fail "'commtune run' of a program whose ranks crashed exited with $status, not 3"
  [ -e out/ranks/rank-00005.json ] && fail "the dump left by an earlier run was not removed"
  check_partial_profile out 2
  grep -qE "^commtune: partial profile \(.+\): $(realpath out)/profile.json\$" partial.err ||
    fail "no line 'commtune: partial profile (<reason>): $(realpath out)/profile.json' on stderr"
  [ "$(grep -c '^commtune: ' partial.err)" -eq 1 ] || fail "more than one 'commtune:' line on stderr"
  # A run that leaves no dumps merges nothing and does not take the earlier profile for its own.
  run_commtune again run -o out -- true
  grep -q 'partial profile' again.err && fail "a run that left no dumps reported a partial profile"
  grep -q 'profile written' again.err && fail "a run that wrote nothing reported the earlier profile as its own"
  ;;
run_timeout_partial)
  # The ranks' library writes its dumps on SIGTERM; after a timeout they become a partial profile.
  write_dump dumps/rank-00000.json 0 SIGTERM
  write_dump dumps/rank-00001.json 1 SIGTERM
  cat > fake-ranks <<EOF
#!/bin/bash
trap 'mkdir -p "\$COMMTUNE_OUTPUT/ranks" && cp $work/dumps/*.json "\$COMMTUNE_OUTPUT/ranks/"; kill \$child; exit 143' TERM
sleep 30 & child=\$!
wait
EOF
  chmod +x fake-ranks
  run_commtune timeout-partial run --timeout 1 -o out -- "$work/fake-ranks"
  [ $status -eq 124 ] || fail "exit status $status after the timeout, not 124"
  check_partial_profile out 2
  grep -q '^commtune: partial profile (' timeout-partial.err || fail "no 'commtune: partial profile' line on stderr"
  ;;
report_no_dumps)
  mkdir empty
  run_commtune empty report empty
  [ $status -eq 2 ] || fail "'commtune report' on an empty directory exited with $status, not 2"
  grep -q 'rank dumps' empty.err || fail "the message of 'commtune report' on an empty directory does not say why"
  grep -q "$(realpath empty)" empty.err || fail "the message of 'commtune report' does not name the directory"
  run_commtune missing report does-not-exist
  [ $status -eq 2 ] || fail "'commtune report' on a missing directory exited with $status, not 2"
  [ -z "$(ls -A empty)" ] || fail "'commtune report' wrote into the empty directory: $(ls -A empty)"
  ;;
report_partial)
  write_dump run/ranks/rank-00000.json 0 SIGTERM
  write_dump run/ranks/rank-00001.json 1 SIGTERM
  run_commtune report report run
  [ $status -eq 0 ] || fail "'commtune report' on two rank dumps exited with $status"
  check_partial_profile run 2
  profile_field run 'p.get("partial_reason")' | grep -q SIGTERM || fail "partial_reason does not name SIGTERM"
  [ -s report.out ] || fail "'commtune report' printed no summary on stdout"
  grep -q "$(realpath run)/profile.json" report.err || fail "'commtune report' does not say where profile.json is"
  grep -q "$(realpath run)/summary.txt" report.err || fail "'commtune report' does not say where summary.txt is"
  # Merging again gives the same profile; --quiet prints nothing.
  run_commtune quiet report --quiet run
  [ $status -eq 0 ] || fail "'commtune report --quiet' exited with $status"
  { [ -s quiet.out ] || [ -s quiet.err ]; } && fail "'commtune report --quiet' printed something"
  check_partial_profile run 2
  ;;
report_complete)
  # A complete profile (written at MPI_Finalize) is left alone, even with an earlier snapshot dump
  # beside it; a dump newer than it comes from a later run and is merged.
  # The complete profile: merged from two dumps made at MPI_Finalize (a profile.json the reader
  # accepts; a hand-written stub of three keys would be refused as unreadable and merged again).
  write_dump run/ranks/rank-00000.json 0 finalize
  write_dump run/ranks/rank-00001.json 1 finalize
  run_commtune merged report --quiet run
  [ $status -eq 0 ] || fail "'commtune report' of two finalize dumps exited with $status"
  grep -q '"complete": true' run/profile.json || fail "two finalize dumps did not merge into a complete profile"
  rm run/ranks/*.json
  echo 'hand-written summary' > run/summary.txt
  write_dump run/ranks/rank-00000.json 0 snapshot
  touch -d '1 hour ago' run/ranks/rank-00000.json
  before=$(md5sum run/profile.json run/summary.txt)
  run_commtune complete report run
  [ $status -eq 0 ] || fail "'commtune report' on a complete profile exited with $status"
  [ "$(md5sum run/profile.json run/summary.txt)" = "$before" ] || fail "'commtune report' rewrote a complete profile"
  [ "$(cat complete.out)" = "hand-written summary" ] || fail "'commtune report' did not print summary.txt"
  write_dump run/ranks/rank-00000.json 0 SIGTERM
  write_dump run/ranks/rank-00001.json 1 SIGTERM
  touch -d '2 hours ago' run/profile.json
  run_commtune later report run
  [ $status -eq 0 ] || fail "'commtune report' on dumps newer than a complete profile exited with $status"
  check_partial_profile run 2
  ;;
*)
  echo "cli: unknown case $case_name" >&2
  exit 2
  ;;
esac
[ $failed -eq 0 ] && echo "cli $case_name: OK"
exit $failed
