#!/usr/bin/env python3
"""A traced run of any program (here the Fortran mpi_f08 program of tests/profile): every log
complete, no warning, the calls per function equal to profile.json's, and the point-to-point calls
of a 2-rank run addressed to the other rank with nonzero bytes."""

from __future__ import annotations

import json

from trace_common import Problems, arguments, decoded


def main() -> int:
    options = arguments()
    problems = Problems("check_counts")
    trace = decoded(options.trace_json, options.out)
    problems.expect_equal("warnings", [], trace["warnings"])
    traced: dict[str, int] = {}
    for entry in trace["locations"]:
        problems.expect_equal(f"rank {entry['rank']} thread {entry['thread']} complete", True, entry["complete"])
        for name, count in entry["counts"].items():
            traced[name] = traced.get(name, 0) + count
        for call in entry.get("calls", []):
            if call["function"] in ("MPI_Send", "MPI_Recv"):
                moved = call["bytes_sent"] + call["bytes_received"]
                problems.expect_equal(f"rank {entry['rank']} {call['function']} (peer, some bytes)",
                                      (1 - entry["rank"], True), (call["peer"], moved > 0))
    profile = json.loads((options.out / "profile.json").read_text())
    problems.expect_equal("calls per function, trace vs profile.json",
                          {f["name"]: f["calls"] for f in profile["functions"]}, traced)
    if not problems.items:
        problems.ok(f"{sum(traced.values())} calls, as profile.json counts them")
    return problems.report(str(options.out))


if __name__ == "__main__":
    raise SystemExit(main())
