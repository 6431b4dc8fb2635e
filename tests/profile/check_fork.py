#!/usr/bin/env python3
"""Checks a run of fork_child.c: a complete profile with 6 MPI_Barrier calls per rank, and no rank
dump in DIR/ranks (the forked children, one of them killed by SIGTERM, wrote nothing).

  check_fork.py PROFILE_DIR --ranks N
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from profile_common import Fatal, Problems, functions_by_name, load_profile, require


def check(directory: pathlib.Path, ranks: int, problems: Problems) -> None:
    profile = load_profile(directory, problems)
    problems.expect_equal("complete", True, profile.get("complete"))
    barrier = functions_by_name(require(profile, "functions", "profile.json", list), "functions").get("MPI_Barrier")
    problems.expect_equal("MPI_Barrier calls", 6 * ranks, barrier and barrier.get("calls"))
    dumps = sorted(p.name for p in (directory / "ranks").glob("*.json*"))
    if dumps:
        problems.add(f"{directory / 'ranks'} holds {dumps}: a forked child must write nothing")
    else:
        problems.ok("no rank dump: the forked children wrote nothing")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile_dir")
    parser.add_argument("--ranks", type=int, required=True)
    options = parser.parse_args(argv)
    problems = Problems("check_fork")
    try:
        check(pathlib.Path(options.profile_dir), options.ranks, problems)
    except Fatal as error:
        problems.add(str(error))
    return problems.report(options.profile_dir)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
