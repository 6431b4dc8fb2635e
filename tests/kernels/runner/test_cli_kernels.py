#!/usr/bin/env python3
"""`commtune kernels` lists every kernel and parameter from the registry; `commtune kernel` rejects a
bad --param before launching, runs a good one and passes through the JSON and the exit code.

usage: test_cli_kernels.py --commtune PATH -- LAUNCHER...
"""
import argparse
import json
import subprocess
import sys

from runner_checks import exit_status, expect, parse_args

# Parameters of the kernels this test's authors own, spelled out so that a parameter silently
# disappearing from the registry fails the test (the rest is checked against --json).
EXPECTED = {
    "nonblocking": ["variant", "pattern", "message_bytes", "peers", "messages_per_peer", "window"],
    "overlap": ["variant", "operation", "message_bytes", "compute_us", "chunks", "progress_thread"],
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--commtune", required=True)
    args = parse_args(parser)
    launcher = args.launcher

    def commtune(*words):
        return subprocess.run([args.commtune, *words], capture_output=True, text=True, timeout=120)

    listing = commtune("kernels")
    expect(listing.returncode == 0, "commtune kernels exits 0")
    as_json = commtune("kernels", "--json")
    expect(as_json.returncode == 0, "commtune kernels --json exits 0")
    doc = json.loads(as_json.stdout)
    expect(doc.get("schema") == "commtune.kernel_list/1", "the JSON listing carries its schema")
    kernels = {k["name"]: k for k in doc.get("kernels", [])}
    for name, params in EXPECTED.items():
        expect(name in kernels, f"kernel {name} is listed")
        expect([p["name"] for p in kernels.get(name, {}).get("params", [])] == params, f"{name} parameters {params}")

    # Constraints travel as data, metrics with unit and direction.
    overlap = kernels.get("overlap", {})
    requires = [c for c in overlap.get("constraints", []) if c.get("kind") == "requires"]
    expect(len(requires) == 1 and requires[0].get("when") == {"param": "progress_thread", "values": ["true"]}
           and requires[0].get("param") == "variant" and requires[0].get("values") == ["nonblocking"],
           f"overlap's progress-thread constraint as data: {requires}")
    levels = [c for c in kernels.get("batching", {}).get("constraints", []) if c.get("param") == "level"]
    expect(len(levels) == 4 and all(c["kind"] == "in_range" for c in levels), "batching: one level range per codec")
    for name, kernel in kernels.items():
        metrics = kernel.get("metrics", [])
        expect(bool(metrics) and all(m.get("unit") and isinstance(m.get("higher_is_better"), bool) for m in metrics),
               f"{name}: metrics with unit and higher_is_better")

    lines = listing.stdout.splitlines()
    for c in requires:
        expect(any(line.strip() == "constraint: " + c["text"] for line in lines), "text listing shows constraints")
    for name, kernel in kernels.items():
        expect(any(line.startswith(name + " ") for line in lines), f"text listing has kernel {name}")
        for p in kernel["params"]:
            # Each parameter line: name, type, then the range or choices with the default.
            row = [line for line in lines if line.split()[:2] == [p["name"], p["type"]]]
            expect(bool(row), f"text listing has {name}.{p['name']} with its type")
            if not row:
                continue
            text = " ".join(row)
            default = p["default"] if p["default"] != "" else "empty"
            expect(f"(default {default})" in text, f"{name}.{p['name']} shows its default")
            if "choices" in p:
                expect(", ".join(p["choices"]) in text, f"{name}.{p['name']} shows its choices")
            elif "min" in p:
                expect(" .. " in text, f"{name}.{p['name']} shows its range")
            if p["unit"] and p["type"] in ("integer", "real", "bytes"):
                expect(p["unit"] in text, f"{name}.{p['name']} shows its unit {p['unit']}")

    bad = commtune("kernel", "overlap", "--param", "operation=alltoall", "--", "false")
    expect(bad.returncode == 2, f"a bad --param exits 2 (got {bad.returncode})")
    expect("'operation'" in bad.stderr and "p2p, ibcast, iallreduce" in bad.stderr,
           f"the message names the parameter and the allowed values: {bad.stderr.strip()[:300]}")
    bad_range = commtune("kernel", "nonblocking", "--param", "message_bytes=1G", "--", "false")
    expect(bad_range.returncode == 2 and "0 .. 67108864 bytes" in bad_range.stderr,
           f"an out-of-range size names the range: {bad_range.stderr.strip()[:300]}")

    # The launcher words are passed through; `false` as launcher proves the exit code is too.
    failing = commtune("kernel", "nonblocking", "--", "false")
    expect(failing.returncode == 1, f"the runner's exit code is passed through (got {failing.returncode})")

    ok = commtune("kernel", "nonblocking", "--param", "pattern=ring", "--param", "message_bytes=4K",
                  "--iterations", "3", "--", *launcher)
    expect(ok.returncode == 0, f"a valid run exits 0 (got {ok.returncode}: {ok.stderr.strip()[:300]})")
    try:
        result = json.loads(ok.stdout)
    except json.JSONDecodeError:
        result = {}
    expect(result.get("schema") == "commtune.kernel_result/1" and result.get("params", {}).get("pattern") == "ring",
           "the runner's JSON is passed through")
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
