#!/usr/bin/env python3
"""Checks profile.json's compressibility samples against payload.c: 1 MiB of repeated int64 ids
from one MPI_Send site and 1 MiB of random bytes from one MPI_Isend site, ROUNDS times each
(expected.json: file, ids_line, noise_line, rounds).

usage: check_payload.py PROFILE_DIR EXPECTED [--none]

Asserts, by default:
  - the ids site has ceil(rounds / sample_every) samples (one send per site is sampled, then one
    in every sample_every), an lz4 and a zstd-1 ratio > 5;
  - the random site the same number of samples and both ratios within 0.9..1.1;
  - both have positive compression speeds, and no other call site has samples (only sends are
    sampled; the receives are not).
With --none (COMMTUNE_COMPRESS_SAMPLE=0): compressibility.sample_every is 0 and no call site has
a "compressibility" entry.
Exits 0 when all hold, 1 with one line per failure otherwise. Python 3 stdlib only.
"""

from __future__ import annotations

import argparse
import math
import sys

from profile_common import Fatal, Problems, candidates, find_sites, load_json, load_profile, require


def check_site(sites: list, function: str, expected: dict, line_key: str, want_samples: int, ratio_ok, what: str,
               problems: Problems) -> None:
    found = find_sites(sites, function, expected["file"], expected[line_key])
    if len(found) != 1:
        problems.add(f"{len(found)} {function} sites at {expected['file']}:{expected[line_key]}; "
                     + candidates(sites, function))
        return
    c = found[0].get("compressibility")
    if c is None:
        problems.add(f"{function} at line {expected[line_key]} has no compressibility entry")
        return
    problems.expect_equal(f"{what}: samples", want_samples, c.get("samples"))
    for codec in ("lz4", "zstd1"):
        value = c.get(f"{codec}_ratio", 0)
        if ratio_ok(value):
            problems.ok(f"{what}: {codec} ratio {value:.2f}")
        else:
            problems.add(f"{what}: {codec}_ratio {value:.3f} is out of range")
        if not c.get(f"{codec}_mb_per_s", 0) > 0:
            problems.add(f"{what}: {codec}_mb_per_s is not positive: {c.get(f'{codec}_mb_per_s')}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile_dir")
    parser.add_argument("expected")
    parser.add_argument("--none", action="store_true", help="sampling was disabled")
    options = parser.parse_args(argv)
    problems = Problems("check_payload")
    try:
        expected = load_json(options.expected, "expected")
        profile = load_profile(options.profile_dir, problems)
        sites = require(profile, "callsites", "profile.json", list)
        sampling = require(profile, "compressibility", "profile.json", dict)
        sampled = [s for s in sites if "compressibility" in s]
        if options.none:
            problems.expect_equal("compressibility.sample_every", 0, sampling.get("sample_every"))
            problems.expect_equal("call sites with compressibility", [],
                                  [f"{s['function']}:{s.get('line')}" for s in sampled])
        else:
            every = sampling.get("sample_every") or 0
            if every <= 0:
                raise Fatal(f"compressibility.sample_every is {every}: sampling was off")
            want = math.ceil(expected["rounds"] / every)
            check_site(sites, "MPI_Send", expected, "ids_line", want, lambda r: r > 5, "repeated ids", problems)
            check_site(sites, "MPI_Isend", expected, "noise_line", want, lambda r: 0.9 <= r <= 1.1, "random bytes",
                       problems)
            others = [f"{s['function']}:{s.get('line')}" for s in sampled if s["function"] not in ("MPI_Send", "MPI_Isend")]
            problems.expect_equal("other call sites with compressibility", [], others)
    except Fatal as error:
        problems.add(str(error))
    return problems.report(f"{options.profile_dir}/profile.json")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
