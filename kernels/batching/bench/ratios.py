#!/usr/bin/env python3
"""Summarises commtune-bench-batching's JSON output (stdin or a file) as the speed goals, each a
ratio to its reference measured in the same benchmark iteration, with PASS/MISS:
  - MessageAggregator packing vs memcpy of the same messages (goal pack_vs_memcpy >= 0.70);
  - CompressedChannel encode/decode vs the bare codec (goal channel_vs_bare >= 0.90: within 10%).
With --benchmark_repetitions the medians are used. Exit code 1 when any goal is missed."""
import json
import re
import sys


UNIT_NS = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}


def load(stream):
    doc = json.load(stream)
    repeated = any(b.get("run_type") == "aggregate" for b in doc["benchmarks"])
    rows = {}
    for bench in doc["benchmarks"]:
        if repeated and bench.get("aggregate_name") != "median":
            continue
        if bench.get("error_occurred"):
            continue
        rows[re.sub(r"/min_time:[0-9.]+", "", bench.get("run_name", bench["name"]))] = bench
    return rows


def main():
    rows = load(open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin)
    misses = 0
    print("| message bytes | memcpy GB/s | aggregator GB/s | ns per message | aggregator / memcpy | goal >= 0.70 |")
    print("|---:|---:|---:|---:|---:|---|")
    for name, b in rows.items():
        m = re.fullmatch(r"BM_PackVsMemcpy/message_bytes:(\d+)/flush_interval_us:(\d+)", name)
        if not m:
            continue
        ratio = b["pack_vs_memcpy"]
        ok = ratio >= 0.70
        misses += not ok
        label = m.group(1) + ("" if m.group(2) == "0" else f" (flush_interval {m.group(2)} us)")
        print(f"| {label} | {b['memcpy_GBps']:.2f} | {b['pack_GBps']:.2f} | {b['pack_ns_per_message']:.1f} | "
              f"{ratio:.2f} | {'PASS' if ok else 'MISS'} |")
    print()
    print("| codec-level / data | compression ratio | bare compress GB/s | channel encode GB/s | encode / bare |"
          " bare decompress GB/s | channel decode GB/s | decode / bare | goal >= 0.90 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, b in rows.items():
        m = re.fullmatch(r"BM_EncodeVsBare/(.+)", name)
        if not m:
            continue
        d = rows.get(f"BM_DecodeVsBare/{m.group(1)}")
        ratios = [b["channel_vs_bare"]] + ([d["channel_vs_bare"]] if d else [])
        ok = min(ratios) >= 0.90
        misses += not ok
        raw = "" if b["compressed"] else " (sent raw)"
        decode = (f"{d['bare_GBps']:.2f} | {d['channel_GBps']:.2f} | {d['channel_vs_bare']:.2f}" if d
                  else "- | - | -")
        print(f"| {m.group(1)}{raw} | {b['ratio']:.2f} | {b['bare_GBps']:.2f} | {b['channel_GBps']:.2f} | "
              f"{b['channel_vs_bare']:.2f} | {decode} | {'PASS' if ok else 'MISS'} |")
    print()
    print("| zstd-1 + shuffle, smooth doubles: message bytes | ratio | encode GB/s | ns per message |")
    print("|---:|---:|---:|---:|")
    for name, b in rows.items():
        m = re.fullmatch(r"BM_EncodeBySize/message_bytes:(\d+)", name)
        if m:
            print(f"| {m.group(1)} | {b['ratio']:.2f} | {b['bytes_per_second'] / 1e9:.2f} | "
                  f"{b['cpu_time'] * UNIT_NS[b['time_unit']]:.0f} |")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
