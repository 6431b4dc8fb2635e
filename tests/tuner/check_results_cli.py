#!/usr/bin/env python3
"""`commtune results` on a database filled by tuner_fill_results_db: the three formats list the
same points with the statistics the library computed, --kernel filters, and a missing database is
an error that names the path.

Usage: check_results_cli.py COMMTUNE FILL_HELPER WORK_DIR
"""
import csv
import io
import json
import pathlib
import shutil
import subprocess
import sys


def run(*args, expect=0):
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=60)
    if done.returncode != expect:
        sys.exit(f"{' '.join(map(str, args))}: exit {done.returncode}, expected {expect}\n{done.stdout}{done.stderr}")
    return done


def check(condition, message):
    if not condition:
        sys.exit(f"FAIL: {message}")


def main():
    commtune, fill, work = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = work / "results.sqlite"
    run(fill, db)

    exported = json.loads(run(commtune, "results", "--db", db, "--format", "json").stdout)
    check(exported["schema"] == "commtune.results_export/1", f"schema {exported['schema']}")
    points = exported["points"]
    check(len(points) == 4, f"{len(points)} points in JSON, expected 4")
    by_bytes = {(p["kernel"], p["params"]["message_bytes"]): p for p in points}
    first = by_bytes[("nonblocking", "1024")]["statistics"]
    check(first["samples"] == 7 and abs(first["median_s"] - 3e-6) < 1e-12, f"first point statistics {first}")
    check(first["outliers"] == 1 and abs(first["min_s"] - 2e-6) < 1e-12, f"the 90 us sample is flagged: {first}")
    check(first["ci_low_s"] <= first["median_s"] <= first["ci_high_s"], f"interval around the median: {first}")
    timed_out = by_bytes[("nonblocking", "1048576")]
    check(timed_out["status"] == "timeout" and timed_out["statistics"] is None, f"timeout point {timed_out}")
    check("exceeded 60 s" in timed_out["failure"], f"failure message {timed_out['failure']}")
    check(by_bytes[("batching", "256")]["settings"] == {"btl": "vader,self"}, "settings kept")

    only_batching = json.loads(run(commtune, "results", "--db", db, "--kernel", "batching", "--format", "json").stdout)
    check([p["kernel"] for p in only_batching["points"]] == ["batching"], "--kernel batching filters")

    rows = list(csv.DictReader(io.StringIO(run(commtune, "results", "--db", db, "--format", "csv").stdout)))
    check(len(rows) == 4, f"{len(rows)} CSV rows, expected 4")
    for row in rows:
        match = next(p for p in points if p["point_id"] == int(row["point_id"]))
        check(json.loads(row["params"]) == match["params"], f"CSV params {row['params']}")
        if match["statistics"]:
            check(abs(float(row["median_s"]) - match["statistics"]["median_s"]) < 1e-12, f"CSV median {row}")
        else:
            check(row["median_s"] == "" and row["status"] == "timeout", f"CSV failure row {row}")

    table = run(commtune, "results", "--db", db, "--kernel", "nonblocking").stdout.splitlines()
    check(table[0].split()[:4] == ["hardware", "kernel", "status", "ranks"], f"table header {table[0]}")
    check(len(table) == 6, f"table of nonblocking has {len(table)} lines, expected header + 3 + 2 notes")
    check(any(line.startswith("* fewer than 6 samples") for line in table), "note on the 3-sample interval")
    check(any("[19.000, 21.000]*" in line for line in table), f"3-sample interval marked: {table}")
    first_line = next(line for line in table if "message_bytes=1024 " in line)
    check("3.000" in first_line and "2.000" in first_line, f"median and min in microseconds: {first_line}")
    check(any("timeout" in line and "exceeded 60 s" in line for line in table), "timeout row in the table")
    check("no points of kernel overlap" in run(commtune, "results", "--db", db, "--kernel", "overlap").stdout,
          "an empty selection says so")

    missing = run(commtune, "results", "--db", work / "none.sqlite", expect=1)
    check(str(work / "none.sqlite") in missing.stderr, f"missing database named: {missing.stderr}")
    run(commtune, "results", "--db", db, "--format", "xml", expect=105)  # CLI11's validation error
    print("ok")


if __name__ == "__main__":
    main()
