#!/usr/bin/env python3
"""tests/trace filters. `collective`: known.c traced with COMMTUNE_TRACE_FUNCTIONS=collective
holds its collectives (7 MPI_Allreduce, 3 MPI_Bcast per rank) and nothing else. `window START END`:
window.c traced with COMMTUNE_TRACE_WINDOW=START:END holds calls, none starting outside the window
(seconds after rank 0's MPI_Init entry, which every rank learns with its clock offset; 20 ms of
slack for the clock offset and rate)."""

from __future__ import annotations

from trace_common import Problems, arguments, decoded

SLACK_NS = 20_000_000


def main() -> int:
    options = arguments([("kind", {"choices": ["collective", "window"]}),
                         ("window", {"type": float, "nargs": "*"})])
    problems = Problems("check_filter")
    trace = decoded(options.trace_json, options.out)
    calls = [c for entry in trace["locations"] for c in entry.get("calls", [])]
    if options.kind == "collective":
        for entry in trace["locations"]:
            if entry["thread"] == 0:
                problems.expect_equal(f"rank {entry['rank']} counts", {"MPI_Allreduce": 7, "MPI_Bcast": 3},
                                      entry["counts"])
            elif entry["counts"]:
                problems.add(f"rank {entry['rank']} thread {entry['thread']}: {entry['counts']}")
    else:
        start_ns, end_ns = (int(s * 1e9) for s in options.window)
        if not calls:
            problems.add("no call in the window")
        outside = [c for c in calls if not start_ns - SLACK_NS <= c["start_ns"] < end_ns + SLACK_NS]
        problems.expect_equal("calls outside the window", [], [(c["function"], c["start_ns"]) for c in outside][:5])
        functions = {c["function"] for c in calls}
        problems.expect_equal("functions in the window", {"MPI_Barrier", "MPI_Comm_rank"}, functions)
    if not problems.items:
        problems.ok(f"{options.kind}: {len(calls)} calls, none outside the filter")
    return problems.report(str(options.out))


if __name__ == "__main__":
    raise SystemExit(main())
