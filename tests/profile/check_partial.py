#!/usr/bin/env python3
"""Checks the partial profile `commtune run` merges from the rank dumps of a job that did not reach
MPI_Finalize (MPI_Abort, a fatal signal, SIGTERM, a timeout).

usage: check_partial.py PROFILE_DIR --reason REGEX [--calls FUNCTION=K ...] [--min-ranks N] [--ranks N]

Asserts:
  - PROFILE_DIR/profile.json exists, has schema commtune.profile/2 and complete == false;
  - partial_reason is a string that REGEX matches (re.search, case-insensitive);
  - ranks_reported >= --min-ranks (default 1); ranks_reported + len(missing_ranks) == ranks (and
    ranks == --ranks when given); per_rank holds exactly the reporting ranks;
  - for every --calls FUNCTION=K (calls each rank made before the crash): every per_rank entry has
    FUNCTION calls == K, and functions[FUNCTION].calls == K * ranks_reported;
  - PROFILE_DIR/summary.txt exists and contains "PARTIAL".
Exits 0 when all hold, 1 with one line per failure otherwise. Python 3 stdlib only.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys

from profile_common import Fatal, Problems, functions_by_name, load_profile, require


def check(directory: pathlib.Path, options, problems: Problems) -> None:
    profile = load_profile(directory, problems)
    if profile.get("complete") is not False:
        problems.add(f"complete is {profile.get('complete')!r}, expected false (the job did not finish)")
    reason = profile.get("partial_reason")
    if not isinstance(reason, str) or not re.search(options.reason, reason, re.IGNORECASE):
        problems.add(f"partial_reason is {reason!r}, expected a text matching /{options.reason}/i")
    else:
        problems.ok(f"partial_reason {reason!r} matches /{options.reason}/i")

    ranks = profile.get("ranks")
    before = len(problems.items)
    reported = require(profile, "ranks_reported", "profile.json", int)
    missing = require(profile, "missing_ranks", "profile.json", list)
    if options.ranks is not None and ranks != options.ranks:
        problems.add(f"ranks is {ranks!r}, expected {options.ranks} (the job's size)")
    if reported < options.min_ranks:
        problems.add(f"ranks_reported is {reported}, expected at least {options.min_ranks}")
    if isinstance(ranks, int) and reported + len(missing) != ranks:
        problems.add(f"ranks_reported {reported} + missing_ranks {missing} do not add up to ranks {ranks}")
    per_rank = require(profile, "per_rank", "profile.json", list)
    reporting = sorted(entry.get("rank") for entry in per_rank)
    if len(per_rank) != reported:
        problems.add(f"per_rank has {len(per_rank)} entries (ranks {reporting}), but ranks_reported is {reported}")
    if set(reporting) & set(missing):
        problems.add(f"ranks {sorted(set(reporting) & set(missing))} are both in per_rank and in missing_ranks")
    if len(problems.items) == before:
        problems.ok(f"{reported} of {ranks} ranks reported (missing: {missing})")

    totals = functions_by_name(require(profile, "functions", "profile.json", list), "functions")
    for item in options.calls:
        name, _, count = item.partition("=")
        per = int(count)
        for entry in per_rank:
            rows = functions_by_name(entry.get("functions", []), f"per_rank rank {entry.get('rank')}")
            got = rows.get(name, {}).get("calls", 0)
            if got != per:
                problems.add(f"rank {entry.get('rank')}: {name} calls expected {per} (made before the crash), "
                             f"got {got}")
        got_total = totals.get(name, {}).get("calls", 0)
        if got_total != per * reported:
            problems.add(f"functions[{name}].calls expected {per} x {reported} reporting ranks = {per * reported}, "
                         f"got {got_total}")
        else:
            problems.ok(f"{name}: {got_total} calls = {per} x {reported} ranks")

    summary = directory / "summary.txt"
    if not summary.is_file():
        problems.add(f"{summary} does not exist")
    elif "PARTIAL" not in summary.read_text(errors="replace"):
        problems.add(f"{summary} does not say PARTIAL; its first lines: "
                     + " | ".join(summary.read_text(errors="replace").splitlines()[:5]))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile_dir", help="commtune's output directory (holds profile.json)")
    parser.add_argument("--reason", required=True, help="regular expression partial_reason must match")
    parser.add_argument("--calls", action="append", default=[], metavar="FUNCTION=K",
                        help="FUNCTION was called K times on every rank before the crash")
    parser.add_argument("--min-ranks", type=int, default=1)
    parser.add_argument("--ranks", type=int, default=None, help="the job's size")
    options = parser.parse_args(argv)
    problems = Problems("check_partial")
    try:
        check(pathlib.Path(options.profile_dir), options, problems)
    except Fatal as error:
        problems.add(str(error))
    return problems.report(f"{options.profile_dir}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
