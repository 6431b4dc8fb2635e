#!/usr/bin/env python3
"""Where the fixed cost of a profiled run goes: runs a short MPI command in several ways, one after
the other in rounds (so that the machine's drift is shared), and prints each way's median wall time
and its difference from the plain run, and the same for the CPU time (user + system) of all the
processes of the run, which a busy machine disturbs less than wall time.

  python3 pmpi_hooks/bench/fixed_cost.py --build build --rounds 11 -- \\
      lmp -in $PWD/pmpi_hooks/bench/lammps/in.melt_comm -var steps 10 -log none

The ways (each a complete run, output discarded):
  plain           <launcher> -np N command
  preload-off     ... -x LD_PRELOAD=lib, COMMTUNE_MODE=off   (loading the library, settings)
  preload-rank0   ... -x LD_PRELOAD=lib, COMMTUNE_REPORT=rank0 (rank 0 merges at MPI_Finalize)
  preload-saved   ... -x LD_PRELOAD=lib, COMMTUNE_REPORT=commtune (rank 0 only saves DIR/ranks)
  run             commtune run --quiet -- <launcher> -np N command
  run-off         commtune run --quiet --mode off -- ...
  cli-version     commtune --version (the CLI's own start)
  report          commtune report DIR on preload-saved's records (the merge alone)
--compare BUILD adds `run-compare`: `run` with another build's commtune (e.g. the one before a
change); --ways plain,run,run-compare times only those.
"""

import argparse
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build")
    parser.add_argument("--compare", help="another build directory whose `commtune run` is timed too")
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--launcher", default="mpirun")
    parser.add_argument("--ways", help="comma-separated subset of the ways to time (default: all)")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    command = options.command[1:] if options.command[:1] == ["--"] else options.command
    build = pathlib.Path(options.build).resolve()
    library, commtune = str(build / "lib" / "libcommtune_pmpi.so"), str(build / "bin" / "commtune")
    base = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("COMMTUNE_")}
    work = pathlib.Path(tempfile.mkdtemp(prefix="commtune-fixed-"))
    launch = [options.launcher, "-np", str(options.ranks)]

    def preload(report, mode="profile"):
        settings = {"COMMTUNE_QUIET": "1", "COMMTUNE_MODE": mode, "COMMTUNE_REPORT": report,
                    "COMMTUNE_OUTPUT": str(work / f"preload-{report}-{mode}")}
        exports = ["-x", f"LD_PRELOAD={library}"]
        for name in settings:
            exports += ["-x", name]
        return launch + exports + command, settings

    ways = {
        "plain": (launch + command, {}),
        "preload-off": preload("rank0", "off"),
        "preload-rank0": preload("rank0"),
        "preload-saved": preload("commtune"),
        "run": ([commtune, "run", "--quiet", "-o", str(work / "run"), "--"] + launch + command, {}),
        "run-off": ([commtune, "run", "--quiet", "--mode", "off", "-o", str(work / "off"), "--"] + launch + command,
                    {}),
        "cli-version": ([commtune, "--version"], {}),
        # preload-saved's records, which nothing else merges (commtune run removes the ones it merged).
        "report": ([commtune, "report", "--quiet", str(work / "preload-commtune-profile")], {}),
    }
    if options.compare:
        other = str(pathlib.Path(options.compare).resolve() / "bin" / "commtune")
        ways["run-compare"] = ([other, "run", "--quiet", "-o", str(work / "compare"), "--"] + launch + command, {})
    if options.ways:
        ways = {name: ways[name] for name in options.ways.split(",")}
    times = {name: [] for name in ways}
    cpu = {name: [] for name in ways}

    def children_cpu_s():
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    for _ in range(options.rounds):
        for name, (argv, settings) in ways.items():
            start, start_cpu = time.monotonic(), children_cpu_s()
            subprocess.run(argv, env=dict(base, **settings), cwd=work, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            times[name].append(time.monotonic() - start)
            cpu[name].append(children_cpu_s() - start_cpu)
        # Each round as it ends, so that an interrupted measurement is not lost.
        print("round: " + ", ".join(f"{name} {1000 * values[-1]:.0f} ms" for name, values in times.items()),
              file=sys.stderr, flush=True)
    plain, plain_cpu = statistics.median(times["plain"]), statistics.median(cpu["plain"])
    ratios = {name: statistics.median(t / p for t, p in zip(values, times["plain"])) for name, values in times.items()}
    print(f"command: {' '.join(command)}; {options.rounds} rounds, {options.ranks} ranks")
    print("| way | wall, median (ms) | minus plain (ms) | median of the rounds' ratios to plain | CPU, median (ms) | "
          "minus plain (ms) |")
    print("|---|---|---|---|---|---|")
    for name, values in times.items():
        median, median_cpu = statistics.median(values), statistics.median(cpu[name])
        print(f"| {name} | {1000 * median:.1f} | {1000 * (median - plain):+.1f} | {ratios[name]:.3f} | "
              f"{1000 * median_cpu:.1f} | {1000 * (median_cpu - plain_cpu):+.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
