#!/usr/bin/env python3
"""Checks a SIGUSR1 snapshot run (snapshot.c): the copies of the snapshot dumps the ranks saved
while the job was still running, and the complete profile the job wrote at MPI_Finalize.

usage: check_snapshot.py PROFILE_DIR COPY_DIR --ranks N --calls FUNCTION=K

Asserts:
  - for every rank r < N, COPY_DIR/rank-<r, 5 digits>.json exists (snapshot.c writes .missing
    instead when no dump came) and is a rank dump: schema commtune.rank/1, reason "snapshot",
    rank r, size N, and its sites of FUNCTION add up to K calls (the calls made before the signal);
  - PROFILE_DIR/profile.json: schema commtune.profile/2, complete true, no partial_reason, ranks N,
    every per_rank entry has FUNCTION calls == 2K, functions[FUNCTION].calls == 2K x N;
  - PROFILE_DIR/summary.txt exists and does not say PARTIAL.
Exits 0 when all hold, 1 with one line per failure otherwise. Python 3 stdlib only.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from profile_common import RANK_SCHEMA, Fatal, Problems, functions_by_name, load_json, load_profile, require


def check_copies(copies: pathlib.Path, ranks: int, name: str, per: int, problems: Problems) -> None:
    for rank in range(ranks):
        path = copies / f"rank-{rank:05d}.json"
        missing = copies / f"rank-{rank:05d}.missing"
        if not path.is_file():
            note = missing.read_text(errors="replace").strip() if missing.is_file() else "no copy at all"
            problems.add(f"rank {rank}: no snapshot dump was saved ({note})")
            continue
        try:
            dump = load_json(path, f"rank {rank}'s snapshot dump")
        except Fatal as error:
            problems.add(str(error))
            continue
        where = f"rank {rank}'s snapshot dump ({path})"
        problems.expect_equal(f"{where}: schema", RANK_SCHEMA, dump.get("schema"))
        problems.expect_equal(f"{where}: reason", "snapshot", dump.get("reason"))
        problems.expect_equal(f"{where}: rank", rank, dump.get("rank"))
        problems.expect_equal(f"{where}: size", ranks, dump.get("size"))
        sites = dump.get("sites")
        if not isinstance(sites, list):
            problems.add(f"{where}: no sites list")
            continue
        calls = sum(site.get("calls", 0) for site in sites if site.get("function") == name)
        if calls != per:
            problems.add(f"{where}: {name} calls (summed over its sites) expected {per} (made before SIGUSR1), "
                         f"got {calls}")
        else:
            problems.ok(f"rank {rank}: snapshot dump with {calls} {name} calls")


def check_profile(directory: pathlib.Path, ranks: int, name: str, per: int, problems: Problems) -> None:
    profile = load_profile(directory, problems)
    if profile.get("complete") is not True:
        problems.add(f"profile.json: complete is {profile.get('complete')!r}, expected true (the job finished "
                     f"normally after the snapshot); partial_reason {profile.get('partial_reason')!r}")
    if "partial_reason" in profile:
        problems.add(f"profile.json: has a partial_reason ({profile['partial_reason']!r}) although the job finished")
    problems.expect_equal("profile.json: ranks", ranks, profile.get("ranks"))
    per_rank = require(profile, "per_rank", "profile.json", list)
    if len(per_rank) != ranks:
        problems.add(f"profile.json: per_rank has {len(per_rank)} entries, expected {ranks}")
    for entry in per_rank:
        rows = functions_by_name(entry.get("functions", []), f"per_rank rank {entry.get('rank')}")
        got = rows.get(name, {}).get("calls", 0)
        if got != 2 * per:
            problems.add(f"profile.json: rank {entry.get('rank')}: {name} calls expected {2 * per} "
                         f"({per} before and {per} after the snapshot), got {got}")
    totals = functions_by_name(require(profile, "functions", "profile.json", list), "functions")
    got = totals.get(name, {}).get("calls", 0)
    if got != 2 * per * ranks:
        problems.add(f"profile.json: functions[{name}].calls expected {2 * per} x {ranks} = {2 * per * ranks}, "
                     f"got {got}")
    else:
        problems.ok(f"final profile complete with {got} {name} calls")
    summary = directory / "summary.txt"
    if not summary.is_file():
        problems.add(f"{summary} does not exist")
    elif "PARTIAL" in summary.read_text(errors="replace"):
        problems.add(f"{summary} says PARTIAL although the job finished normally")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile_dir", help="commtune's output directory (holds profile.json)")
    parser.add_argument("copy_dir", help="where snapshot.c saved the snapshot dumps")
    parser.add_argument("--ranks", type=int, required=True)
    parser.add_argument("--calls", required=True, metavar="FUNCTION=K", help="calls per rank before the snapshot")
    options = parser.parse_args(argv)
    name, _, count = options.calls.partition("=")
    problems = Problems("check_snapshot")
    try:
        check_copies(pathlib.Path(options.copy_dir), options.ranks, name, int(count), problems)
        check_profile(pathlib.Path(options.profile_dir), options.ranks, name, int(count), problems)
    except Fatal as error:
        problems.add(str(error))
    return problems.report(f"{options.profile_dir}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
