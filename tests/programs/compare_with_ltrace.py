#!/usr/bin/env python3
"""Runs a real MPI program twice, plainly and under `commtune run` with ltrace counting every
MPI_* call each rank makes through the PLT (an independent count). Fails unless
  - the exit codes are equal and the output is identical apart from lines that report timings, and
  - for every rank and MPI function, profile.json's call count equals ltrace's.
"""

import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

# Not wrapped on purpose (see generated/not_wrapped.txt): ltrace sees them, the profile does not.
NOT_WRAPPED = {"MPI_Wtime", "MPI_Wtick"}

COUNTER = """#!/bin/sh
rank=${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-0}}
exec ltrace -c -o "%s/ltrace.$rank" -e '%s' "$@"
"""


def run(command, cwd, env):
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def output_of(cwd, text, output_file):
    return (pathlib.Path(cwd) / output_file).read_text() if output_file else text


def significant(text, ignore, keep):
    lines = [line for line in text.splitlines() if not line.startswith("commtune")]
    if keep:
        return re.findall(keep, "\n".join(lines))
    pattern = re.compile(ignore) if ignore else None
    return [line for line in lines if not (pattern and pattern.search(line))]


def ltrace_counts(path):
    counts = {}
    for line in pathlib.Path(path).read_text().splitlines():
        parts = line.split()
        if len(parts) == 5 and parts[4].startswith("MPI_") and parts[3].isdigit():
            counts[parts[4]] = int(parts[3])
    return counts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--commtune", required=True)
    parser.add_argument("--launcher", default="mpirun")
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--ignore", default="", help="regex of output lines that report timings")
    parser.add_argument("--keep", default="", help="regex: compare only its matches (verdicts of timed programs)")
    parser.add_argument("--distinct", action="store_true",
                        help="compare the distinct kept lines, not their sequence (a program whose number of "
                             "timed repetitions varies from run to run)")
    parser.add_argument("--output-file", default="", help="file the program writes its results to")
    parser.add_argument("--trace", default="MPI_*", help="ltrace -e expression")
    parser.add_argument("--setup", default="", help="shell command run in the work directory first")
    parser.add_argument("program", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    program = [p for p in options.program if p != "--"]

    work = pathlib.Path(options.workdir)
    shutil.rmtree(work, ignore_errors=True)
    plain, profiled = work / "plain", work / "profiled"
    for d in (plain, profiled):
        d.mkdir(parents=True)
        if options.setup:
            subprocess.run(options.setup, shell=True, cwd=d, check=True)
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    launch = [options.launcher, "-np", str(options.ranks)]

    plain_rc, plain_text = run(launch + program, plain, env)
    counter = profiled / "count.sh"
    counter.write_text(COUNTER % (profiled, options.trace))
    counter.chmod(0o755)
    profiled_rc, profiled_text = run(
        [options.commtune, "run", "--quiet", "-o", str(profiled / "out"), "--"] + launch + [str(counter)] + program,
        profiled, env)

    failures = []
    if plain_rc != profiled_rc:
        failures.append(f"exit code {profiled_rc} under commtune, {plain_rc} without")
    a = significant(output_of(plain, plain_text, options.output_file), options.ignore, options.keep)
    b = significant(output_of(profiled, profiled_text, options.output_file), options.ignore, options.keep)
    if options.distinct:
        a, b = sorted(set(a)), sorted(set(b))
    if a != b:
        diff = [f"  plain: {x!r}\n  commtune: {y!r}" for x, y in zip(a, b) if x != y][:5]
        failures.append(f"output differs ({len(a)} vs {len(b)} lines):\n" + "\n".join(diff))

    profile = json.loads((profiled / "out" / "profile.json").read_text())
    compared = 0
    for rank in range(options.ranks):
        ours = {f["name"]: f["calls"] for f in profile["per_rank"][rank]["functions"]}
        theirs = ltrace_counts(profiled / f"ltrace.{rank}")
        for name in sorted(set(ours) | set(theirs)):
            if name in NOT_WRAPPED or not re.fullmatch(options.trace.replace("*", ".*").split("-")[0], name):
                continue
            excluded = [e for e in options.trace.split("-")[1:]]
            if name in excluded:
                continue
            compared += 1
            if ours.get(name, 0) != theirs.get(name, 0):
                failures.append(f"rank {rank} {name}: profile {ours.get(name, 0)} calls, ltrace {theirs.get(name, 0)}")
    total = sum(f["calls"] for f in profile["functions"])
    print(f"{' '.join(program)}: {options.ranks} ranks, {compared} (rank, function) counts compared, "
          f"{total} calls in the profile, {len(a)} output lines (or verdicts) compared")
    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
