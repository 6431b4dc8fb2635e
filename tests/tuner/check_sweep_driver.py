#!/usr/bin/env python3
"""commtune-sweep-driver under the MPI launcher: a plan of measured, rejected and throwing
configurations comes back as a ready line plus one line each, in plan order, with sample counts
within the target's bounds and the right stop reasons; a minimum time is honoured; bad command
lines and plans exit 2 with one message; --calibrate measures the four sizes. Asserts structure and
bounds only, never speed.

With --fault-driver (the driver plus the misbehaving "fault" kernel of sweep_driver_faults.cpp):
exact batch growth on fake iteration times, a checksum that changes between batches, an
undeclared metric, a throw on one rank after the last collective (recorded, the driver goes on)
and before it (the job aborts after --abort-after, keeping the lines written so far).

usage: check_sweep_driver.py --driver PATH [--fault-driver PATH] --ranks N --work DIR -- LAUNCHER...
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kernels", "runner"))
from runner_checks import exit_status, expect, parse_args  # noqa: E402

PLAN_SCHEMA = "commtune.driver_plan/1"
RESULT_SCHEMA = "commtune.driver_result/1"
CHEAP_NONBLOCKING = {"message_bytes": "8", "peers": "1", "messages_per_peer": "2"}


def evaluation(id, kernel, params, warmup, **target):
    return {"id": id, "kernel": kernel, "params": params, "warmup": warmup, "target": target}


def read_lines(path):
    with open(path) as f:
        text = f.read()
    expect(text.endswith("\n"), f"{path}: every line is complete")
    return [json.loads(line) for line in text.splitlines() if line]


class Driver:
    def __init__(self, args):
        self.args = args

    def run(self, *words, program=None):
        return subprocess.run(self.args.launcher + [program or self.args.driver, *words], capture_output=True,
                              text=True, timeout=150)

    def run_plan(self, name, evaluations, program=None, extra=(), exit_ok=True):
        """Runs the plan; evaluations marked completes=False are expected to have no result line."""
        plan = os.path.join(self.args.work, name + ".plan.json")
        output = os.path.join(self.args.work, name + ".jsonl")
        planned = [{k: v for k, v in e.items() if k != "completes"} for e in evaluations]
        with open(plan, "w") as f:
            json.dump({"schema": PLAN_SCHEMA, "evaluations": planned}, f)
        done = self.run("--plan", plan, "--output", output, *extra, program=program)
        self.last = done
        if exit_ok:
            expect(done.returncode == 0, f"{name}: exits 0 (got {done.returncode}: {done.stderr.strip()[-400:]})")
        lines = read_lines(output) if os.path.exists(output) else []
        evaluations = [e for e in evaluations if e.get("completes", True)]
        expect(len(lines) == len(evaluations) + 1, f"{name}: a ready line and {len(evaluations)} results "
               f"(got {len(lines)} lines)")
        expect(all(line.get("schema") == RESULT_SCHEMA for line in lines), f"{name}: every line names its schema")
        if lines:
            ready = lines[0]
            expect(ready.get("event") == "ready" and ready.get("ranks") == self.args.ranks
                   and ready.get("init_s", 0) > 0 and ready.get("mpi_library") and ready.get("host"),
                   f"{name}: the ready line comes first with {self.args.ranks} ranks: {ready}")
        results = lines[1:]
        expect([r.get("event") for r in results] == ["evaluation"] * len(results), f"{name}: then evaluations")
        expect([r.get("id") for r in results] == [e["id"] for e in evaluations], f"{name}: in plan order")
        return {r["id"]: r for r in results}


def check_measured(result, planned, what):
    target = planned["target"]
    samples = result["samples_s"]
    expect(result["status"] == "measured" and result["message"] == "", f"{what}: measured ({result['message']})")
    expect(target["min_samples"] <= len(samples) <= target["max_samples"],
           f"{what}: {len(samples)} samples within [{target['min_samples']}, {target['max_samples']}]")
    expect(all(s > 0 for s in samples), f"{what}: every sample is a positive time")
    expect(result["warmup"] >= planned["warmup"], f"{what}: at least the planned warm-up ran ({result['warmup']})")
    expect(result["measuring_s"] >= sum(samples), f"{what}: the evaluation's wall time covers its samples")
    expect(len(result["checksum"]) == 16 and result["metrics"], f"{what}: checksum and metrics reported")
    expect(not any(k.startswith("driver_") for k in result["notes"]),
           f"{what}: no batch disagreed with another: {result['notes']}")


def check_stop(result, planned, what):
    """The stop reason agrees with the samples: the target only past the minimum time, the sample
    cap only at max_samples, the time cap only past max_time_s of wall time (an oversubscribed
    machine may need it: MPICH's ranks spin for their time slices)."""
    target = planned["target"]
    reason, n, sampled_s = result["stop_reason"], len(result["samples_s"]), sum(result["samples_s"])
    consistent = {
        "target_reached": sampled_s >= target["min_time_s"] and n >= max(6, target["min_samples"]),
        "sample_cap": n == target["max_samples"],
        "time_cap": result["measuring_s"] >= target["max_time_s"],
    }
    expect(consistent.get(reason, False), f"{what}: stopped by {reason} with {n} samples, {sampled_s:.3f} s "
           f"of samples, {result['measuring_s']:.3f} s in all")


def check_mixed_plan(driver):
    """Three configurations of two kernels, one rejected by the declaration and one that throws
    on every rank: the failures are recorded and the others still measured."""
    fixed = evaluation("fixed", "nonblocking", dict(CHEAP_NONBLOCKING, variant="nonblocking"), 2,
                       min_time_s=0, min_samples=7, max_samples=7)
    invalid = evaluation("invalid", "nonblocking", {"window": "0"}, 1, min_samples=2, max_samples=2)
    throws = evaluation("throws", "batching", {"data": "file", "data_file": os.path.join(driver.args.work, "absent"),
                                               "message_count": "4"}, 1, min_samples=2, max_samples=2)
    growing = evaluation("growing", "batching", {"message_count": "32", "message_bytes": "64"}, 1,
                         min_time_s=0.02, min_samples=3, ci_half_width_fraction=0.05, max_samples=300, max_time_s=15)
    blocking = evaluation("blocking", "nonblocking", dict(CHEAP_NONBLOCKING, variant="blocking"), 0,
                          min_time_s=0, min_samples=4, ci_half_width_fraction=1.0, max_samples=50, max_time_s=60)
    plan = [fixed, invalid, throws, growing, blocking]
    results = driver.run_plan("mixed", plan)
    if len(results) != len(plan):
        return

    r = results["fixed"]
    check_measured(r, fixed, "fixed count")
    expect(len(r["samples_s"]) == 7 and r["stop_reason"] == "sample_cap",
           f"fixed count: exactly 7 samples, stopped by the cap ({len(r['samples_s'])}, {r['stop_reason']})")
    expect(r["warmup"] == 2, f"fixed count: one batch, so only the planned warm-up ({r['warmup']})")

    r = results["invalid"]
    expect(r["status"] == "failed" and "'window'" in r["message"] and "1 .. 65536" in r["message"],
           f"invalid: failed with the declaration's reason: {r['message']}")
    expect(r["samples_s"] == [] and r["stop_reason"] == "not_yet", "invalid: no samples")

    r = results["throws"]
    expect(r["status"] == "failed" and "every rank" in r["message"] and "absent" in r["message"],
           f"throws: failed with the kernel's message: {r['message']}")

    r = results["growing"]
    check_measured(r, growing, "growing")
    check_stop(r, growing, "growing")

    r = results["blocking"]
    check_measured(r, blocking, "blocking")
    # The median's interval reaches 95 % coverage only from 6 samples on, so no target is met before.
    check_stop(r, blocking, "blocking")
    expect(r["checksum"] == results["fixed"]["checksum"],
           "blocking and nonblocking variants of one configuration delivered the same data")


def check_minimum_time(driver):
    """A target that needs 0.3 s of samples takes at least that much."""
    planned = evaluation("slow", "nonblocking", dict(CHEAP_NONBLOCKING, message_bytes="4K"), 1,
                         min_time_s=0.3, min_samples=2, ci_half_width_fraction=1.0, max_samples=10000000,
                         max_time_s=20)
    results = driver.run_plan("minimum_time", [planned])
    if "slow" not in results:
        return
    r = results["slow"]
    check_measured(r, planned, "minimum time")
    expect(r["stop_reason"] in ("target_reached", "time_cap"), f"minimum time: stopped by {r['stop_reason']}")
    check_stop(r, planned, "minimum time")
    # Past the cap by at most about one batch: the batches are sized to the remaining time.
    expect(r["measuring_s"] < 2 * 20, f"minimum time: the time cap holds ({r['measuring_s']:.1f} s)")
    expect(r["warmup"] > 1, f"minimum time: later batches ran their settling iteration ({r['warmup']} untimed)")


def check_errors(driver):
    missing = driver.run("--plan", os.path.join(driver.args.work, "absent.json"), "--output",
                         os.path.join(driver.args.work, "never.jsonl"))
    expect(missing.returncode == 2 and missing.stderr.count("cannot read the plan") == 1,
           f"a missing plan exits 2 with one message: {missing.returncode} {missing.stderr.strip()[:200]}")
    no_output = driver.run("--plan", "x.json")
    expect(no_output.returncode == 2 and "--output" in no_output.stderr, "a command line without --output exits 2")
    bad = os.path.join(driver.args.work, "bad.plan.json")
    with open(bad, "w") as f:
        json.dump({"schema": PLAN_SCHEMA, "evaluations": [{"id": "x", "kernel": "nonblocking", "warmup": "two"}]}, f)
    rejected = driver.run("--plan", bad, "--output", os.path.join(driver.args.work, "bad.jsonl"))
    expect(rejected.returncode == 2 and rejected.stderr.count("'warmup' has the wrong type") == 1,
           f"a malformed plan exits 2 naming the key once: {rejected.stderr.strip()[:200]}")


def check_calibration(driver):
    path = os.path.join(driver.args.work, "calibration.json")
    done = driver.run("--calibrate", "--output", path)
    expect(done.returncode == 0, f"calibrate: exits 0 (got {done.returncode}: {done.stderr.strip()[-300:]})")
    if not os.path.exists(path):
        expect(False, "calibrate: the file was written")
        return
    with open(path) as f:
        calibration = json.load(f)
    expect(calibration.get("schema") == "commtune.calibration/1", "calibrate: the file names its schema")
    expect(calibration.get("ranks") == driver.args.ranks and calibration.get("peer_rank") == 1
           and calibration.get("same_node") is True, f"calibrate: rank 0 and rank 1 on this one node: "
           f"{ {k: calibration.get(k) for k in ('ranks', 'peer_rank', 'same_node')} }")
    points = calibration.get("points", [])
    expect([p["message_bytes"] for p in points] == [8, 4096, 65536, 1 << 20], "calibrate: 8 B, 4 KiB, 64 KiB, 1 MiB")
    for p in points:
        expect(5 <= p["round_trips"] <= 1000 and p["latency_us"] > 0 and p["bandwidth_mb_per_s"] > 0,
               f"calibrate: {p['message_bytes']} B: 5..1000 round trips, positive latency and bandwidth: {p}")
    both = driver.run("--calibrate", "--plan", "x.json", "--output", path)
    expect(both.returncode == 2 and "excludes" in both.stderr, "calibrate: --plan with --calibrate exits 2")


def check_faults(driver):
    program = driver.args.fault_driver
    ranks = driver.args.ranks
    # Fake iterations of 0.01 s: the first batch (2) is short of min_time 0.1 s, so decide_sampling
    # asks for 1.4 x 0.1 / 0.01 = 14 samples in all (google/benchmark's rule), which meet the target.
    growth = dict(min_time_s=0.1, min_samples=2, ci_half_width_fraction=0.02, max_samples=1000, max_time_s=60)
    plan = [
        evaluation("steady", "fault", {"variant": "steady"}, 1, **growth),
        evaluation("checksum", "fault", {"variant": "checksum_per_call"}, 0, **growth),
        evaluation("undeclared", "fault", {"variant": "undeclared_metric"}, 0, min_samples=2, max_samples=2),
        evaluation("late", "fault", {"variant": "throw_late_on_rank1"}, 0, min_samples=2, max_samples=2),
        evaluation("after_late", "fault", {"variant": "steady"}, 0, min_time_s=0, min_samples=3, max_samples=3),
        dict(evaluation("early", "fault", {"variant": "throw_early_on_rank1"}, 0, min_samples=2, max_samples=2,
                        max_time_s=1), completes=False),
        dict(evaluation("never", "fault", {"variant": "steady"}, 0, min_samples=2, max_samples=2), completes=False),
    ]
    results = driver.run_plan("faults", plan, program=program, extra=("--abort-after", "2"), exit_ok=False)
    done = driver.last
    expect(done.returncode != 0 and "still inside it" in done.stderr,
           f"faults: a throw on rank 1 while the others wait in a collective aborts the job: "
           f"{done.returncode} {done.stderr.strip()[:300]}")
    if len(results) != 5:
        return
    r = results["steady"]
    expect(r["status"] == "measured" and r["stop_reason"] == "target_reached" and len(r["samples_s"]) == 14,
           f"steady: two batches grow to exactly 14 samples ({len(r['samples_s'])}, {r['stop_reason']})")
    expect(r["warmup"] == 2, f"steady: the planned warm-up plus one settling iteration ({r['warmup']})")
    expect(abs(r["metrics"].get("iterations_per_call", 0) - (2 * 2 + 12 * 12) / 14) < 1e-9,
           f"steady: metrics are weighted by each batch's iterations: {r['metrics']}")
    r = results["checksum"]
    expect(r["status"] == "measured" and r["checksum"] == "0000000000000002"
           and "driver_checksum_mismatch" in r["notes"],
           f"checksum: the first batch's checksum kept, the disagreement noted: {r['checksum']} {r['notes']}")
    r = results["undeclared"]
    expect(r["status"] == "failed" and "not_declared" in r["message"] and "every rank" in r["message"],
           f"undeclared: an undeclared metric fails the configuration: {r['message']}")
    r = results["late"]
    expect(r["status"] == "failed" and f"1 of {ranks} ranks" in r["message"] and "after the barrier" in r["message"],
           f"late: a throw on one rank after the last collective is recorded: {r['message']}")
    r = results["after_late"]
    expect(r["status"] == "measured" and len(r["samples_s"]) == 3, "after_late: the driver went on")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--driver", required=True)
    parser.add_argument("--fault-driver")
    parser.add_argument("--ranks", type=int, required=True)
    parser.add_argument("--work", required=True)
    args = parse_args(parser)
    os.makedirs(args.work, exist_ok=True)
    driver = Driver(args)
    check_mixed_plan(driver)
    check_minimum_time(driver)
    check_errors(driver)
    check_calibration(driver)
    if args.fault_driver:
        check_faults(driver)
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
