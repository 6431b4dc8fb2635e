#!/usr/bin/env python3
"""Open MPI accepts the rules files commtune writes, and selects the algorithms they name.

Usage: check_ompi_rules_accepted.py MPIEXEC PROBE WRITER WORKDIR

PROBE (coll_rules_probe.c) runs MPI_Allreduce with a counting user-defined sum on 4 ranks and
prints "calls:elements" per rank: a fingerprint of the algorithm that ran. WRITER
(write_ompi_rules.cpp) writes a rules file with commtune's writer. For each algorithm we expect
the fingerprint its definition implies; the built-in choice must differ from each of them, so a
file Open MPI silently dropped (shown with a file it cannot parse) cannot pass for "selected".
"""
import os
import subprocess
import sys

RANKS = 4
COUNT = 1024  # doubles: 8 KiB per rank


def expected(algorithm, count):
    """calls:elements per rank that the algorithm's definition implies for 4 ranks."""
    if algorithm == "basic_linear":  # linear reduce to rank 0, then a broadcast
        return " ".join([f"{RANKS - 1}:{(RANKS - 1) * count}"] + ["0:0"] * (RANKS - 1))
    if algorithm == "recursive_doubling":  # log2(4) = 2 full-length exchanges
        return " ".join([f"2:{2 * count}"] * RANKS)
    if algorithm == "ring":  # reduce-scatter ring: 3 steps of a quarter
        return " ".join([f"{RANKS - 1}:{(RANKS - 1) * count // RANKS}"] * RANKS)
    raise ValueError(algorithm)


def main():
    mpiexec, probe, writer, workdir = sys.argv[1:5]
    os.makedirs(workdir, exist_ok=True)
    failures = []

    def run(rules_file, count=COUNT):
        command = [mpiexec, "-np", str(RANKS), "--oversubscribe"]
        if rules_file:
            command += ["--mca", "coll_tuned_use_dynamic_rules", "1",
                        "--mca", "coll_tuned_dynamic_rules_filename", rules_file]
        command += [probe, str(count)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            sys.exit(f"FAIL: {' '.join(command)} exited {result.returncode}\n{result.stdout}{result.stderr}")
        fingerprint, wrong = result.stdout.strip().splitlines()[:2]
        if wrong != "wrong 0":
            failures.append(f"{rules_file}: wrong results ({wrong})")
        return fingerprint

    def write(name, *rules):
        path = os.path.join(workdir, name)
        subprocess.run([writer, path, "allreduce", *rules], check=True, capture_output=True)
        return path

    def check(what, got, want):
        print(f"{'ok  ' if got == want else 'FAIL'} {what}: {got} (expected {want})")
        if got != want:
            failures.append(what)

    built_in = run(None)
    print(f"built-in choice without a rules file: {built_in}")
    for algorithm, number in (("basic_linear", 1), ("recursive_doubling", 3), ("ring", 4)):
        if built_in == expected(algorithm, COUNT):
            failures.append(f"the built-in choice looks like {algorithm}: the test could not tell them apart")
        rules = write(f"{algorithm}.conf", str(RANKS), f"0:{number}")
        check(f"rules file selecting {algorithm} ({number})", run(rules), expected(algorithm, COUNT))

    # Message sizes are datatype size x count: basic_linear below 4 KiB, ring from 4 KiB on.
    by_size = write("by_size.conf", str(RANKS), "0:1", "4096:4")
    check("2 KiB under 'from 4096: ring'", run(by_size, 256), expected("basic_linear", 256))
    check("8 KiB under 'from 4096: ring'", run(by_size, 1024), expected("ring", 1024))
    # Below the first communicator size of a block Open MPI 4.1 still uses that block (our lookup
    # says so too): rules "from 8 ranks" select basic_linear on 4 ranks.
    check("rules for 8 ranks and more, run on 4", run(write("from8.conf", "8", "0:1")),
          expected("basic_linear", COUNT))
    # A file Open MPI cannot parse (first message size not 0; our writer refuses to write it) is
    # dropped silently: the built-in choice again, which differs from every fingerprint above.
    broken = os.path.join(workdir, "broken.conf")
    with open(broken, "w") as out:
        out.write("1\n2 1\n4 1\n16 4 0 0\n")
    check("a file Open MPI drops", run(broken), built_in)

    if failures:
        sys.exit("FAIL: " + "; ".join(failures))
    print("Open MPI selected every algorithm the written rules files named")


if __name__ == "__main__":
    main()
