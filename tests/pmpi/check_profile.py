#!/usr/bin/env python3
"""Compares a commtune profile.json with the expected.json a test program wrote, exactly.

expected.json:
  {"ranks": n,
   "min_threads": k,                         optional: every per_rank entry has threads >= k
   "functions": {"MPI_Send": {"calls": c, "bytes_sent": s, "bytes_received": r}, ...},
   "per_rank": [{"rank": 0, "functions": {...}}, ...],   optional: the same, rank by rank
   "allowed_extra": ["MPI_Foo", ...]}        optional: may appear in the profile with any count

Every function listed is compared on calls, bytes_sent and bytes_received (a function missing
from the profile counts as zeros); every function the profile reports with calls > 0 must be
listed (or allowed). Exits 0 on a match, 1 with a readable diff otherwise. Python 3 stdlib only.
"""

from __future__ import annotations

import argparse
import json
import sys

FIELDS = ("calls", "bytes_sent", "bytes_received")


def rows_by_name(functions: list[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for row in functions:
        if row["name"] in out:
            raise ValueError(f"function {row['name']} appears twice")
        out[row["name"]] = row
    return out


def compare(where: str, expected: dict[str, dict], actual: dict[str, dict], allowed: set[str]) -> list[str]:
    problems = []
    for name in sorted(expected):
        want = expected[name]
        got = actual.get(name, {})
        for field in FIELDS:
            w = int(want.get(field, 0))
            g = int(got.get(field, 0))
            if w != g:
                problems.append(f"{where}: {name:28s} {field:15s} expected {w:>12d}  got {g:>12d}  (diff {g - w:+d})")
    for name in sorted(actual):
        if name in expected or name in allowed:
            continue
        if int(actual[name].get("calls", 0)) > 0:
            got = actual[name]
            problems.append(
                f"{where}: {name:28s} unexpected: calls {got.get('calls')}, bytes_sent {got.get('bytes_sent')}, "
                f"bytes_received {got.get('bytes_received')} (the program never called it)")
    return problems


def check(profile: dict, expected: dict) -> tuple[list[str], int]:
    problems = []
    allowed = set(expected.get("allowed_extra", []))
    if profile.get("schema") != "commtune.profile/2":
        problems.append(f"schema is {profile.get('schema')!r}, expected 'commtune.profile/2'")
    if profile.get("complete") is not True:
        problems.append(f"complete is {profile.get('complete')!r}, expected true")
    if profile.get("ranks") != expected["ranks"]:
        problems.append(f"ranks is {profile.get('ranks')!r}, expected {expected['ranks']}")
    if profile.get("untracked_requests", 0) != 0:
        problems.append(f"untracked_requests is {profile.get('untracked_requests')}, expected 0")
    compared = len(expected["functions"])
    problems += compare("total", expected["functions"], rows_by_name(profile.get("functions", [])), allowed)

    per_rank = {entry["rank"]: entry for entry in profile.get("per_rank", [])}
    if len(per_rank) != expected["ranks"]:
        problems.append(f"per_rank has {len(per_rank)} entries, expected {expected['ranks']}")
    for entry in expected.get("per_rank", []):
        rank = entry["rank"]
        if rank not in per_rank:
            problems.append(f"rank {rank}: missing from per_rank")
            continue
        problems += compare(f"rank {rank}", entry["functions"], rows_by_name(per_rank[rank].get("functions", [])),
                            allowed)
    min_threads = int(expected.get("min_threads", 0) or 0)
    if min_threads:
        for rank, entry in sorted(per_rank.items()):
            if int(entry.get("threads", 0)) < min_threads:
                problems.append(f"rank {rank}: threads is {entry.get('threads')}, expected >= {min_threads}")
    return problems, compared


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", help="profile.json written by libcommtune_pmpi")
    parser.add_argument("expected", help="expected.json written by the test program")
    options = parser.parse_args(argv)
    try:
        with open(options.profile) as f:
            profile = json.load(f)
        with open(options.expected) as f:
            expected = json.load(f)
        problems, compared = check(profile, expected)
    except (OSError, ValueError, KeyError) as error:
        print(f"check_profile: {error}", file=sys.stderr)
        return 1
    if problems:
        print(f"check_profile: {options.profile} does not match {options.expected} ({len(problems)} differences):")
        for line in problems:
            print("  " + line)
        return 1
    print(f"check_profile: {compared} functions match exactly over {expected['ranks']} ranks "
          f"({len(expected.get('per_rank', []))} ranks compared one by one)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
