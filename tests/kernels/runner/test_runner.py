#!/usr/bin/env python3
"""commtune-kernel-run: rejected parameters (exit 2, one message from rank 0 naming what is
accepted), unknown kernels, and --output.

usage: test_runner.py --runner PATH --ranks N -- LAUNCHER...
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

from runner_checks import exit_status, expect, parse_args


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runner", required=True)
    parser.add_argument("--ranks", type=int, required=True)
    args = parse_args(parser)
    launcher = args.launcher

    def run(*words):
        return subprocess.run(launcher + [args.runner, *words], capture_output=True, text=True, timeout=120)

    bad = run("overlap", "--param", "variant=fast")
    expect(bad.returncode == 2, f"bad choice exits 2 (got {bad.returncode})")
    expect("'variant'" in bad.stderr and "blocking, nonblocking" in bad.stderr,
           f"bad choice names the parameter and the choices: {bad.stderr.strip()[:300]}")
    expect(bad.stderr.count("is not accepted") == 1, "the message is printed once, not once per rank")
    expect(bad.stdout.strip() == "", "no JSON on a rejected parameter")

    out_of_range = run("nonblocking", "--param", "window=0")
    expect(out_of_range.returncode == 2 and "1 .. 65536" in out_of_range.stderr,
           f"out-of-range value names the range: {out_of_range.stderr.strip()[:300]}")

    unknown_param = run("nonblocking", "--param", "size=4")
    expect(unknown_param.returncode == 2 and "unknown parameter 'size'" in unknown_param.stderr
           and "message_bytes" in unknown_param.stderr, "unknown parameter lists the kernel's parameters")

    malformed = run("nonblocking", "--param", "window")
    expect(malformed.returncode == 2 and "name=value" in malformed.stderr, "a --param without '=' is rejected")

    constraint = run("overlap", "--param", "progress_thread=true")
    expect(constraint.returncode == 2 and "variant=nonblocking" in constraint.stderr,
           f"a violated constraint is rejected with its reason: {constraint.stderr.strip()[:300]}")

    unknown_kernel = run("nosuchkernel")
    expect(unknown_kernel.returncode == 2 and "available:" in unknown_kernel.stderr
           and "nonblocking" in unknown_kernel.stderr, "unknown kernel lists the available ones")

    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "result.json")
        ok = run("nonblocking", "--param", "message_bytes=1K", "--iterations", "4", "--warmup", "0", "--output", path)
        expect(ok.returncode == 0, f"a valid run exits 0 (got {ok.returncode}: {ok.stderr.strip()[:300]})")
        expect(ok.stdout.strip() == "", "with --output nothing is printed on standard output")
        try:
            with open(path) as f:
                doc = json.load(f)
        except (OSError, json.JSONDecodeError) as error:
            doc = {}
            expect(False, f"--output file is JSON: {error}")
        expect(doc.get("schema") == "commtune.kernel_result/1", "schema name and version")
        expect(doc.get("params", {}).get("message_bytes") == "1024", "params are canonical (1K -> 1024)")
        expect(doc.get("ranks") == args.ranks, f"ranks = {args.ranks}")
        expect(len(doc.get("iteration_times_s", [])) == 4, "one time per iteration")
        summary = doc.get("summary_s", {})
        times = doc.get("iteration_times_s", [0])
        expect(summary.get("min") == min(times) and summary.get("min", 0) <= summary.get("median", -1)
               <= max(times), "summary matches the samples")
        expect(isinstance(doc.get("mpi_library"), str) and len(doc.get("mpi_library", "")) > 0, "MPI library named")
        expect(isinstance(doc.get("host"), str) and doc.get("host"), "host named")
        expect(doc.get("mpi_thread_level") in ("single", "funneled", "serialized", "multiple"), "thread level")
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
