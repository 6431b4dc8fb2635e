#!/usr/bin/env python3
"""`commtune sweep --check` on the bundled examples and on one malformed spec per error class.

Usage: check_sweep_cli.py COMMTUNE EXAMPLES_DIR BAD_SPECS_DIR

Every bundled example must be accepted (exit 0) with a plan naming each of its kernels. Every
malformed spec carries its expectation in its first lines (`# expect-line: N`, `# expect-key: K`,
`# expect-text: T`) and must give exit code 2 and exactly one line on stderr of the form
`commtune sweep: FILE:N:COLUMN: K: ...T...`, with nothing on stdout.
"""
import pathlib
import re
import subprocess
import sys

failures = []


def expect(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def run(commtune, *args):
    return subprocess.run([commtune, "sweep", *args], capture_output=True, text=True, timeout=60)


def check_examples(commtune, examples):
    specs = sorted(examples.glob("*.yaml"))
    expect(len(specs) >= 7, f"{len(specs)} bundled examples")
    for spec in specs:
        result = run(commtune, "--check", str(spec))
        expect(result.returncode == 0 and result.stderr == "",
               f"{spec.name}: accepted (exit {result.returncode}) {result.stderr.strip()[:300]}")
        kernels = re.findall(r"^\s*- kernel: (\w+)", spec.read_text(), re.M)
        for kernel in kernels:
            expect(re.search(rf"^  kernel {kernel}: [1-9][0-9]* configurations", result.stdout, re.M) is not None,
                   f"{spec.name}: the plan counts configurations of {kernel}")
        expect(re.search(r"^  total: [1-9][0-9]* evaluations", result.stdout, re.M) is not None,
               f"{spec.name}: the plan totals evaluations")


def expectations(spec):
    fields = {}
    for line in spec.read_text().splitlines():
        match = re.match(r"# expect-(line|key|text):\s?(.*)$", line)
        if not match:
            break
        fields[match.group(1)] = match.group(2).strip()
    return fields


def check_malformed(commtune, bad):
    specs = sorted(bad.glob("*.yaml"))
    expect(len(specs) >= 8, f"{len(specs)} malformed specs")
    for spec in specs:
        want = expectations(spec)
        result = run(commtune, "--check", str(spec))
        lines = result.stderr.splitlines()
        expect(result.returncode == 2, f"{spec.name}: exit code 2 (got {result.returncode})")
        expect(len(lines) == 1 and result.stdout == "", f"{spec.name}: exactly one line, on stderr: {lines}")
        if not lines:
            continue
        line = lines[0]
        key = want.get("key", "")
        prefix = f"commtune sweep: {spec}:{want['line']}:"
        expect(line.startswith(prefix), f"{spec.name}: located at line {want['line']}: {line}")
        if key:
            expect(re.match(rf"{re.escape(prefix)}\d+: {re.escape(key)}: ", line) is not None,
                   f"{spec.name}: names the key {key}")
        expect(want["text"] in line, f"{spec.name}: says '{want['text']}'")


def check_missing_file(commtune, examples):
    result = run(commtune, str(examples / "no_such_spec.yaml"))
    expect(result.returncode == 2 and "no_such_spec.yaml:0:0: cannot read the file" in result.stderr,
           f"without --check, a missing file: one located error, exit 2: {result.stderr.strip()}")
    result = run(commtune, "--check", str(examples / "no_such_spec.yaml"))
    expect(result.returncode == 2 and "no_such_spec.yaml:0:0: cannot read the file" in result.stderr,
           f"a missing file: one located error, exit 2: {result.stderr.strip()}")


def main():
    commtune, examples, bad = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
    check_examples(commtune, examples)
    check_malformed(commtune, bad)
    check_missing_file(commtune, examples)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
