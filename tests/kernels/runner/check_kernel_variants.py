#!/usr/bin/env python3
"""Runs one kernel's variants through commtune-kernel-run and compares their checksums.

usage: check_kernel_variants.py --runner PATH --kernel NAME --ranks N [--iterations N]
           --variant "variant=a" --variant "variant=b,k=v" ... [--config "k=v,k=v" ...] -- LAUNCHER...

For every config, every variant must print a valid commtune.kernel_result/1 document and all of them
the same checksum; two different configs (when given) must not share a checksum, which shows the
checksum depends on the delivered data at all. Exit status 0 when everything holds, 1 otherwise.
"""
import argparse
import json
import subprocess
import sys

from runner_checks import parse_args

REQUIRED_KEYS = ["schema", "kernel", "params", "ranks", "iterations", "iteration_times_s", "summary_s", "metrics",
                 "checksum", "notes", "host", "mpi_library"]


def pairs(text):
    result = []
    for item in filter(None, text.split(",")):
        result += ["--param", item]
    return result


def run(launcher, runner, kernel, params, iterations):
    command = launcher + [runner, kernel, "--iterations", str(iterations), "--warmup", "1"] + params
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}\n{done.stderr}")
    return json.loads(done.stdout), command


def check_document(doc, kernel, ranks, iterations):
    problems = [f"missing key '{key}'" for key in REQUIRED_KEYS if key not in doc]
    if doc.get("schema") != "commtune.kernel_result/1":
        problems.append(f"schema is {doc.get('schema')!r}")
    if doc.get("kernel") != kernel:
        problems.append(f"kernel is {doc.get('kernel')!r}")
    if doc.get("ranks") != ranks:
        problems.append(f"ranks is {doc.get('ranks')}, launched {ranks}")
    times = doc.get("iteration_times_s", [])
    if len(times) != iterations or any(not isinstance(t, (int, float)) or t < 0 for t in times):
        problems.append(f"iteration_times_s has {len(times)} entries (want {iterations} non-negative numbers)")
    checksum = doc.get("checksum", "")
    if len(checksum) != 16 or any(c not in "0123456789abcdef" for c in checksum):
        problems.append(f"checksum {checksum!r} is not 16 hex digits")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runner", required=True)
    parser.add_argument("--kernel", required=True)
    parser.add_argument("--ranks", type=int, required=True)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--variant", action="append", required=True)
    parser.add_argument("--config", action="append", default=[])
    args = parse_args(parser)
    launcher = args.launcher
    configs = args.config or [""]

    failures = []
    checksum_of_config = {}
    for config in configs:
        checksums = {}
        for variant in args.variant:
            try:
                doc, command = run(launcher, args.runner, args.kernel, pairs(config) + pairs(variant), args.iterations)
            except (RuntimeError, json.JSONDecodeError, subprocess.TimeoutExpired) as error:
                failures.append(f"[{config}] [{variant}]: {error}")
                continue
            for problem in check_document(doc, args.kernel, args.ranks, args.iterations):
                failures.append(f"[{config}] [{variant}]: {problem}")
            checksums[variant] = doc.get("checksum")
            print(f"{args.kernel} np={args.ranks} [{config}] [{variant}] checksum={doc.get('checksum')} "
                  f"median={doc.get('summary_s', {}).get('median', float('nan')):.3g}s")
        if len(set(checksums.values())) > 1:
            failures.append(f"[{config}]: checksums differ between variants: {checksums}")
        if checksums:
            checksum_of_config[config] = next(iter(checksums.values()))
    if len(configs) > 1 and len(set(checksum_of_config.values())) < len(checksum_of_config):
        failures.append(f"different configs share a checksum (is it computed from the data?): {checksum_of_config}")
    for failure in failures:
        print("FAIL", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
