#!/usr/bin/env python3
"""Measures what compressibility sampling adds to a stream of 1 MiB sends: runs
commtune-bench-payload under the preload library with COMMTUNE_COMPRESS_SAMPLE at its default
(or --every) and at 0 (off), alternating the two (and which goes first) so that the machine's
noise hits both alike, and
prints per kind of data the median time of each, the median ratio of consecutive (paired) runs and
the ratio of the fastest runs, and the codec
time per message the profiles themselves recorded (the part of the overhead that is compression).

  python3 pmpi_hooks/bench/payload_overhead.py --build build [--runs 11] [--messages 2000]
      [--data doubles,ids,random] [--every N] [--sample-bytes B] [--markdown]
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import tempfile


def run(command, env):
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    return next(json.loads(line) for line in out.splitlines() if line.startswith("{"))


def codec_seconds(output):
    """lz4 + zstd time recorded in the last run's profile.json, summed over its call sites, and
    the sampling period it used."""
    profile = json.loads((pathlib.Path(output) / "profile.json").read_text())
    total = 0.0
    for site in profile["callsites"]:
        c = site.get("compressibility")
        if c:
            total += sum(c["sampled_bytes"] / (c[k] * 1e6) for k in ("lz4_mb_per_s", "zstd1_mb_per_s") if c[k] > 0)
    return total, profile["compressibility"]["sample_every"], profile["compressibility"]["sample_bytes"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--messages", default="2000")
    parser.add_argument("--bytes", default=str(1 << 20))
    parser.add_argument("--data", default="doubles,ids,random")
    parser.add_argument("--every", default="", help="COMMTUNE_COMPRESS_SAMPLE when on (default: the library's)")
    parser.add_argument("--sample-bytes", default="", help="COMMTUNE_COMPRESS_SAMPLE_BYTES (default: the library's)")
    parser.add_argument("--launcher", default="mpirun")
    parser.add_argument("--markdown", action="store_true")
    options = parser.parse_args()
    build = pathlib.Path(options.build).resolve()
    bench = str(build / "bin" / "commtune-bench-payload")
    library = str(build / "lib" / "libcommtune_pmpi.so")
    output = tempfile.mkdtemp(prefix="commtune-bench-payload-")
    base = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("COMMTUNE_")}
    base.update(LD_PRELOAD=library, COMMTUNE_QUIET="1", COMMTUNE_OUTPUT=output)
    on = dict(base)
    if options.every:
        on["COMMTUNE_COMPRESS_SAMPLE"] = options.every
    if options.sample_bytes:
        on["COMMTUNE_COMPRESS_SAMPLE_BYTES"] = options.sample_bytes
    configurations = {"sampling on": on, "sampling off": dict(base, COMMTUNE_COMPRESS_SAMPLE="0")}
    rows = []
    for data in options.data.split(","):
        # The bench's own codec timing uses the library's sample size (learnt from the first profile).
        command = [options.launcher, "-np", "2", bench, options.messages, options.bytes, data]
        if options.sample_bytes:
            command.append(options.sample_bytes)
        times = {name: [] for name in configurations}
        codec = []
        cpu = []
        for run_index in range(options.runs):
            order = list(configurations.items())
            if run_index % 2:  # alternate which goes first: a trend in the load must not favour one
                order.reverse()
            for name, env in order:
                result = run(command, env)
                times[name].append(result["seconds"])
                cpu.append(result["codec_cpu_us"])
                if env is on:
                    seconds, every, sample_bytes = codec_seconds(output)
                    codec.append(seconds)
        on_s, off_s = (statistics.median(times[name]) for name in configurations)
        on_min, off_min = (min(times[name]) for name in configurations)
        # Consecutive runs share the machine's load: the median of their ratios resists it best.
        paired = statistics.median(a / b for a, b in zip(*(times[name] for name in configurations)))
        codec_us = statistics.median(codec) / int(options.messages) * 1e6
        off_us = off_min / int(options.messages) * 1e6
        cpu_us = statistics.median(cpu) / every  # one sample's CPU time, spread over the sends it stands for
        rows.append((data, off_s, on_s, paired, on_min / off_min, off_us, codec_us, cpu_us))
    if options.markdown:
        print("| data | off, median (s) | on, median (s) | on/off, median of paired runs | on/off, fastest | "
              "fastest send, off | codec wall time per send (profiles) | codec CPU time per send |")
        print("|---|---|---|---|---|---|---|---|")
        for data, off_s, on_s, ratio, ratio_min, off_us, codec_us, cpu_us in rows:
            print(f"| {data} | {off_s:.4f} | {on_s:.4f} | {ratio:.4f} | {ratio_min:.4f} | {off_us:.1f} µs | "
                  f"{codec_us:.2f} µs ({codec_us / off_us * 100:.2f}%) | {cpu_us:.2f} µs ({cpu_us / off_us * 100:.2f}%) |")
    else:
        for data, off_s, on_s, ratio, ratio_min, off_us, codec_us, cpu_us in rows:
            print(f"cpu {cpu_us:.2f} us per send; {data:8s} median off {off_s:.4f} s on {on_s:.4f} s on/off (paired) {ratio:.4f}; fastest on/off "
                  f"{ratio_min:.4f}; send {off_us:.1f} us, codec {codec_us:.2f} us per send ({codec_us / off_us * 100:.2f}%)")


if __name__ == "__main__":
    main()
