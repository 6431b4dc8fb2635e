#!/usr/bin/env python3
"""Predicted against measured gains of the planted programs (tests/analysis/planted/*.c).

For each planted program, --repetitions times, interleaved so that a change in the machine's load
hits every side: run it under `commtune run` (traced where docs/analysis.md says to analyse a
traced run before acting: overlap and nonblocking), `commtune analyze` it and take the predicted
gain of the recommendation of the planted technique from recommendations.yaml; run the program
without the profiler as it is and with --fixed (a runtime setting: as it is, launched with the
recommendation's environment lines); and where a kernel can be configured like the
workload (batching for small_messages and compressible, overlap for blocking_beside_compute, with
the recommendation's parameters and the measured computation between calls), run it before and
after, its saving per exchange scaled to the program's exchanges. The prediction is the median of the
predicted gains, a measured gain the difference of the medians of the two variants' times. Prints a
table and the median relative error of the predictions (|predicted - measured| / measured) against
the programs' fixes and against the kernels.

  scripts/validate_predictions.py --build build --db /tmp/v/shm.sqlite --shaped-db /tmp/v/shaped.sqlite
The databases are those of tests/analysis (run_planted.py sweeps ...). Needs root and tc for the
shaped link (blocking_beside_compute, compressible). Python 3 with PyYAML.
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

# program, ranks, link, the planted technique, the kernel configured like the workload (or None),
# hardware description. A kernel's params are fixed, or (a tuple) read from the recommendation: its
# parameters, or an evidence value scaled (the computation between calls, in microseconds).
CASES = [
    {"program": "small_messages", "ranks": 2, "link": "shm", "technique": "batching",
     "kernel": {"name": "batching", "params": {"message_bytes": "128", "message_count": "400000",
                                               "batch_bytes": ("batch_bytes", "64K"), "data": "random",
                                               "codec": ("codec", "lz4")},
                "before": "individual", "after": "batched", "exchanges": 2}},
    {"program": "blocking_beside_compute", "ranks": 2, "link": "shaped", "technique": "overlap",
     "kernel": {"name": "overlap", "params": {"operation": "p2p", "message_bytes": "1M", "progress_thread": "false",
                                              "chunks": ("chunks", "16"),
                                              "compute_us": ("computation between calls", 1e6)},
                "before": "blocking", "after": "nonblocking", "exchanges": 30},
     "trace": True},
    {"program": "imbalance", "ranks": 2, "link": "shm", "technique": "load_balance", "kernel": None},
    {"program": "compressible", "ranks": 2, "link": "shaped", "technique": "compression",
     "kernel": {"name": "batching", "params": {"message_bytes": "1M", "message_count": "1", "data": "ids", "level": "1",
                                               "codec": ("codec", "lz4")},
                "before": "individual", "after": "compressed", "exchanges": 24}},
    # A runtime setting: the "fixed" run is the program as it is, launched with the recommendation's
    # environment lines (Open MPI's eager limit).
    {"program": "eager_limit", "ranks": 2, "link": "shm", "technique": "runtime_settings", "kernel": None,
     "runtime": True},
    {"program": "heavy_pairs", "ranks": 4, "link": "shm", "technique": "topology", "kernel": None,
     "hardware": "configs/hardware/example-2-nodes.yaml", "measurable": False},
    {"program": "clean", "ranks": 2, "link": "shm", "technique": None, "kernel": None, "measurable": False},
]


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMTUNE_") and k != "LD_PRELOAD"}
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_pml="ob1")
    return env


def run(command: list[str], verbose: bool, extra_environment: dict[str, str] | None = None) -> str:
    if verbose:
        print(f"$ {shlex.join(command)}", file=sys.stderr, flush=True)
    env = environment() | (extra_environment or {})
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
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


def predicted(case: dict, options, repetition: int) -> tuple[dict | None, dict]:
    out = pathlib.Path(options.work) / case["program"] / str(repetition)
    commtune = str(pathlib.Path(options.build) / "bin" / "commtune")
    program = str(pathlib.Path(options.build) / "bin" / f"planted_{case['program']}")
    mode = ["--trace"] if case.get("trace") else []
    run(shaped([commtune, "run", "-o", str(out), "--quiet", "--compress-sample=4"] + mode + ["--"] + launcher(case) +
               [program], case), options.verbose)
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


def program_time_s(case: dict, options, fixed: tuple[list[str], dict[str, str]]) -> float:
    program = str(pathlib.Path(options.build) / "bin" / f"planted_{case['program']}")
    output = run(shaped(launcher(case) + [program] + fixed[0], case), options.verbose, fixed[1])
    match = re.search(r"time_s=([0-9.]+)", output)
    if not match:
        raise SystemExit(f"validate_predictions: no time_s in the output of {case['program']}: {output!r}")
    return float(match.group(1))


def kernel_params(case: dict, recommendation: dict | None) -> dict[str, str]:
    """The kernel's parameters, those taken from the recommendation filled in."""
    parameters = (recommendation or {}).get("parameters") or {}
    evidence = {e["what"]: e["value"] for e in (recommendation or {}).get("evidence") or []}
    out = {}
    for name, value in case["kernel"]["params"].items():
        if isinstance(value, tuple) and isinstance(value[1], float):  # an evidence value, scaled
            out[name] = str(round(float(evidence.get(value[0], 0)) * value[1]))
        elif isinstance(value, tuple):  # a parameter, with a default
            out[name] = str(parameters.get(value[0], value[1]))
        else:
            out[name] = value
    return out


def kernel_median_s(case: dict, options, variant: str, params: dict[str, str]) -> float:
    commtune = str(pathlib.Path(options.build) / "bin" / "commtune")
    command = [commtune, "kernel", case["kernel"]["name"], "--param", f"variant={variant}"]
    for name, value in params.items():
        command += ["--param", f"{name}={value}"]
    command += ["--iterations", "10", "--"] + launcher(case)
    output = run(shaped(command, case), options.verbose)
    return float(json.loads(output[output.index("{"):])["summary_s"]["median"])


def fixed_variant(case: dict, recommendation: dict | None) -> tuple[list[str], dict[str, str]]:
    """The fixed variant's arguments (compressible runs the recommended codec) and environment (a
    runtime setting's lines)."""
    if case.get("runtime"):
        lines = ((recommendation or {}).get("apply") or {}).get("environment") or []
        return [], dict(line.split("=", 1) for line in lines)
    codec = (recommendation or {}).get("parameters", {}).get("codec", "lz4")
    return ["--fixed"] + (["--codec", codec if codec in ("lz4", "zstd") else "lz4"]
                          if case["program"] == "compressible" else []), {}


def validate(case: dict, options) -> dict:
    """Predictions, program times and kernel times over the repetitions, interleaved."""
    sides: dict[str, list] = {"predictions": [], "before": [], "after": [], "kernel_before": [], "kernel_after": []}
    fixed, params = None, {}
    for repetition in range(options.repetitions):
        recommendation, document = predicted(case, options, repetition)
        sides["predictions"].append((recommendation, document))
        if case["technique"] is None or not case.get("measurable", True):
            continue
        if fixed is None:  # the first repetition's advice is the one applied
            fixed = fixed_variant(case, recommendation)
            params = kernel_params(case, recommendation) if case["kernel"] else {}
        sides["before"].append(program_time_s(case, options, ([], {})))
        sides["after"].append(program_time_s(case, options, fixed))
        if case["kernel"]:
            sides["kernel_before"].append(kernel_median_s(case, options, case["kernel"]["before"], params))
            sides["kernel_after"].append(kernel_median_s(case, options, case["kernel"]["after"], params))
    return sides


def median_prediction(predictions: list) -> tuple[dict | None, float, float]:
    """The repetition whose predicted gain is the median (lower median), its seconds, and its run's wall time."""
    def seconds(entry) -> float:
        return float(((entry[0] or {}).get("predicted_gain") or {}).get("seconds", 0))
    ordered = sorted(predictions, key=seconds)
    recommendation, document = ordered[(len(ordered) - 1) // 2]
    return recommendation, seconds((recommendation, document)), float((document.get("run") or {}).get("wall_time_s") or 0)


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
    rows, errors, kernel_errors = [], [], []
    for case in CASES:
        if wanted and case["program"] not in wanted:
            continue
        sides = validate(case, options)
        if case["technique"] is None:  # clean: nothing should be significant
            counts = [sum(1 for r in document.get("recommendations") or [] if r["predicted_gain"]["significant"])
                      for _, document in sides["predictions"]]
            rows.append([case["program"], "(none)", f"significant: {counts} over the repetitions", "-", "-", "-"])
            continue
        recommendation, predicted_s, wall_s = median_prediction(sides["predictions"])
        gain = (recommendation or {}).get("predicted_gain", {})
        predicted_text = (f"{gain.get('percent_of_run', 0):.1f} [{gain.get('ci_low_percent', 0):.1f}, "
                          f"{gain.get('ci_high_percent', 0):.1f}]" + ("" if gain.get("significant") else " (n.s.)")
                          if recommendation else "no recommendation")
        if not case.get("measurable", True):
            rows.append([case["program"], case["technique"], predicted_text, "not measurable on one machine", "-", "-"])
            continue
        before_s, after_s = statistics.median(sides["before"]), statistics.median(sides["after"])
        error = relative_error(predicted_s, before_s - after_s)
        if error is not None:
            errors.append(error)
        percent = lambda seconds: f"{100 * seconds / wall_s:.1f}" if wall_s else "?"
        kernel = "-"
        if case["kernel"]:
            per_exchange_s = statistics.median(sides["kernel_before"]) - statistics.median(sides["kernel_after"])
            kernel_s = per_exchange_s * case["kernel"]["exchanges"]
            kernel_error = relative_error(predicted_s, kernel_s)
            if kernel_error is not None:
                kernel_errors.append(kernel_error)
            kernel = f"{percent(kernel_s)} ({case['kernel']['name']}: {100 * kernel_error:.0f} %)" if kernel_error \
                is not None else percent(kernel_s)
        rows.append([case["program"], case["technique"], predicted_text,
                     f"{percent(before_s - after_s)} ({before_s:.3f} -> {after_s:.3f} s)",
                     f"{100 * error:.0f} %" if error is not None else "-", kernel])
    print(f"load average after: {pathlib.Path('/proc/loadavg').read_text().split()[:3]}")
    header = ["program", "technique", "predicted % of run [95 % CI] (median repetition)",
              "measured % of run (median before -> after)",
              "error", "kernel configured like the workload, % of run (error)"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if errors:
        print(f"median relative error against the programs' fixes: {100 * statistics.median(errors):.0f} % "
              f"over {len(errors)} programs")
    if kernel_errors:
        print(f"median relative error against the kernels configured like the workloads: "
              f"{100 * statistics.median(kernel_errors):.0f} % over {len(kernel_errors)} programs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
