#!/usr/bin/env python3
"""Checks the exports of a traced run (`commtune run --trace -o OUT`) against its profile.

usage: check_export.py OUT --commtune PATH --otf2-print PATH [--crashed] [--min-arrows N]
                        [--categories p2p,collective,...]

What `commtune run --trace` wrote at the end of the run, then again offline:
  OUT/otf2/traces.otf2   otf2-print reads it with exit 0 and nothing on stderr; its ENTER records
                         per region equal profile.json's calls per function (--crashed: the
                         timeline's calls per function, since a killed rank has no profile counts;
                         --categories: the functions of the categories traced, for runs with
                         --trace-functions), LEAVE as many as ENTER
  OUT/timeline.json      parses; schema commtune.timeline/1; a thread_name per track; its calls per
                         function equal the same counts; at least N message arrows, each "s" with
                         its "f" on another rank
  `commtune export OUT --otf2 -o X` and `--timeline -o Y` write the same; exit codes: 2 for a bad
  --window, a missing DIR and other usage errors, 1 for a directory with no trace.
Python 3 stdlib only.
"""

from __future__ import annotations

import argparse
import collections
import json
import pathlib
import re
import subprocess
import sys
import tempfile

failures: list[str] = []


def check(condition: bool, message: str) -> None:
    if not condition:
        failures.append(message)
        print(f"check_export: FAILED: {message}", file=sys.stderr)


def otf2_enter_counts(otf2_print: str, anchor: pathlib.Path) -> collections.Counter:
    result = subprocess.run([otf2_print, str(anchor)], capture_output=True, text=True)
    check(result.returncode == 0, f"otf2-print {anchor} exited with {result.returncode}")
    check(result.stderr == "", f"otf2-print {anchor} wrote on stderr: {result.stderr[:2000]}")
    kinds: collections.Counter = collections.Counter()
    regions: collections.Counter = collections.Counter()
    in_events = False
    for line in result.stdout.splitlines():
        if line.startswith("-----"):
            in_events = True
            continue
        if not in_events or not line[:1].isupper():
            continue
        kind = line.split(" ", 1)[0]
        kinds[kind] += 1
        if kind == "ENTER":
            regions[re.search(r'Region: "([^"]*)"', line).group(1)] += 1
    check(kinds["ENTER"] == kinds["LEAVE"], f"{kinds['ENTER']} ENTER but {kinds['LEAVE']} LEAVE records")
    print(f"check_export: {anchor}: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    return regions


def timeline_counts(path: pathlib.Path, min_arrows: int) -> tuple[collections.Counter, dict]:
    with open(path) as f:
        timeline = json.load(f)  # an exception fails the test: not JSON
    metadata = timeline["metadata"]
    check(metadata.get("schema") == "commtune.timeline/1", f"{path}: schema {metadata.get('schema')!r}")
    events = timeline["traceEvents"]
    calls = collections.Counter(e["name"] for e in events if e["ph"] == "X")
    tracks = {(e["pid"], e["tid"]) for e in events if e["ph"] == "X"}
    named = {(e["pid"], e["tid"]) for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    check(tracks <= named, f"{path}: tracks without a thread_name: {sorted(tracks - named)}")
    starts = {e["id"]: e for e in events if e["ph"] == "s"}
    finishes = {e["id"]: e for e in events if e["ph"] == "f"}
    check(starts.keys() == finishes.keys(), f"{path}: {len(starts)} arrow starts but {len(finishes)} ends")
    check(len(starts) >= min_arrows, f"{path}: {len(starts)} message arrows, expected at least {min_arrows}")
    for arrow, start in starts.items():
        finish = finishes.get(arrow)
        if finish is not None and finish["pid"] == start["pid"]:
            check(False, f"{path}: arrow {arrow} starts and ends on rank {start['pid']}")
            break
    print(f"check_export: {path}: {sum(calls.values())} calls, {len(starts)} arrows, cut: {metadata.get('cut')}")
    return calls, metadata


def profile_counts(out: pathlib.Path, categories: set[str] | None) -> collections.Counter:
    with open(out / "profile.json") as f:
        profile = json.load(f)
    return collections.Counter({fn["name"]: fn["calls"] for fn in profile["functions"]
                                if fn["calls"] and (categories is None or fn["category"] in categories)})


def check_exports(out: pathlib.Path, anchor: pathlib.Path, timeline: pathlib.Path, options) -> None:
    regions = otf2_enter_counts(options.otf2_print, anchor)
    calls, metadata = timeline_counts(timeline, options.min_arrows)
    check(not metadata.get("cut"), f"{timeline}: cut ({metadata.get('note')}), a test run is small")
    check(regions == calls, f"OTF2 ENTER per region {dict(regions)} != timeline calls {dict(calls)}")
    if options.crashed:
        check(len(metadata.get("incomplete_ranks", [])) > 0, f"{timeline}: no incomplete rank after a crash")
    else:
        expected = profile_counts(out, set(options.categories.split(",")) if options.categories else None)
        check(regions == expected, f"OTF2 ENTER per region {dict(regions)} != profile.json calls {dict(expected)}")


def commtune(options, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([options.commtune, *args], capture_output=True, text=True)
    print(f"check_export: commtune {' '.join(args)} -> {result.returncode}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--commtune", required=True)
    parser.add_argument("--otf2-print", required=True)
    parser.add_argument("--crashed", action="store_true")
    parser.add_argument("--min-arrows", type=int, default=1)
    parser.add_argument("--categories", default="", help="the function categories the run traced")
    options = parser.parse_args()
    out = pathlib.Path(options.out)

    if options.crashed:
        # The logs of a crashed run, exported offline (commtune run has done it too).
        result = commtune(options, "export", str(out))
        check(result.returncode == 0, f"commtune export {out} exited with {result.returncode}: {result.stderr}")
    check_exports(out, out / "otf2" / "traces.otf2", out / "timeline.json", options)

    with tempfile.TemporaryDirectory() as scratch:
        scratch_dir = pathlib.Path(scratch)
        result = commtune(options, "export", str(out), "--otf2", "-o", str(scratch_dir / "archive"))
        check(result.returncode == 0, f"commtune export --otf2 exited with {result.returncode}: {result.stderr}")
        result = commtune(options, "export", str(out), "--timeline", "-o", str(scratch_dir / "t.json"))
        check(result.returncode == 0, f"commtune export --timeline exited with {result.returncode}: {result.stderr}")
        check_exports(out, scratch_dir / "archive" / "traces.otf2", scratch_dir / "t.json", options)
        result = commtune(options, "export", str(out), "--window", "2:1")
        check(result.returncode == 2 and "--window" in result.stderr, f"a bad --window: {result.returncode} {result.stderr}")
        for usage_error in (["--otf2"], [str(out), "--max-events", "x"], [str(out), "--otf2", "--window", "0:1"]):
            result = commtune(options, "export", *usage_error)
            check(result.returncode == 2 and result.stderr != "", f"usage error: {result.returncode} {result.stderr}")
        result = commtune(options, "export", str(scratch_dir))
        check(result.returncode == 1 and "no trace" in result.stderr, f"no trace: {result.returncode} {result.stderr}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
