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
unset COMMTUNE_PRELOAD COMMTUNE_OUTPUT COMMTUNE_MODE COMMTUNE_CLOCK COMMTUNE_QUIET COMMTUNE_COMMAND LD_PRELOAD

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

case "$case_name" in
help)
  run_commtune help --help
  [ $status -eq 0 ] || fail "'commtune --help' exited with $status"
  grep -q '^Usage:' help.out || fail "'commtune --help' prints no Usage line"
  names=$(subcommands)
  echo "subcommands: $(echo $names)"
  for expected in run preload; do
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
  # With Open MPI's mpirun commtune names every variable the ranks need with -x (mpirun passes
  # only those to ranks on other nodes). A spy launcher, recognised as Open MPI's by its name,
  # records its arguments and starts the real one.
  real_launcher=$(command -v "${launcher[0]}") || { echo "cli: no launcher ${launcher[0]}" >&2; exit 1; }
  spy=$work/spy-openmpi-mpirun
  printf '#!/bin/sh\nprintf "%%s\\n" "$@" > %s/launcher-args\nexec %s "$@"\n' "$work" "$real_launcher" > "$spy"
  chmod +x "$spy"
  COMMTUNE_MODE=profile run_commtune spy run -o out --clock monotonic -- "$spy" "${launcher[@]:1}" "$probe" env
  [ $status -eq 0 ] || fail "the run through the spy launcher exited with $status"
  args=$(cat launcher-args 2>/dev/null)
  echo "launcher arguments: $(echo $args)"
  for name in LD_PRELOAD COMMTUNE_OUTPUT COMMTUNE_CLOCK COMMTUNE_MODE COMMTUNE_COMMAND; do
    echo "$args" | grep -A1 -x -- '-x' | grep -qx "$name" || fail "mpirun was not given '-x $name'"
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
*)
  echo "cli: unknown case $case_name" >&2
  exit 2
  ;;
esac
[ $failed -eq 0 ] && echo "cli $case_name: OK"
exit $failed
