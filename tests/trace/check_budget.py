#!/usr/bin/env python3
"""tests/trace known.c with the smallest budget (64 KiB: one block, taken by the thread that called
MPI_Init): the second thread of each rank gets no buffer, its 7 calls are not logged but counted,
and the reader says so; the main thread's log is whole."""

from __future__ import annotations

from trace_common import Problems, arguments, decoded, location


def main() -> int:
    options = arguments()
    problems = Problems("check_budget")
    trace = decoded(options.trace_json, options.out)
    for rank in (0, 1):
        main_thread = location(trace, rank, 0)
        problems.expect_equal(f"rank {rank} thread 0 complete", True, main_thread and main_thread["complete"])
        problems.expect_equal(f"rank {rank} thread 1 log", None, location(trace, rank, 1))
        warning = f"rank-{rank:05d}.thread-000.ctrace: 7 calls not logged"
        if not any(w.startswith(str(options.out)) and warning in w for w in trace["warnings"]):
            problems.add(f"no warning '{warning}' in {trace['warnings']}")
    if not problems.items:
        problems.ok("the thread beyond the budget is counted, not logged")
    return problems.report(str(options.out))


if __name__ == "__main__":
    raise SystemExit(main())
