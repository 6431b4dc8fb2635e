#!/usr/bin/env python3
"""Measures the time the preload library adds per MPI call: runs commtune-bench-overhead without
the library and with it (each clock), alternating runs so that the machine's noise hits all
configurations alike, and prints the median of each case and the difference.

  python3 pmpi_hooks/bench/overhead.py --build build [--runs 5] [--launcher mpirun] [--ranks 2] [--markdown]

With --trace the configurations are: without, profile mode and trace mode (both tsc); the trace
mode's logs are then read back (build/bin/trace_json) for their bytes per call on disk.
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess


def measure(command, env):
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    return {row["case"]: row["ns_per_call"] for row in map(json.loads, (l for l in out.splitlines() if l.startswith("{")))}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--launcher", default="mpirun")
    parser.add_argument("--calls", default="200000")
    parser.add_argument("--ranks", default="2")
    parser.add_argument("--callsite-depth", default="1", help="COMMTUNE_CALLSITE_DEPTH of the library runs")
    parser.add_argument("--launcher-flag", action="append", default=[], help="extra launcher option (repeatable)")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--trace", action="store_true", help="compare trace mode with profile mode")
    options = parser.parse_args()
    build = pathlib.Path(options.build).resolve()
    bench = str(build / "bin" / "commtune-bench-overhead")
    library = str(build / "lib" / "libcommtune_pmpi.so")
    base = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("COMMTUNE_")}
    configurations = {
        "without": dict(base),
        "commtune (tsc)": dict(base, LD_PRELOAD=library, COMMTUNE_CLOCK="tsc", COMMTUNE_QUIET="1",
                               COMMTUNE_CALLSITE_DEPTH=options.callsite_depth,
                               COMMTUNE_OUTPUT="/tmp/commtune-overhead-tsc"),
        "commtune (clock_gettime)": dict(base, LD_PRELOAD=library, COMMTUNE_CLOCK="monotonic", COMMTUNE_QUIET="1",
                                         COMMTUNE_CALLSITE_DEPTH=options.callsite_depth,
                                         COMMTUNE_OUTPUT="/tmp/commtune-overhead-monotonic"),
    }
    if options.trace:
        trace_dir = "/tmp/commtune-overhead-trace"
        configurations = {
            "without": dict(base),
            "profile (tsc)": configurations["commtune (tsc)"],
            "trace (tsc)": dict(configurations["commtune (tsc)"], COMMTUNE_MODE="trace", COMMTUNE_OUTPUT=trace_dir),
        }
    samples = {name: {} for name in configurations}
    for _ in range(options.runs):
        for name, env in configurations.items():
            for case, ns in measure([options.launcher, "-np", options.ranks, *options.launcher_flag, bench, options.calls], env).items():
                samples[name].setdefault(case, []).append(ns)
    cases = list(samples["without"])
    median = {name: {case: statistics.median(samples[name][case]) for case in cases} for name in configurations}
    if options.trace:
        return print_trace(cases, median, options.markdown, build, trace_dir)
    if options.markdown:
        print("| case | without (ns) | commtune, tsc (ns) | added | commtune, clock_gettime (ns) | added |")
        print("|---|---|---|---|---|---|")
        for case in cases:
            w, t, m = (median[n][case] for n in configurations)
            if case.startswith("floor"):
                print(f"| {case} | {w:.1f} | | | | |")
            else:
                print(f"| {case} | {w:.1f} | {t:.1f} | **{t - w:+.1f}** | {m:.1f} | {m - w:+.1f} |")
    else:
        for case in cases:
            w, t, m = (median[n][case] for n in configurations)
            print(f"{case:40s} without {w:8.1f} ns   tsc {t:8.1f} ({t - w:+6.1f})   clock_gettime {m:8.1f} ({m - w:+6.1f})")


def print_trace(cases, median, markdown, build, trace_dir):
    if markdown:
        print("| case | without (ns) | profile (ns) | added | trace (ns) | added | trace - profile |")
        print("|---|---|---|---|---|---|---|")
    for case in cases:
        w, p, t = (median[n][case] for n in ("without", "profile (tsc)", "trace (tsc)"))
        if case.startswith("floor"):
            print(f"| {case} | {w:.1f} | | | | | |" if markdown else f"{case:40s} {w:8.1f} ns")
        elif markdown:
            print(f"| {case} | {w:.1f} | {p:.1f} | {p - w:+.1f} | {t:.1f} | {t - w:+.1f} | **{t - p:+.1f}** |")
        else:
            print(f"{case:40s} without {w:8.1f} ns   profile {p:8.1f} ({p - w:+6.1f})   trace {t:8.1f} ({t - w:+6.1f}, "
                  f"{t - p:+6.1f} over profile)")
    logs = sorted(pathlib.Path(trace_dir, "trace").glob("*.ctrace"))
    counts = json.loads(subprocess.run([str(build / "bin" / "trace_json"), trace_dir, "--counts"], capture_output=True,
                                       text=True, check=True).stdout)
    events = sum(sum(entry["counts"].values()) for entry in counts["locations"])
    size = sum(log.stat().st_size for log in logs)
    print(f"\nlast trace run: {events} calls logged in {size} bytes: {size / max(1, events):.2f} bytes per call")


if __name__ == "__main__":
    main()
