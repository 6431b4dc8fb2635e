#!/usr/bin/env python3
"""Runs one tests/profile case: an MPI command under `commtune run -o WORK/out`, sometimes also
plainly, sometimes with a signal sent mid-run, then the case's checkers. Python 3 stdlib only.

usage: run_profile.py MODE --commtune PATH --work DIR [options] -- LAUNCHER... PROGRAM ARGS...

MODE
  check     commtune run; it must exit 0.
  crash     the command plainly, then under commtune run; both must exit with the same nonzero status.
  sigterm   both ways; once rank 0 has created {marker}, SIGTERM goes to the launcher (plain run) or
            to the commtune process (which passes it on to the launcher); the statuses must be equal.
  hang      commtune run --timeout SECONDS only; it must exit with 124, after rank 0 created {marker}.
  snapshot  commtune run; once {marker} exists, SIGUSR1 goes to every rank process (the processes
            running --signal-exe); the run must exit 0.
Then every --check "SCRIPT ARGS..." runs with this Python and every --check-program "PROGRAM ARGS..."
as it is; each must exit 0.

In the command and the --check arguments these words are replaced:
  {out} WORK/out (commtune's output directory)   {expected} WORK/expected.json
  {marker} WORK/marker (WORK/plain/marker in the plain run)   {copy} WORK/copy (created empty)
  {work} WORK

Every run has a deadline (--run-timeout); a run still going then is killed with its whole process
group (each run gets a session of its own), so that a hung case cannot block ctest. Core dumps
are disabled for the crash cases.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import time


def log(message: str) -> None:
    print(f"run_profile: {message}", flush=True)


def fail(message: str) -> None:
    print(f"run_profile: FAILED: {message}", file=sys.stderr, flush=True)


def shell_status(returncode: int) -> int:
    """The status a shell reports: 128 + N for a process killed by signal N."""
    return 128 - returncode if returncode < 0 else returncode


def substitute(words: list[str], values: dict[str, str]) -> list[str]:
    out = []
    for word in words:
        for key, value in values.items():
            word = word.replace("{" + key + "}", value)
        out.append(word)
    return out


class Run:
    """One command in a session of its own, output to NAME.out/NAME.err in the work directory."""

    def __init__(self, name: str, command: list[str], work: pathlib.Path, env: dict[str, str]):
        self.name = name
        self.stdout_path = work / f"{name}.out"
        self.stderr_path = work / f"{name}.err"
        log(f"[{name}] {shlex.join(command)}")
        self.started = time.monotonic()
        with open(self.stdout_path, "w") as out, open(self.stderr_path, "w") as err:
            self.process = subprocess.Popen(command, cwd=work, env=env, stdout=out, stderr=err,
                                            stdin=subprocess.DEVNULL, start_new_session=True)

    def running(self) -> bool:
        return self.process.poll() is None

    def wait(self, seconds: float) -> int | None:
        """The shell-style exit status, or None when the run had to be killed after `seconds`."""
        try:
            code = self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            fail(f"[{self.name}] still running after {seconds:.0f} s: killing its process group")
            self.kill_group()
            self.process.wait()
            self.show()
            return None
        self.kill_group()  # leftovers (ranks the launcher did not reap) must not outlive the test
        status = shell_status(code)
        log(f"[{self.name}] exit status {status} after {time.monotonic() - self.started:.1f} s")
        self.show()
        return status

    def kill_group(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def show(self, lines: int = 40) -> None:
        for path, what in ((self.stdout_path, "stdout"), (self.stderr_path, "stderr")):
            text = path.read_text(errors="replace").splitlines()
            if len(text) > lines:
                print(f"  [{self.name} {what}: {len(text) - lines} earlier lines in {path}]")
            for line in text[-lines:]:
                print(f"  [{self.name} {what}] {line}")


def wait_for_file(path: pathlib.Path, run: Run, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists():
            return True
        if not run.running():
            fail(f"[{run.name}] ended before it created {path}")
            return False
        time.sleep(0.05)
    fail(f"[{run.name}] {path} did not appear within {seconds:.0f} s")
    return False


def rank_processes(executable: str) -> list[int]:
    """Pids of the processes running `executable` (compared through /proc/PID/exe)."""
    target = os.path.realpath(executable)
    pids = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.path.realpath(entry / "exe") == target:
                pids.append(int(entry.name))
        except OSError:
            continue
    return sorted(pids)


def main(argv: list[str]) -> int:
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    split = argv.index("--")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["check", "crash", "sigterm", "hang", "snapshot"])
    parser.add_argument("--commtune", required=True, help="the commtune executable")
    parser.add_argument("--work", required=True, help="work directory (emptied first)")
    parser.add_argument("--check", action="append", default=[], help='"CHECKER.py ARGS..." run with this Python')
    parser.add_argument("--check-program", action="append", default=[],
                        help='"PROGRAM ARGS..." a checker that is a program of its own (run as it is)')
    parser.add_argument("--setup", default="", help="shell command run in WORK/run before the runs")
    parser.add_argument("--run-timeout", type=float, default=45, help="seconds any one run may take")
    parser.add_argument("--timeout-seconds", type=int, default=5, help="hang: commtune run --timeout")
    parser.add_argument("--run-option", action="append", default=[], help="an option for `commtune run` (repeatable)")
    parser.add_argument("--signal-exe", default="", help="snapshot: the program whose processes get SIGUSR1")
    parser.add_argument("--ranks", type=int, default=0, help="snapshot: how many rank processes to signal")
    options = parser.parse_args(argv[:split])
    command = argv[split + 1:]
    if not command:
        parser.error("no command after --")

    work = pathlib.Path(options.work).resolve()
    shutil.rmtree(work, ignore_errors=True)
    (work / "plain").mkdir(parents=True)
    (work / "copy").mkdir()
    run_dir = work / "run"  # where the programs run (hpcc reads and writes files in its directory)
    run_dir.mkdir()
    values = {"out": str(work / "out"), "expected": str(work / "expected.json"), "marker": str(work / "marker"),
              "copy": str(work / "copy"), "work": str(work)}
    plain_values = dict(values, marker=str(work / "plain" / "marker"))
    if options.setup:
        for directory in (run_dir, work / "plain"):
            subprocess.run(options.setup, shell=True, cwd=directory, check=True)

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # crashing ranks must not write core files
    profiled_env = dict(os.environ)
    for name in list(profiled_env):
        if name.startswith("COMMTUNE_"):
            del profiled_env[name]
    profiled_env.pop("LD_PRELOAD", None)
    plain_env = dict(profiled_env)
    commtune = [options.commtune, "run", "-o", values["out"]]
    if options.mode == "hang":
        commtune += ["--timeout", str(options.timeout_seconds)]
    profiled_command = commtune + options.run_option + ["--"] + substitute(command, values)
    failed = False

    # --- the plain run (crash, sigterm) -----------------------------------------------------------
    plain_status = None
    if options.mode in ("crash", "sigterm"):
        plain = Run("plain", substitute(command, plain_values), work / "plain", plain_env)
        if options.mode == "sigterm":
            if wait_for_file(pathlib.Path(plain_values["marker"]), plain, options.run_timeout):
                log(f"[plain] SIGTERM to the launcher (pid {plain.process.pid})")
                os.kill(plain.process.pid, signal.SIGTERM)
        plain_status = plain.wait(options.run_timeout)
        if plain_status is None:
            return 1
        # MPICH's mpiexec (Hydra) may itself exit 0 when SIGTERM stops the job; the program never
        # does (it exits 7 when no signal comes), so only a crash case must not end in 0.
        if plain_status == 0 and options.mode == "crash":
            fail("without commtune the program exited with 0: it did not crash as planned")
            return 1

    # --- the run under commtune ---------------------------------------------------------------------
    profiled = Run("commtune", profiled_command, run_dir, profiled_env)
    if options.mode == "sigterm":
        if wait_for_file(pathlib.Path(values["marker"]), profiled, options.run_timeout):
            log(f"[commtune] SIGTERM to commtune (pid {profiled.process.pid})")
            os.kill(profiled.process.pid, signal.SIGTERM)
    elif options.mode == "snapshot":
        if wait_for_file(pathlib.Path(values["marker"]), profiled, options.run_timeout):
            pids: list[int] = []
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                pids = rank_processes(options.signal_exe)
                if len(pids) >= options.ranks:
                    break
                time.sleep(0.1)
            if len(pids) != options.ranks:
                fail(f"found {len(pids)} processes running {options.signal_exe} ({pids}), expected {options.ranks}")
                failed = True
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGUSR1)
                except ProcessLookupError:
                    fail(f"rank process {pid} was gone before SIGUSR1")
                    failed = True
            log(f"[commtune] SIGUSR1 to the rank processes {pids}")
    wait_seconds = options.run_timeout + (options.timeout_seconds if options.mode == "hang" else 0)
    status = profiled.wait(wait_seconds)
    if status is None:
        return 1

    if options.mode == "check" or options.mode == "snapshot":
        if status != 0:
            fail(f"`commtune run` exited with {status}, expected 0")
            failed = True
    elif options.mode == "hang":
        if status != 124:
            fail(f"`commtune run --timeout {options.timeout_seconds}` exited with {status}, expected 124 (timeout)")
            failed = True
        if not pathlib.Path(values["marker"]).exists():
            why = (f"the program had not finished its barriers when the timeout came (machine too slow for "
                   f"--timeout {options.timeout_seconds}?)" if status == 124 else "the program never got that far")
            fail(f"rank 0 never created {values['marker']}: {why}")
            failed = True
    else:
        log(f"exit status without commtune: {plain_status}; under commtune run: {status}")
        # MPICH's Hydra reports a job stopped by SIGTERM as 0 or as 15, depending on a race inside
        # it (seen without commtune, run after run): for that launcher either is the same outcome.
        hydra_sigterm = {0, 15, 128 + 15}
        same_outcome = status == plain_status or (
            options.mode == "sigterm" and "mpich" in command[0] and {status, plain_status} <= hydra_sigterm)
        if not same_outcome:
            fail(f"`commtune run` exited with {status}, but the same command without commtune exited with "
                 f"{plain_status}: commtune must pass the program's status on")
            failed = True

    # --- the checkers -------------------------------------------------------------------------------
    checks = [[sys.executable] + substitute(shlex.split(check), values) for check in options.check]
    checks += [substitute(shlex.split(check), values) for check in options.check_program]
    for words in checks:
        checker = words[1] if words[0] == sys.executable else words[0]
        log(f"[check] {shlex.join(words[1:] if words[0] == sys.executable else words)}")
        result = subprocess.run(words, cwd=work)
        if result.returncode != 0:
            fail(f"{pathlib.Path(checker).name} exited with {result.returncode}")
            failed = True
    if failed:
        return 1
    log("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
