#!/usr/bin/env python3
"""Checks that profile.json's communication matrix agrees with its per-function byte counts, on
any complete profile (the tests run it on LAMMPS and hpcc).

usage: check_matrix.py PROFILE_DIR

The matrix holds the point-to-point sends of every rank (row = sender's world rank, column =
receiver's); the functions table credits every point-to-point send to the function that made it
(persistent sends at MPI_Start, in the row of MPI_Send_init and the like). Both count the same
bytes, so:
  - comm_matrix is ranks x ranks: "ranks" equals profile["ranks"]; "bytes" and "messages" have
    that many rows of that many numbers (or, above 256 ranks, "pairs" [[src, dst, messages, bytes]]
    within range);
  - sum(comm_matrix.bytes) == sum of bytes_sent over the functions of category "p2p" (no exception:
    collectives, one-sided and I/O are other categories; sends to MPI_PROC_NULL count in neither);
    and row r of the matrix sums to rank r's p2p bytes_sent (per_rank);
  - total_bytes and total_messages equal the sums of the matrix, and sum(messages) > 0;
  - PROFILE_DIR/summary.txt exists and contains the headings "Top call sites" and
    "Communication matrix".
Exits 0 when all hold, 1 with one line per failure otherwise. Python 3 stdlib only.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from profile_common import Fatal, Problems, functions_by_name, load_profile, require

HEADINGS = ("Top call sites", "Communication matrix")


def matrix_rows(matrix: dict, ranks: int, problems: Problems) -> tuple[list[int], list[int]] | None:
    """Per-sender sums of bytes and of messages, after checking the shape."""
    if "bytes" in matrix or "messages" in matrix:
        rows = {}
        for key in ("bytes", "messages"):
            table = require(matrix, key, "comm_matrix", list)
            if len(table) != ranks or any(not isinstance(row, list) or len(row) != ranks for row in table):
                shape = f"{len(table)} rows of lengths {sorted({len(r) if isinstance(r, list) else -1 for r in table})}"
                problems.add(f"comm_matrix.{key} is not {ranks} x {ranks}: {shape}")
                return None
            if any(not isinstance(v, int) or v < 0 for row in table for v in row):
                problems.add(f"comm_matrix.{key} holds something other than non-negative integers")
                return None
            rows[key] = [sum(row) for row in table]
        return rows["bytes"], rows["messages"]
    pairs = require(matrix, "pairs", "comm_matrix (no bytes/messages: expected pairs)", list)
    if ranks <= 256:
        problems.add(f"comm_matrix has 'pairs' instead of dense 'bytes'/'messages' with only {ranks} ranks (<= 256)")
    by_bytes, by_messages = [0] * ranks, [0] * ranks
    for pair in pairs:
        if not (isinstance(pair, list) and len(pair) == 4 and all(isinstance(v, int) for v in pair)
                and 0 <= pair[0] < ranks and 0 <= pair[1] < ranks):
            problems.add(f"comm_matrix.pairs entry {pair!r} is not [src, dst, messages, bytes] within {ranks} ranks")
            return None
        by_messages[pair[0]] += pair[2]
        by_bytes[pair[0]] += pair[3]
    return by_bytes, by_messages


def check(directory: pathlib.Path, problems: Problems) -> None:
    profile = load_profile(directory, problems)
    if profile.get("complete") is not True:
        problems.add(f"profile.json: complete is {profile.get('complete')!r}, expected true")
    ranks = require(profile, "ranks", "profile.json", int)
    matrix = require(profile, "comm_matrix", "profile.json", dict)
    problems.expect_equal("comm_matrix.ranks", ranks, matrix.get("ranks"))
    sums = matrix_rows(matrix, ranks, problems)

    functions = require(profile, "functions", "profile.json", list)
    categories = {row.get("name"): row.get("category") for row in functions}
    p2p = [row for row in functions if row.get("category") == "p2p"]
    p2p_bytes = sum(row.get("bytes_sent", 0) for row in p2p)
    check_summary(directory, problems)
    if sums is None:
        return
    row_bytes, row_messages = sums
    matrix_bytes, matrix_messages = sum(row_bytes), sum(row_messages)
    senders = ", ".join(f"{row['name']} {row.get('bytes_sent', 0)}" for row in p2p if row.get("bytes_sent", 0))
    if matrix_bytes != p2p_bytes:
        problems.add(f"sum(comm_matrix.bytes) is {matrix_bytes}, but the p2p functions sent {p2p_bytes} bytes "
                     f"(difference {matrix_bytes - p2p_bytes:+d}; p2p bytes_sent: {senders or 'none'})")
    else:
        problems.ok(f"sum(comm_matrix.bytes) = {matrix_bytes} = p2p bytes_sent ({senders})")
    if matrix_messages <= 0:
        problems.add(f"sum(comm_matrix.messages) is {matrix_messages}, expected > 0 (the program sends messages)")
    for field, value in (("total_bytes", matrix_bytes), ("total_messages", matrix_messages)):
        if field in matrix and matrix[field] != value:
            problems.add(f"comm_matrix.{field} is {matrix[field]}, but the matrix sums to {value}")

    # Row by row: what rank r sent, as the matrix and as rank r's functions see it.
    for entry in require(profile, "per_rank", "profile.json", list):
        rank = entry.get("rank")
        if not isinstance(rank, int) or not 0 <= rank < ranks:
            problems.add(f"per_rank entry with rank {rank!r} outside 0..{ranks - 1}")
            continue
        rows = functions_by_name(entry.get("functions", []), f"per_rank rank {rank}")
        sent = sum(row.get("bytes_sent", 0) for name, row in rows.items()
                   if (row.get("category") or categories.get(name)) == "p2p")
        if row_bytes[rank] != sent:
            problems.add(f"rank {rank}: matrix row sums to {row_bytes[rank]} bytes, but the rank's p2p functions sent "
                         f"{sent} (difference {row_bytes[rank] - sent:+d})")


def check_summary(directory: pathlib.Path, problems: Problems) -> None:
    summary = directory / "summary.txt"
    if not summary.is_file():
        problems.add(f"{summary} does not exist")
    else:
        text = summary.read_text(errors="replace")
        for heading in HEADINGS:
            if heading not in text:
                problems.add(f"{summary} has no heading {heading!r}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile_dir", help="commtune's output directory (holds profile.json)")
    options = parser.parse_args(argv)
    problems = Problems("check_matrix")
    try:
        check(pathlib.Path(options.profile_dir), problems)
    except Fatal as error:
        problems.add(str(error))
    return problems.report(f"{options.profile_dir}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
