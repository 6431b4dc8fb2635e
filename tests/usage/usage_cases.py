#!/usr/bin/env python3
"""Bad use of the preload library and of `commtune run`: each case runs a program with and
without commtune and checks that the program's output and exit code are unchanged and that
commtune said something clear about what was wrong."""

import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys


def run(command, env, cwd):
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout, result.stderr


class Case:
    def __init__(self, options):
        self.o = options
        self.work = pathlib.Path(options.workdir)
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True)
        self.env = dict(os.environ)
        for name in list(self.env):
            if name.startswith("COMMTUNE_") or name == "LD_PRELOAD":
                del self.env[name]
        self.failures = []

    def launch(self, *program):
        return [self.o.launcher, "-np", "2", *program]

    def plain(self, command):
        return run(command, self.env, self.work)

    def preloaded(self, command, **settings):
        env = dict(self.env, LD_PRELOAD=self.o.preload, **settings)
        return run(command, env, self.work)

    def expect(self, condition, message):
        if not condition:
            self.failures.append(message)

    def same_as_plain(self, plain, profiled, what):
        self.expect(plain[0] == profiled[0], f"{what}: exit code {profiled[0]} with commtune, {plain[0]} without")
        self.expect(plain[1] == profiled[1], f"{what}: stdout differs:\n--- without\n{plain[1]}--- with\n{profiled[1]}")


def case_unwritable_output(c):
    command = c.launch(c.o.heat, "64", "20")
    plain = c.plain(command)
    profiled = c.preloaded(command, COMMTUNE_OUTPUT="/proc/commtune-cannot-write-here")
    c.same_as_plain(plain, profiled, "unwritable output")
    stderr = profiled[2]
    c.expect("cannot create /proc/commtune-cannot-write-here" in stderr, f"no warning naming the directory: {stderr}")
    m = re.search(r"the profile will be written to (\S+) instead", stderr)
    c.expect(m and (pathlib.Path(m.group(1)) / "profile.json").is_file(), f"no fallback profile reported or found: {stderr}")


def case_bad_setting_value(c):
    command = c.launch(c.o.heat, "64", "20")
    plain = c.plain(command)
    out = c.work / "out"
    profiled = c.preloaded(command, COMMTUNE_OUTPUT=str(out), COMMTUNE_CLOCK="fast", COMMTUNE_FROBNICATE="1")
    c.same_as_plain(plain, profiled, "bad setting")
    c.expect("COMMTUNE_CLOCK=fast is not one of auto|tsc|monotonic; using auto" in profiled[2],
             f"no warning naming COMMTUNE_CLOCK and its accepted values: {profiled[2]}")
    c.expect("unknown environment variable COMMTUNE_FROBNICATE" in profiled[2],
             f"no warning naming COMMTUNE_FROBNICATE: {profiled[2]}")
    c.expect(profiled[2].count("COMMTUNE_CLOCK=fast") == 1, "the warning should be printed once, by rank 0")
    c.expect((out / "profile.json").is_file(), "the profile should still be written")


def case_bad_trace_settings(c):
    command = c.launch(c.o.heat, "64", "20")
    plain = c.plain(command)
    out = c.work / "out"
    profiled = c.preloaded(command, COMMTUNE_OUTPUT=str(out), COMMTUNE_MODE="trace", COMMTUNE_TRACE_BUDGET="lots",
                           COMMTUNE_TRACE_FLUSH="-1", COMMTUNE_TRACE_FUNCTIONS="p2p,bogus", COMMTUNE_TRACE_WINDOW="5:1")
    c.same_as_plain(plain, profiled, "bad trace settings")
    for variable in ("COMMTUNE_TRACE_BUDGET=lots", "COMMTUNE_TRACE_FLUSH=-1", "COMMTUNE_TRACE_FUNCTIONS=p2p,bogus",
                     "COMMTUNE_TRACE_WINDOW=5:1"):
        c.expect(profiled[2].count(variable) == 1, f"no single warning naming {variable}: {profiled[2]}")
    logs = sorted((out / "trace").glob("*.ctrace"))
    c.expect(len(logs) == 2, f"the defaults apply: one log per rank expected, found {logs}")


def case_never_calls_init(c):
    plain = c.plain(c.launch(c.o.no_init))
    profiled = run([c.o.commtune, "run", "-o", str(c.work / "out"), "--", *c.launch(c.o.no_init)], c.env, c.work)
    c.same_as_plain(plain, profiled, "program without MPI_Init")
    c.expect("no profile in" in profiled[2] and "did not reach MPI_Finalize through MPI_Init" in profiled[2],
             f"commtune run should say why there is no profile: {profiled[2]}")
    c.expect(not (c.work / "out" / "profile.json").exists(), "no profile should be written")


def case_singleton(c):
    out = c.work / "out"
    plain = c.plain([c.o.heat, "64", "20"])
    profiled = run([c.o.commtune, "run", "--quiet", "-o", str(out), "--", c.o.heat, "64", "20"], c.env, c.work)
    c.same_as_plain(plain, profiled, "singleton")
    profile = json.loads((out / "profile.json").read_text())
    c.expect(profile["ranks"] == 1, f"a singleton run has 1 rank, not {profile['ranks']}")
    sendrecv = {f["name"]: f["calls"] for f in profile["functions"]}.get("MPI_Sendrecv")
    c.expect(sendrecv == 40, f"20 steps x 2 MPI_Sendrecv expected, got {sendrecv}")


def case_init_twice(c):
    command = c.launch(c.o.init_twice)
    plain = c.plain(command)
    profiled = c.preloaded(command, COMMTUNE_OUTPUT=str(c.work / "out"))
    c.same_as_plain(plain, profiled, "MPI_Init twice")
    c.expect("commtune: error" not in profiled[2] and "Segmentation" not in profiled[2], profiled[2])


def case_finalize_without_init(c):
    command = c.launch(c.o.finalize_without_init)
    plain = c.plain(command)
    profiled = c.preloaded(command, COMMTUNE_OUTPUT=str(c.work / "out"))
    c.expect(plain[0] == profiled[0], f"exit code {profiled[0]} with commtune, {plain[0]} without")
    c.expect(profiled[1].startswith(plain[1].splitlines()[0]) if plain[1] else True, "output differs")
    c.expect("Segmentation" not in profiled[2] and "commtune: error" not in profiled[2], profiled[2])
    c.expect(not (c.work / "out" / "profile.json").exists(), "no profile without MPI_Init")


def case_mode_off(c):
    command = c.launch(c.o.heat, "64", "20")
    plain = c.plain(command)
    profiled = c.preloaded(command, COMMTUNE_OUTPUT=str(c.work / "out"), COMMTUNE_MODE="off")
    c.same_as_plain(plain, profiled, "mode off")
    c.expect(not (c.work / "out" / "profile.json").exists(), "COMMTUNE_MODE=off records and writes nothing")


def case_launcher_environment(c):
    """`commtune run` gives LD_PRELOAD to the ranks only: a wrapper in front of the real launcher,
    named as Debian names Open MPI's (or MPICH's), records the LD_PRELOAD it was given."""
    real = pathlib.Path(shutil.which(c.o.launcher) or c.o.launcher).resolve()
    hydra = "mpich" in real.name or "hydra" in real.name
    (c.work / "bin").mkdir()
    wrapper = c.work / "bin" / ("mpiexec.mpich" if hydra else "mpirun.openmpi")
    record = c.work / "launcher_preload.txt"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s" "${{LD_PRELOAD-}}" > "{record}"\nexec "{c.o.launcher}" "$@"\n')
    wrapper.chmod(0o755)
    out = c.work / "out"
    plain = c.plain(c.launch(c.o.heat, "64", "20"))
    profiled = run([c.o.commtune, "run", "--quiet", "-o", str(out), "--", str(wrapper), "-np", "2", c.o.heat, "64",
                    "20"], c.env, c.work)
    c.same_as_plain(plain, profiled, "launcher environment")
    c.expect(record.is_file() and record.read_text() == "",
             f"the launcher itself got LD_PRELOAD={record.read_text() if record.is_file() else '(not run)'!r}")
    profile = json.loads((out / "profile.json").read_text()) if (out / "profile.json").is_file() else {}
    c.expect(profile.get("ranks") == 2, f"both ranks profiled: {profile.get('ranks')} {profiled[2]}")
    sendrecv = {f["name"]: f["calls"] for f in profile.get("functions", [])}.get("MPI_Sendrecv")
    c.expect(sendrecv == 80, f"2 ranks x 20 steps x 2 MPI_Sendrecv expected, got {sendrecv}")


def case_invalid_utf8(c):
    """Bytes that are not UTF-8 in the command line: the rank dumps are strict JSON (the library
    writes such a byte as \\u00XX), and profile.json carries them as those characters. The
    records are left in DIR/ranks (COMMTUNE_REPORT=commtune, as `commtune run` sets it, without
    the merge) and merged with `commtune report`."""
    out = c.work / "out"
    argument = os.fsdecode(b"caf\xe9-\xff\xfe-ok-\xc3\xa9")  # E9, FF, FE invalid; C3 A9 a valid UTF-8 e-acute
    command = c.launch(c.o.heat, "64", "20", argument)
    plain = c.plain(command)
    profiled = c.preloaded(command, COMMTUNE_OUTPUT=str(out), COMMTUNE_REPORT="commtune", COMMTUNE_QUIET="1")
    c.same_as_plain(plain, profiled, "invalid UTF-8 argument")
    dumps = sorted((out / "ranks").glob("rank-*.json"))
    c.expect(len(dumps) == 2, f"two rank dumps expected in {out / 'ranks'}, found {len(dumps)}")
    expected = "caf\u00e9-\u00ff\u00fe-ok-\u00e9"
    for dump in dumps:
        try:
            parsed = json.loads(dump.read_bytes().decode("utf-8", errors="strict"))
            c.expect(expected in parsed["command"], f"{dump}: command {parsed['command']!r}")
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            c.expect(False, f"{dump} is not strict UTF-8 JSON: {error}")
    merged = run([c.o.commtune, "report", str(out)], c.env, c.work)
    c.expect(merged[0] == 0, f"commtune report failed: {merged[2]}")
    profile = json.loads((out / "profile.json").read_bytes().decode("utf-8", errors="strict"))
    c.expect(expected in profile["command"], f"profile.json command {profile['command']!r}")
    c.expect(profile["complete"], "all ranks reached MPI_Finalize")


CASES = {name[len("case_"):]: f for name, f in globals().items() if name.startswith("case_")}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("case", choices=sorted(CASES))
    for name in ("commtune", "preload", "launcher", "heat", "no_init", "init_twice", "finalize_without_init",
                 "workdir"):
        parser.add_argument("--" + name.replace("_", "-"), dest=name, required=True)
    options = parser.parse_args()
    case = Case(options)
    CASES[options.case](case)
    for failure in case.failures:
        print("FAIL:", failure, file=sys.stderr)
    print(f"{options.case}: {'ok' if not case.failures else 'failed'}")
    return 1 if case.failures else 0


if __name__ == "__main__":
    sys.exit(main())
