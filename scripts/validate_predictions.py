#!/usr/bin/env python3
"""Predicted against measured gains of the planted programs (tests/analysis/planted/*.c).

For each planted program: run it under `commtune run`, `commtune analyze` it, and take the
predicted gain of the recommendation of the planted technique from recommendations.yaml; then run
the program without the profiler as it is and with --fixed, interleaved, --repetitions times each,
and take the difference of the medians as the measured gain. Where the batching kernel can be
configured like the planted exchange, it is run too (both variants, interleaved) and its saving per
exchange is scaled to the program's exchanges. Prints a table and the median relative error of the
predictions (|predicted - measured| / measured, over the rows that have a measured gain).

  scripts/validate_predictions.py --build build --db /tmp/v/shm.sqlite --shaped-db /tmp/v/shaped.sqlite
The databases are those of tests/analysis (run_planted.py sweeps ...). Needs root and tc for the
shaped link (compressible). Python 3 with PyYAML.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import shlex
import statistics
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
TCP_MCA = ["--mca", "btl", "self,tcp", "--mca", "btl_tcp_if_include", "lo"]

# program, ranks, link, the planted technique, kernel comparison (or None), hardware description.
CASES = [
    {"program": "small_messages", "ranks": 2, "link": "shm", "technique": "batching",
     "kernel": {"params": {"message_bytes": "128", "message_count": "400000", "batch_bytes": "64K", "data": "random"},
                "before": "individual", "after": "batched", "exchanges": 2}},
    {"program": "blocking_beside_compute", "ranks": 2, "link": "shaped", "technique": "overlap", "kernel": None},
    {"program": "imbalance", "ranks": 2, "link": "shm", "technique": "load_balance", "kernel": None},
    {"program": "compressible", "ranks": 2, "link": "shaped", "technique": "compression",
     "kernel": {"params": {"message_bytes": "1M", "message_count": "1", "data": "ids", "level": "1"},
                "before": "individual", "after": "compressed", "exchanges": 24}},
    {"program": "heavy_pairs", "ranks": 4, "link": "shm", "technique": "topology", "kernel": None,
     "hardware": "configs/hardware/example-2-nodes.yaml", "measurable": False},
    {"program": "clean", "ranks": 2, "link": "shm", "technique": None, "kernel": None, "measurable": False},
]


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMTUNE_") and k != "LD_PRELOAD"}
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_pml="ob1")
    return env


def run(command: list[str], verbose: bool) -> str:
    if verbose:
        print(f"$ {shlex.join(command)}", file=sys.stderr, flush=True)
    result = subprocess.run(command, env=environment(), capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"validate_predictions: exit status {result.returncode}: {shlex.join(command)}")
    return result.stdout


def launcher(case: dict) -> list[str]:
    # --oversubscribe only where needed: it makes idle ranks yield the core (mpi_yield_when_idle).
    words = ["mpirun", "-np", str(case["ranks"])] + (["--oversubscribe"] if case["ranks"] > os.cpu_count() else [])
    return words + (TCP_MCA if case["link"] in ("tcp", "shaped") else [])


def shaped(command: list[str], case: dict) -> list[str]:
    return [str(ROOT / "scripts" / "shaped-link.sh"), "--"] + command if case["link"] == "shaped" else command


def database_hardware(commtune: str, db: str, options) -> str:
    points = json.loads(run([commtune, "results", "--db", db, "--format", "json"], options.verbose))["points"]
    ids = sorted({point["hardware_id"] for point in points})
    if len(ids) != 1:
        raise SystemExit(f"validate_predictions: {db} holds {len(ids)} fingerprints ({ids}); expected one")
    return ids[0]


def predicted(case: dict, options) -> tuple[dict | None, dict]:
    out = pathlib.Path(options.work) / case["program"]
    commtune = str(pathlib.Path(options.build) / "bin" / "commtune")
    program = str(pathlib.Path(options.build) / "bin" / f"planted_{case['program']}")
    run(shaped([commtune, "run", "-o", str(out), "--quiet", "--compress-sample=4", "--"] + launcher(case) + [program],
               case), options.verbose)
    db = options.shaped_db if case["link"] == "shaped" else options.db
    # The runs here are made without the test environment's MPI settings (the tests' databases
    # carry OMPI_MCA_rmaps_base_oversubscribe), so their own fingerprints differ from the
    # databases': analyse against the database's one fingerprint unless a description is named.
    hardware = str(ROOT / case["hardware"]) if case.get("hardware") else database_hardware(commtune, db, options)
    command = [commtune, "analyze", str(out), "--db", db, "--hardware", hardware]
    run(command, options.verbose)
    document = yaml.safe_load((out / "recommendations.yaml").read_text())
    chosen = [r for r in document.get("recommendations") or [] if r.get("technique") == case["technique"]]
    return (chosen[0] if chosen else None), document


def program_time_s(case: dict, options, fixed_args: list[str]) -> float:
    program = str(pathlib.Path(options.build) / "bin" / f"planted_{case['program']}")
    output = run(shaped(launcher(case) + [program] + fixed_args, case), options.verbose)
    match = re.search(r"time_s=([0-9.]+)", output)
    if not match:
        raise SystemExit(f"validate_predictions: no time_s in the output of {case['program']}: {output!r}")
    return float(match.group(1))


def kernel_median_s(case: dict, options, variant: str, codec: str) -> float:
    commtune = str(pathlib.Path(options.build) / "bin" / "commtune")
    command = [commtune, "kernel", "batching", "--param", f"variant={variant}", "--param", f"codec={codec}"]
    for name, value in case["kernel"]["params"].items():
        command += ["--param", f"{name}={value}"]
    command += ["--iterations", "10", "--"] + launcher(case)
    output = run(shaped(command, case), options.verbose)
    return float(json.loads(output[output.index("{"):])["summary_s"]["median"])


def measure(case: dict, recommendation: dict | None, options) -> dict:
    fixed_args = ["--fixed"]
    codec = (recommendation or {}).get("parameters", {}).get("codec", "lz4")
    if case["program"] == "compressible":
        fixed_args += ["--codec", codec if codec in ("lz4", "zstd") else "lz4"]
    before, after, kernel_before, kernel_after = [], [], [], []
    for _ in range(options.repetitions):  # interleaved, so that a change in the machine's load hits both
        before.append(program_time_s(case, options, []))
        after.append(program_time_s(case, options, fixed_args))
        if case["kernel"]:
            kernel_before.append(kernel_median_s(case, options, case["kernel"]["before"], codec))
            kernel_after.append(kernel_median_s(case, options, case["kernel"]["after"], codec))
    result = {"before_s": statistics.median(before), "after_s": statistics.median(after),
              "fixed_args": fixed_args}
    result["measured_s"] = result["before_s"] - result["after_s"]
    if case["kernel"]:
        per_exchange_s = statistics.median(kernel_before) - statistics.median(kernel_after)
        result["kernel_s"] = per_exchange_s * case["kernel"]["exchanges"]
    return result


def relative_error(predicted_s: float, measured_s: float) -> float | None:
    return abs(predicted_s - measured_s) / abs(measured_s) if measured_s else None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=str(ROOT / "build"))
    parser.add_argument("--db", required=True, help="results database of the shared-memory sweeps")
    parser.add_argument("--shaped-db", required=True, help="results database of the sweeps on the shaped link")
    parser.add_argument("--work", default="/tmp/validate-predictions")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--programs", default="", help="comma list (default: all)")
    parser.add_argument("--verbose", action="store_true")
    options = parser.parse_args(argv)
    wanted = set(filter(None, options.programs.split(",")))
    print(f"load average before: {pathlib.Path('/proc/loadavg').read_text().split()[:3]}")
    rows, errors = [], []
    for case in CASES:
        if wanted and case["program"] not in wanted:
            continue
        recommendation, document = predicted(case, options)
        wall_s = float((document.get("run") or {}).get("wall_time_s") or 0)  # the profiled run's
        significant = [r for r in document.get("recommendations") or [] if r["predicted_gain"]["significant"]]
        if case["technique"] is None:  # clean: nothing should be significant
            rows.append([case["program"], "(none)", f"{len(significant)} significant", "-", "-", "-"])
            continue
        gain = (recommendation or {}).get("predicted_gain", {})
        predicted_s = float(gain.get("seconds", 0))
        predicted_text = (f"{gain.get('percent_of_run', 0):.1f} [{gain.get('ci_low_percent', 0):.1f}, "
                          f"{gain.get('ci_high_percent', 0):.1f}]" + ("" if gain.get("significant") else " (n.s.)")
                          if recommendation else "no recommendation")
        if not case.get("measurable", True):
            rows.append([case["program"], case["technique"], predicted_text, "not measurable on one machine", "-", "-"])
            continue
        measured = measure(case, recommendation, options)
        error = relative_error(predicted_s, measured["measured_s"])
        if error is not None:
            errors.append(error)
        percent = lambda seconds: f"{100 * seconds / wall_s:.1f}" if wall_s else "?"
        rows.append([case["program"], case["technique"], predicted_text,
                     f"{percent(measured['measured_s'])} ({measured['before_s']:.3f} -> {measured['after_s']:.3f} s)",
                     f"{100 * error:.0f} %" if error is not None else "-",
                     percent(measured["kernel_s"]) if "kernel_s" in measured else "-"])
    print(f"load average after: {pathlib.Path('/proc/loadavg').read_text().split()[:3]}")
    header = ["program", "technique", "predicted % of run [95 % CI]", "measured % of run (median before -> after)",
              "error", "batching kernel % of run"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if errors:
        print(f"median relative error: {100 * statistics.median(errors):.0f} % over {len(errors)} programs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
