#!/usr/bin/env python3
"""`commtune sweep` end to end under mpirun (2 ranks, small measuring targets).

Usage: check_sweep_run.py COMMTUNE CRASH_WRAPPER WORK_DIR

1. a small sweep finishes (exit 0): the database holds every point with samples, a choice with
   the baseline, the sweep `finished`; `commtune results` lists the points;
2. a configuration the kernel rejects is recorded `failed`, one whose launch is killed `crashed`,
   and the other configurations are still measured (exit 0);
3. SIGINT after the first launch finished: exit 130, status `interrupted`; the re-run finishes and
   measures no evaluation twice (one launch row per point and phase);
4. a malformed spec without --check: exit 2, one located line; a driver that cannot start: exit 1.
"""
import os
import pathlib
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

failures = []


def expect(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


HEADER = """schema: commtune.sweep/1
ranks: [2]
launcher: {kind: mpirun}  # more ranks than cores: OMPI_MCA_rmaps_base_oversubscribe from ctest
budget: {time: 10m}
warmup: 1
"""


def write_spec(work, name, body):
    path = work / f"{name}.yaml"
    path.write_text(HEADER + body)
    return path


def sweep(commtune, spec, db, env=None, timeout=600):
    return subprocess.run([commtune, "sweep", str(spec), "--db", str(db)], capture_output=True, text=True,
                          timeout=timeout, env=env)


def query(db, sql):
    with sqlite3.connect(db) as connection:
        return connection.execute(sql).fetchall()


def check_small_sweep(commtune, work):
    spec = write_spec(work, "small", """kernels:
  - kernel: nonblocking
    params: {variant: [blocking, nonblocking], window: [1, 8], message_bytes: 1K, pattern: ring, peers: 1}
measure: {min_iterations: 5, max_iterations: 200, min_time: 20ms, max_time: 2s}
finalists: 2
""")
    db = work / "small.sqlite"
    result = sweep(commtune, spec, db)
    print(result.stdout, result.stderr)
    expect(result.returncode == 0, f"small sweep: exit 0 (got {result.returncode})")
    points = query(db, "SELECT p.status, s.sample_count FROM points p LEFT JOIN statistics s ON s.point_id = p.id")
    expect(len(points) >= 3 and all(status == "measured" and count >= 5 for status, count in points),
           f"small sweep: every point measured with >= 5 samples: {points}")
    expect(query(db, "SELECT status FROM sweeps") == [("finished",)], "small sweep: the sweep is finished")
    phases = query(db, "SELECT DISTINCT phase FROM launches ORDER BY phase")
    expect(phases == [("finalist:1",), ("finalist:2",), ("finalist:3",), ("search:5",)],
           f"small sweep: search and three finalist launches: {phases}")
    metrics = query(db, "SELECT metrics, stop_reason FROM launches LIMIT 1")[0]
    expect("messages_per_s" in metrics[0] and metrics[1] != "", f"small sweep: metrics and stop reason kept: {metrics}")
    choices = query(db, "SELECT params, baseline_params, baseline_median_s, gain, verdict FROM choices")
    expect(len(choices) == 1 and '"variant":"blocking"' in choices[0][1] and choices[0][2] is not None,
           f"small sweep: one choice compared with the blocking baseline: {choices}")
    expect("chosen:" in result.stdout and "baseline:" in result.stdout, "small sweep: the choice is printed")
    listed = subprocess.run([commtune, "results", "--db", str(db)], capture_output=True, text=True, timeout=60)
    rows = [line for line in listed.stdout.splitlines() if " nonblocking " in line]
    expect(listed.returncode == 0 and len(rows) == len(points), f"commtune results lists {len(points)} points: {rows}")


def check_failure_and_crash(commtune, wrapper, work):
    spec = write_spec(work, "faults", """kernels:
  - kernel: nonblocking
    params: {variant: [blocking, nonblocking], window: [1, 2, 8], message_bytes: 1K, pattern: ring, peers: 1}
  - kernel: batching
    params: {data: file, data_file: /nonexistent/commtune-test-payload, message_count: 16}
measure: {min_iterations: 3, max_iterations: 100000, min_time: 1s, ci_target: 0.5, max_time: 1s}
finalists: 1
""")
    db = work / "faults.sqlite"
    marker = work / "crashed-once"
    shutil.rmtree(marker, ignore_errors=True)
    env = dict(os.environ, COMMTUNE_SWEEP_DRIVER=str(wrapper), REAL_DRIVER=str(pathlib.Path(commtune).parent /
                                                                                "commtune-sweep-driver"),
               CRASH_MARKER=str(marker))
    result = sweep(commtune, spec, db, env)
    print(result.stdout, result.stderr)
    expect(result.returncode == 0, f"faults: the sweep goes on and finishes (exit {result.returncode})")
    expect(marker.is_dir(), "faults: the wrapper killed a launch")
    statuses = query(db, "SELECT kernel, status FROM points ORDER BY kernel, id")
    expect(("batching", "failed") in statuses, f"faults: the batching point that cannot read its file failed: {statuses}")
    crashed = [s for s in statuses if s == ("nonblocking", "crashed")]
    measured = [s for s in statuses if s == ("nonblocking", "measured")]
    expect(len(crashed) == 1 and len(measured) == 5, f"faults: one crashed point, the other 5 measured: {statuses}")
    kinds = query(db, "SELECT kind, message FROM failures ORDER BY id")
    expect(any(k == "crashed" and "exit status" in m for k, m in kinds) and
           any(k == "failed" and "cannot be opened" in m for k, m in kinds), f"faults: failure rows: {kinds}")


def launches_per_evaluation(db):
    return query(db, "SELECT point_id, phase, count(*) FROM launches GROUP BY point_id, phase ORDER BY point_id, phase")


def check_interrupt_and_resume(commtune, work):
    # max_time 30s keeps 3 evaluations per launch (tuner/src/sweep/launch.cpp), so there are several.
    spec = write_spec(work, "resume", """kernels:
  - kernel: nonblocking
    params: {variant: [blocking, nonblocking], window: [1, 2, 4, 8], message_bytes: 1K, pattern: ring, peers: 1}
measure: {min_iterations: 3, max_iterations: 100000, min_time: 300ms, ci_target: 0.5, max_time: 30s}
finalists: 2
""")
    db = work / "resume.sqlite"
    process = subprocess.Popen([commtune, "sweep", str(spec), "--db", str(db)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    first = []
    while time.time() < deadline and process.poll() is None:
        try:
            first = launches_per_evaluation(db) if db.exists() else []
        except sqlite3.OperationalError:
            first = []
        if first:
            break
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    print(out, err)
    expect(process.returncode == 130, f"resume: SIGINT gives exit 130 (got {process.returncode})")
    expect(query(db, "SELECT status FROM sweeps") == [("interrupted",)], "resume: the sweep is marked interrupted")
    before = launches_per_evaluation(db)
    total = 8 + 3 * 3  # search points, and 2 finalists + the baseline in 3 launches at most
    expect(0 < len(before) < total, f"resume: the interrupted sweep recorded {len(before)} evaluations")
    result = sweep(commtune, spec, db)
    print(result.stdout, result.stderr)
    expect(result.returncode == 0, f"resume: the re-run finishes (exit {result.returncode})")
    expect(query(db, "SELECT status FROM sweeps") == [("finished",)], "resume: one sweep, now finished")
    after = launches_per_evaluation(db)
    expect(all(count == 1 for _, _, count in after), f"resume: no evaluation measured twice: {after}")
    expect(set(before) <= set(after), "resume: every evaluation recorded before the interrupt is kept")
    expect(f"{len(before)} resumed" in result.stdout, f"resume: the re-run answered {len(before)} from the database")
    expect(len(query(db, "SELECT * FROM points WHERE status = 'measured'")) == 8, "resume: all 8 points measured")


def check_malformed(commtune, work):
    spec = work / "bad.yaml"
    spec.write_text(HEADER + "kernels: [{kernel: nonblocking}]\nmeasure: {min_time: fast}\n")
    result = subprocess.run([commtune, "sweep", str(spec), "--db", str(work / "bad.sqlite")], capture_output=True,
                            text=True, timeout=60)
    lines = result.stderr.splitlines()
    expect(result.returncode == 2 and len(lines) == 1 and f"{spec}:7:" in lines[0] and "measure.min_time" in lines[0],
           f"malformed spec without --check: exit 2, one located line: {result.returncode} {lines}")
    expect(not (work / "bad.sqlite").exists(), "malformed spec: no database created")


def check_driver_that_cannot_start(commtune, work):
    spec = write_spec(work, "nodriver", "kernels: [{kernel: nonblocking, params: {pattern: ring, peers: 1}}]\n")
    env = dict(os.environ, COMMTUNE_SWEEP_DRIVER="/bin/false")
    result = sweep(commtune, spec, work / "nodriver.sqlite", env, timeout=300)
    expect(result.returncode == 1 and "the driver did not start" in result.stderr,
           f"a driver that cannot start: exit 1 with the reason (got {result.returncode}: {result.stderr[-300:]})")


def main():
    commtune, wrapper, work = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    check_malformed(commtune, work)
    check_driver_that_cannot_start(commtune, work)
    check_small_sweep(commtune, work)
    check_failure_and_crash(commtune, wrapper, work)
    check_interrupt_and_resume(commtune, work)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
