"""Shared by the tests/trace checkers: the decoded trace of a run directory (through the
trace_json helper, which calls the reader library) and failure collection."""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "profile"))
from profile_common import Problems  # noqa: E402


def arguments(extra: list[tuple[str, dict]] = ()) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=pathlib.Path, help="commtune's output directory")
    for name, options in extra:
        parser.add_argument(name, **options)
    parser.add_argument("--trace-json", required=True, help="the trace_json helper")
    return parser.parse_args()


def decoded(trace_json: str, out: pathlib.Path, counts_only: bool = False) -> dict:
    command = [trace_json, str(out)] + (["--counts"] if counts_only else [])
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        print(f"{' '.join(command)} failed ({result.returncode}): {result.stderr}", file=sys.stderr)
        sys.exit(1)
    return json.loads(result.stdout)


def location(trace: dict, rank: int, thread: int) -> dict | None:
    for entry in trace["locations"]:
        if entry["rank"] == rank and entry["thread"] == thread:
            return entry
    return None
