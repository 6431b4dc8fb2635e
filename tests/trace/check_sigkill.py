#!/usr/bin/env python3
"""tests/trace sigkill.c: rank 1 SIGKILLed itself after N exchanges, a pause longer than the flush
interval and one more call. Its log must read (incomplete) with at least every call before the
pause; rank 0, ended by the launcher while waiting for it, has every call it made before its
barrier. Neither log may claim to be complete."""

from __future__ import annotations

from trace_common import Problems, arguments, decoded, location


def main() -> int:
    options = arguments([("exchanges", {"type": int})])
    problems = Problems("check_sigkill")
    trace = decoded(options.trace_json, options.out)
    for rank in (0, 1):
        entry = location(trace, rank, 0)
        if entry is None:
            problems.add(f"rank {rank}: no log")
            continue
        problems.expect_equal(f"rank {rank} complete", False, entry["complete"])
        counts = entry["counts"]
        problems.expect_equal(f"rank {rank} MPI_Sendrecv_replace calls", options.exchanges,
                              counts.get("MPI_Sendrecv_replace", 0))
        # The call after the pause is the one that found its block old and wrote it.
        problems.expect_equal(f"rank {rank} MPI_Comm_rank calls", 2, counts.get("MPI_Comm_rank", 0))
        problems.expect_equal(f"rank {rank} MPI_Init", 1, counts.get("MPI_Init", 0))
        if not any(str(w).find(f"rank-{rank:05d}.thread-000") >= 0 for w in trace["warnings"]):
            problems.add(f"rank {rank}: no warning names its incomplete log")
    if not problems.items:
        problems.ok(f"both logs read up to their last flush ({options.exchanges} exchanges each)")
    return problems.report(str(options.out))


if __name__ == "__main__":
    raise SystemExit(main())
