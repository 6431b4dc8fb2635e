#!/usr/bin/env python3
"""Wall-time and memory the preload library adds to a whole MPI program: runs the command under
the launcher without the library and with it, alternating, and prints the medians and their ratio.
Memory: each rank's peak resident set (getrusage of the rank, through a small wrapper that this
script runs as the rank) with and without the library, in separate runs so that the wrapper does
not enter the timings.

  python3 pmpi_hooks/bench/wall_time.py --build build --runs 5 --ranks 2 -- \\
      lmp -in pmpi_hooks/bench/lammps/in.melt_comm -log none

--via commtune times `commtune run --quiet -- <launcher> ...` (the CLI, the launcher without the
library, rank 0 saving the records and the merge after the launcher exits) instead of
`<launcher> -x LD_PRELOAD=...`; --mode off passes COMMTUNE_MODE=off; --no-rss skips the memory runs.
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


def run_rank_and_report_rss(command, out_dir):
    """Wrapper mode: this process is one rank's launcher-started process."""
    status = subprocess.call(command)
    rank = os.environ.get("OMPI_COMM_WORLD_RANK", os.environ.get("PMI_RANK", "0"))
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    pathlib.Path(out_dir, f"rss-{rank}").write_text(str(peak_kib))
    return status


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--rss-child":
        return run_rank_and_report_rss(sys.argv[3:], sys.argv[2])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--launcher", default="mpirun")
    parser.add_argument("--launcher-flag", action="append", default=[], help="extra launcher option (repeatable)")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--via", choices=("preload", "commtune"), default="preload")
    parser.add_argument("--mode", choices=("profile", "off"), default="profile")
    parser.add_argument("--no-rss", action="store_true")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    command = options.command[1:] if options.command[:1] == ["--"] else options.command
    library = str((pathlib.Path(options.build) / "lib" / "libcommtune_pmpi.so").resolve())
    commtune = str((pathlib.Path(options.build) / "bin" / "commtune").resolve())
    base = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("COMMTUNE_")}
    work = tempfile.mkdtemp(prefix="commtune-wall-")
    launcher = [options.launcher, "-np", str(options.ranks), *options.launcher_flag]

    def launch(with_library, wrapped=None):
        env = dict(base)
        extra = []
        front = launcher
        if with_library:
            env.update(COMMTUNE_QUIET="1", COMMTUNE_OUTPUT=os.path.join(work, "profile"), COMMTUNE_MODE=options.mode)
            extra = ["-x", f"LD_PRELOAD={library}", "-x", "COMMTUNE_QUIET", "-x", "COMMTUNE_OUTPUT", "-x",
                     "COMMTUNE_MODE"]
            if options.via == "commtune":
                front = [commtune, "run", "--", *launcher]
                extra = []
        prefix = [sys.executable, os.path.abspath(__file__), "--rss-child", wrapped] if wrapped else []
        start = time.monotonic()
        subprocess.run(front + extra + prefix + command, env=env, check=True, cwd=work,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.monotonic() - start

    times = {False: [], True: []}
    for _ in range(options.runs):
        for with_library in (False, True):
            times[with_library].append(launch(with_library))
    rss = {False: 0, True: 0}
    for with_library in (False, True) if not options.no_rss else ():
        out = tempfile.mkdtemp(prefix="rss-", dir=work)
        launch(with_library, out)
        rss[with_library] = max(int(p.read_text()) for p in pathlib.Path(out).glob("rss-*"))

    without, with_ = statistics.median(times[False]), statistics.median(times[True])
    fastest_without, fastest_with = min(times[False]), min(times[True])
    rows = [
        ("wall time, median of %d (s)" % options.runs, f"{without:.3f}", f"{with_:.3f}",
         f"{100.0 * (with_ / without - 1.0):+.2f}%"),
        # Other tenants of a shared machine only ever lengthen a run: the fastest is the least disturbed.
        ("wall time, fastest run (s)", f"{fastest_without:.3f}", f"{fastest_with:.3f}",
         f"{100.0 * (fastest_with / fastest_without - 1.0):+.2f}%"),
        # Pairs run back to back share the machine's state: the median of their ratios.
        ("wall time, median of the pairs' ratios", "", "",
         f"{100.0 * (statistics.median(w / o for o, w in zip(times[False], times[True])) - 1.0):+.2f}%"),
    ]
    if not options.no_rss:
        rows.append(("peak RSS of the largest rank (MiB)", f"{rss[False] / 1024:.1f}", f"{rss[True] / 1024:.1f}",
                     f"{(rss[True] - rss[False]) / 1024:+.1f} MiB"))
    print("command: " + " ".join(command))
    print("runs without: " + ", ".join(f"{t:.3f}" for t in times[False]))
    print("runs with:    " + ", ".join(f"{t:.3f}" for t in times[True]))
    if options.markdown:
        print("| | without | with commtune | added |\n|---|---|---|---|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        for row in rows:
            print(f"{row[0]:40} {row[1]:>10} {row[2]:>14} {row[3]:>12}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
