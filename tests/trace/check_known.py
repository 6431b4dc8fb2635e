#!/usr/bin/env python3
"""tests/trace known.c under `commtune run --trace` on 2 ranks: the decoded trace holds exactly the
program's calls (the same counts as known.c's constants and as profile.json), with the right peers
(world ranks, also on the split communicator), tags, bytes, request ids and completions; the split
communicator has the same id on both ranks; every receive ends after its send began."""

from __future__ import annotations

import json

from trace_common import Problems, arguments, decoded, location

PING_PONGS, EXCHANGES, ALLREDUCES, BCASTS, SUB_ALLREDUCES, THREAD_CALLS = 20, 10, 5, 3, 2, 7


def expected_counts(rank: int) -> dict[str, int]:
    return {
        "MPI_Init_thread": 1, "MPI_Comm_rank": 1, "MPI_Comm_size": 1,
        "MPI_Send": PING_PONGS + (1 if rank == 1 else 0), "MPI_Recv": PING_PONGS + (1 if rank == 0 else 0),
        "MPI_Irecv": EXCHANGES, "MPI_Isend": EXCHANGES, "MPI_Wait": 2 * EXCHANGES,
        "MPI_Allreduce": ALLREDUCES + SUB_ALLREDUCES, "MPI_Bcast": BCASTS,
        "MPI_Comm_split": 1, "MPI_Comm_free": 1, "MPI_Finalize": 1,
    }  # fmt: skip


def check_rank(problems: Problems, trace: dict, rank: int, comm_ids: dict) -> list[dict]:
    main = location(trace, rank, 0)
    if main is None:
        problems.add(f"rank {rank}: no log of thread 0")
        return []
    problems.expect_equal(f"rank {rank} thread 0 complete", True, main["complete"])
    problems.expect_equal(f"rank {rank} thread 0 counts", expected_counts(rank), main["counts"])
    second = location(trace, rank, 1)
    problems.expect_equal(f"rank {rank} thread 1 counts", {"MPI_Comm_rank": THREAD_CALLS},
                          second["counts"] if second else None)
    calls = main["calls"]
    other = 1 - rank
    world = comm_ids["MPI_COMM_WORLD"]
    split = comm_ids["MPI_Comm_split"]
    blocking = [c for c in calls if c["function"] in ("MPI_Send", "MPI_Recv") and c["comm"] == world]
    for index, call in enumerate(c for c in blocking if c["function"] == "MPI_Send"):
        problems.expect_equal(f"rank {rank} MPI_Send {index} (peer, tag, bytes)", (other, index, 16),
                              (call["peer"], call["tag"], call["bytes_sent"]))
    for index, call in enumerate(c for c in blocking if c["function"] == "MPI_Recv"):
        problems.expect_equal(f"rank {rank} MPI_Recv {index} (peer, tag, bytes)", (other, index, 16),
                              (call["peer"], call["tag"], call["bytes_received"]))
    posted = {c["request"]: c for c in calls if c["function"] in ("MPI_Isend", "MPI_Irecv")}
    problems.expect_equal(f"rank {rank}: distinct nonzero request ids", 2 * EXCHANGES, len(posted) - (0 in posted))
    completed = [done for c in calls if c["function"] == "MPI_Wait" for done in c["completions"]]
    problems.expect_equal(f"rank {rank}: each request completed once", sorted(posted), sorted(d["request"] for d in completed))
    for done in completed:
        post = posted.get(done["request"])
        if not post:
            continue
        if post["function"] == "MPI_Irecv":
            problems.expect_equal(f"rank {rank} receive {done['request']} (peer, tag, bytes)",
                                  (True, other, post["tag"], 64), (done["receive"], done["peer"], done["tag"], done["bytes"]))
        else:
            problems.expect_equal(f"rank {rank} send {done['request']} receive flag", False, done["receive"])
            problems.expect_equal(f"rank {rank} Isend (peer, bytes)", (other, 64), (post["peer"], post["bytes_sent"]))
        if done["time_ns"] < post["end_ns"]:
            problems.add(f"rank {rank}: request {done['request']} completes before it was posted")
    for call in calls:
        if call["function"] == "MPI_Allreduce" and call["comm"] not in (world, split):
            problems.add(f"rank {rank}: MPI_Allreduce on communicator {call['comm']}")
        if call["function"] == "MPI_Bcast":
            problems.expect_equal(f"rank {rank} MPI_Bcast root", 1, call["peer"])
    on_split = [c for c in calls if c["comm"] == split]
    problems.expect_equal(f"rank {rank} calls on the split communicator",
                          ["MPI_Allreduce"] * SUB_ALLREDUCES + ["MPI_Send" if rank == 1 else "MPI_Recv"],
                          [c["function"] for c in on_split])
    if on_split:
        problems.expect_equal(f"rank {rank} split point-to-point peer (world rank), tag", (other, 77),
                              (on_split[-1]["peer"], on_split[-1]["tag"]))
    return calls


def send_precedes_receive(problems: Problems, calls: dict[int, list[dict]]) -> None:
    """Every message: the receiving call (or completion) ends after the sending call started."""
    sends: dict[tuple, list[int]] = {}
    for rank, rank_calls in calls.items():
        for c in rank_calls:
            if c["function"] in ("MPI_Send", "MPI_Isend"):
                sends.setdefault((rank, c["peer"], c["tag"], c["comm"]), []).append(c["start_ns"])
    matched = 0
    for rank, rank_calls in calls.items():
        receives = [(c["peer"], c["tag"], c["comm"], c["end_ns"]) for c in rank_calls if c["function"] == "MPI_Recv"]
        posted = {c["request"]: c["comm"] for c in rank_calls if c["function"] == "MPI_Irecv"}
        receives += [(d["peer"], d["tag"], posted[d["request"]], d["time_ns"]) for c in rank_calls
                     for d in c["completions"] if d["receive"] and d["request"] in posted]
        for peer, tag, comm, end in receives:
            starts = sends.get((peer, rank, tag, comm), [])
            if not starts:
                problems.add(f"rank {rank}: a receive (peer {peer}, tag {tag}) has no matching send")
            elif end < min(starts):
                problems.add(f"rank {rank}: receive (peer {peer}, tag {tag}) ends at {end} ns, before its send "
                             f"starts at {min(starts)} ns")
            else:
                matched += 1
    problems.expect_equal("messages matched", 2 * (PING_PONGS + EXCHANGES) + 1, matched)


def main() -> int:
    options = arguments()
    problems = Problems("check_known")
    trace = decoded(options.trace_json, options.out)
    problems.expect_equal("warnings", [], trace["warnings"])
    problems.expect_equal("ranks", 2, trace["ranks"])
    comm_ids = {c["name"]: c["id"] for c in trace["communicators"]}
    split = [c for c in trace["communicators"] if c["name"] == "MPI_Comm_split"]
    problems.expect_equal("split communicators (one id for both ranks)", [[1, 0]], [c["world_ranks"] for c in split])
    calls = {}
    if "MPI_COMM_WORLD" in comm_ids and split:
        calls = {rank: check_rank(problems, trace, rank, comm_ids) for rank in (0, 1)}
        send_precedes_receive(problems, calls)
    profile = json.loads((options.out / "profile.json").read_text())
    traced: dict[str, int] = {}
    for entry in trace["locations"]:
        for name, count in entry["counts"].items():
            traced[name] = traced.get(name, 0) + count
    profiled = {f["name"]: f["calls"] for f in profile["functions"]}
    problems.expect_equal("calls per function, trace vs profile.json", profiled, traced)
    if not problems.items:
        problems.ok(f"{sum(traced.values())} calls, peers, tags, bytes, requests, completions, communicators")
    return problems.report(str(options.out))


if __name__ == "__main__":
    raise SystemExit(main())
