#!/usr/bin/env python3
"""Writes synthetic rank dumps (schema commtune.rank/1, docs/profile.md) of an N-rank run into
DIR/ranks/, for `commtune report DIR` to merge and report: the 1,024-rank report test and its
measurement (docs/performance.md), and the --compare tests. Python 3 stdlib only.

usage: make_rank_dumps.py DIR --ranks N [--send-scale F] [--seed S] [--program P] [--command C]

The run: every rank sends to its two ring neighbours and to the rank N/2 away (a heavy pair),
waits in an MPI_Allreduce whose waiting grows with the rank (planted imbalance), and posts
MPI_Irecv requests. --send-scale multiplies the MPI_Send times (a planted change for --compare);
--seed adds a few percent of noise to every time (repeated runs).
"""

import argparse
import json
import pathlib
import random

TICKS_PER_SECOND = 1_000_000_000
MS = TICKS_PER_SECOND // 1000


def size_bin(nbytes: int) -> int:
    """The bin of docs/profile.md: 0 for 0 bytes, else floor(log2(bytes)) + 1."""
    return 0 if nbytes == 0 else nbytes.bit_length()


def rank_dump(rank: int, size: int, args, noise) -> dict:
    send_bytes = 65536
    sends = 200
    send_ticks = int(sends * 0.02 * MS * args.send_scale * noise())
    reduce_ticks = int((2 + 6 * rank / max(1, size - 1)) * MS * noise())
    init_ticks = int(50 * MS * noise())
    wall_ns = int(1000 * MS * noise())
    partners = sorted({(rank + 1) % size, (rank - 1) % size, (rank + size // 2) % size} - {rank})
    heavy = (rank + size // 2) % size
    matrix = [[p, sends if p == heavy else 10, send_bytes * (sends if p == heavy else 10)] for p in partners]
    sites = [
        {"function": "MPI_Init", "region": 0, "frames": [], "calls": 1, "ticks": init_ticks,
         "min_ticks": init_ticks, "max_ticks": init_ticks},
        {"function": "MPI_Send", "region": 0, "frames": [[0, 4096], [0, 8192]], "calls": sum(m[1] for m in matrix),
         "ticks": send_ticks, "min_ticks": send_ticks // (2 * sends), "max_ticks": send_ticks // sends * 2,
         "bytes_sent": sum(m[2] for m in matrix), "sent_sizes": [[size_bin(send_bytes), sum(m[1] for m in matrix)]],
         "wait_kind": "late_receiver", "wait_calls": 10, "wait_ticks": send_ticks // 4, "wait_bytes": 10 * send_bytes},
        {"function": "MPI_Allreduce", "region": 1, "frames": [[0, 12288], [0, 16384]], "calls": 100,
         "ticks": reduce_ticks, "min_ticks": reduce_ticks // 200, "max_ticks": reduce_ticks // 50,
         "bytes_sent": 800, "bytes_received": 800, "sent_sizes": [[size_bin(8), 100]],
         "received_sizes": [[size_bin(8), 100]], "wait_kind": "collective", "wait_calls": 100,
         "wait_ticks": reduce_ticks // 2, "wait_bytes": 800, "comm_size": size},
        {"function": "MPI_Irecv", "region": 0, "frames": [[0, 20480]], "calls": 30, "ticks": 30 * 1000,
         "min_ticks": 500, "max_ticks": 2000, "bytes_received": 30 * send_bytes,
         "received_sizes": [[size_bin(send_bytes), 30]], "requests": 30,
         "request_life_ticks": 30 * MS, "request_inside_ticks": 8 * MS},
        {"function": "MPI_Wait", "region": 0, "frames": [[0, 24576]], "calls": 30, "ticks": 8 * MS},
        {"function": "MPI_Finalize", "region": 0, "frames": [], "calls": 1, "ticks": 0},
    ]
    return {
        "schema": "commtune.rank/1", "reason": "finalize", "rank": rank, "size": size, "pid": 10000 + rank,
        "host": f"node{rank // 32:03d}", "program": args.program, "command": args.command,
        "mpi_library": "Open MPI v4.1.4", "clock": "tsc", "ticks_per_second": TICKS_PER_SECOND,
        "start_unix_ns": 1_700_000_000_000_000_000 + rank, "wall_ns": wall_ns, "init_ns": init_ticks,
        "threads": 1, "untracked_requests": 0, "callsite_depth": 2, "regions": ["", "solver"],
        "modules": [{"id": 0, "path": "/opt/synthetic/app"}], "size_floor_ticks": [[size_bin(send_bytes), 5000]],
        "sites": sites, "matrix": matrix,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=pathlib.Path)
    parser.add_argument("--ranks", type=int, required=True)
    parser.add_argument("--send-scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0, help="0: no noise")
    parser.add_argument("--program", default="synthetic")
    parser.add_argument("--command", default=None)
    args = parser.parse_args()
    if args.command is None:
        args.command = f"mpirun -np {args.ranks} ./{args.program}"
    generator = random.Random(args.seed)
    noise = (lambda: 1 + generator.uniform(-0.03, 0.03)) if args.seed else (lambda: 1.0)
    ranks = args.dir / "ranks"
    ranks.mkdir(parents=True, exist_ok=True)
    for rank in range(args.ranks):
        (ranks / f"rank-{rank:05d}.json").write_text(json.dumps(rank_dump(rank, args.ranks, args, noise)))


if __name__ == "__main__":
    main()
