#!/usr/bin/env python3
"""Checks profile.json's COMMTUNE_PAPI counters against counters.c, which computes BUSY_MS of CPU
time on every rank just before one MPI_Barrier (expected.json: file, barrier_line, busy_ms).

usage: check_counters.py PROFILE_DIR EXPECTED --requested A,B --stderr FILE
                         --expect as-requested|fallback|auto [--ranks N] [--min-fraction F] [--unknown NAME]

Asserts:
  - profile["counters"]["requested"] is the requested list;
  - auto: as-requested where every requested event was measured (a machine with a PMU), else fallback;
  - as-requested: "measured" is that list, "fallback" is false, there are no notes, and the
    run's stderr has no "commtune: note: counters" line;
  - fallback: "fallback" is true, a TASK-CLOCK event (perf:: or commtune::) is measured, so is an
    event not requested (the stand-in), there are notes, and rank 0's stderr banner says
    "commtune: note: counters:" naming that stand-in;
  - --unknown NAME: stderr warns "COMMTUNE_PAPI: unknown event NAME";
  - the barrier's call site has a TASK-CLOCK value >= ranks * busy_ms * min_fraction (in ns), and
    every rank's total in counters.per_rank >= busy_ms * min_fraction; without a TASK-CLOCK (PAPI
    counted what was asked), the barrier site's first event is positive.
Exits 0 when all hold, 1 with one line per failure otherwise. Python 3 stdlib only.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from profile_common import Fatal, Problems, candidates, find_sites, load_json, load_profile, require

TASK_CLOCKS = ("perf::TASK-CLOCK", "commtune::TASK-CLOCK")


def check_setup(counters: dict, options, stderr: str, problems: Problems) -> None:
    requested = options.requested.split(",")
    problems.expect_equal("counters.requested", requested, counters.get("requested"))
    notes = counters.get("notes", [])
    banner = [line for line in stderr.splitlines() if line.startswith("commtune: note: counters:")]
    as_requested = options.expect == "as-requested" or (options.expect == "auto" and
                                                        counters.get("measured") == requested)
    if as_requested:
        problems.expect_equal("counters.measured", requested, counters.get("measured"))
        problems.expect_equal("counters.fallback", False, counters.get("fallback"))
        problems.expect_equal("counters.notes", [], notes)
        problems.expect_equal("stderr lines 'commtune: note: counters:'", [], banner)
    else:
        problems.expect_equal("counters.fallback", True, counters.get("fallback"))
        measured = counters.get("measured", [])
        if not any(name in TASK_CLOCKS for name in measured):
            problems.add(f"counters.measured {measured} holds no TASK-CLOCK")
        stand_ins = [name for name in measured if name not in requested]
        if not stand_ins:
            problems.add(f"counters.measured {measured} holds no stand-in for the events not counted")
        if not notes:
            problems.add("counters.notes is empty: the fallback is not explained")
        if not any(name in line for name in stand_ins for line in banner):
            problems.add(f"stderr has no 'commtune: note: counters:' line naming a stand-in {stand_ins}: {banner}")
    if options.unknown and f"COMMTUNE_PAPI: unknown event {options.unknown}" not in stderr:
        problems.add(f"stderr does not warn about the unknown event {options.unknown}")


def check_values(profile: dict, counters: dict, expected: dict, options, problems: Problems) -> None:
    sites = find_sites(require(profile, "callsites", "profile.json", list), "MPI_Barrier", expected["file"],
                       expected["barrier_line"])
    if len(sites) != 1:
        problems.add(f"{len(sites)} MPI_Barrier call sites at {expected['file']}:{expected['barrier_line']}; "
                     + candidates(profile["callsites"], "MPI_Barrier"))
        return
    measured = counters.get("measured", [])
    clocks = [name for name in measured if name in TASK_CLOCKS]
    if not clocks:
        first = measured[0] if measured else None
        if not first or not sites[0].get("counters", {}).get(first, 0) > 0:
            problems.add(f"the barrier site's {first} is not positive: {sites[0].get('counters')}")
        return
    clock = clocks[0]
    floor_ns = expected["busy_ms"] * 1e6 * options.min_fraction
    value = sites[0].get("counters", {}).get(clock, 0)
    if value >= options.ranks * floor_ns:
        problems.ok(f"{clock} before the barrier: {value / 1e6:.1f} ms over {options.ranks} ranks")
    else:
        problems.add(f"{clock} before the barrier is {value / 1e6:.1f} ms, expected >= "
                     f"{options.ranks * floor_ns / 1e6:.1f} ms ({options.ranks} ranks x {expected['busy_ms']} ms)")
    for row in counters.get("per_rank", []):
        total = row.get("values", {}).get(clock, 0)
        if total < floor_ns:
            problems.add(f"rank {row.get('rank')}: {clock} total {total / 1e6:.1f} ms < {floor_ns / 1e6:.1f} ms")
    if len(counters.get("per_rank", [])) != options.ranks:
        problems.add(f"counters.per_rank has {len(counters.get('per_rank', []))} ranks, expected {options.ranks}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile_dir")
    parser.add_argument("expected")
    parser.add_argument("--requested", required=True)
    parser.add_argument("--stderr", required=True, help="the stderr of the `commtune run` process")
    parser.add_argument("--expect", required=True, choices=("as-requested", "fallback", "auto"))
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--min-fraction", type=float, default=0.8, help="of busy_ms that must be counted")
    parser.add_argument("--unknown", help="an event name that must draw a warning")
    options = parser.parse_args(argv)
    problems = Problems("check_counters")
    try:
        expected = load_json(options.expected, "expected")
        profile = load_profile(options.profile_dir, problems)
        counters = require(profile, "counters", "profile.json", dict)
        stderr = pathlib.Path(options.stderr).read_text(errors="replace")
        check_setup(counters, options, stderr, problems)
        check_values(profile, counters, expected, options, problems)
    except Fatal as error:
        problems.add(str(error))
    return problems.report(f"{options.profile_dir}/profile.json")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
