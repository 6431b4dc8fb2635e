#!/usr/bin/env python3
"""tests/trace many.c: N MPI_Comm_rank calls on one rank with a small trace budget. The decoded
trace holds all N, the logs average at most 16 bytes per call, and the peak resident memory grew by
less than the budget while they were made (the program wrote VmHWM before and after, in KiB)."""

from __future__ import annotations

from trace_common import Problems, arguments, decoded, location


def main() -> int:
    options = arguments([("calls", {"type": int}), ("budget_mib", {"type": float})])
    problems = Problems("check_many")
    trace = decoded(options.trace_json, options.out, counts_only=True)
    entry = location(trace, 0, 0)
    problems.expect_equal("warnings", [], trace["warnings"])
    problems.expect_equal("MPI_Comm_rank calls logged", options.calls,
                          entry["counts"].get("MPI_Comm_rank", 0) if entry else None)
    size = sum(p.stat().st_size for p in (options.out / "trace").glob("*.ctrace"))
    per_call = size / max(1, options.calls)
    if per_call > 16:
        problems.add(f"{per_call:.2f} bytes per call on disk (goal: <= 16)")
    before_kib, after_kib = (int(x) for x in (options.out / "vmhwm.txt").read_text().split())
    growth_mib = (after_kib - before_kib) / 1024
    if growth_mib > options.budget_mib:
        problems.add(f"peak RSS grew by {growth_mib:.1f} MiB during the calls, more than the {options.budget_mib} MiB budget")
    if not problems.items:
        problems.ok(f"{options.calls} calls logged, {per_call:.2f} bytes per call, peak RSS +{growth_mib:.2f} MiB "
                    f"(budget {options.budget_mib} MiB)")
    return problems.report(str(options.out))


if __name__ == "__main__":
    raise SystemExit(main())
