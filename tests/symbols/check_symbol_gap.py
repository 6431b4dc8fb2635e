#!/usr/bin/env python3
"""Fails when the MPI library exports a PMPI_* function (or a Fortran binding of one) that the
preload library does not wrap, except the deliberate exceptions listed with their reason."""

import argparse
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "pmpi_hooks" / "generator"))
import mpiwrap  # noqa: E402


def dynamic_symbols(library: str) -> set[str]:
    listing = subprocess.run(["nm", "-D", "--defined-only", "--format=posix", library], check=True,
                             capture_output=True, text=True).stdout
    return {line.split()[0] for line in listing.splitlines() if line.strip()}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--preload", required=True)
    parser.add_argument("--mpi-libraries", nargs="+", required=True, help="the C MPI libraries")
    parser.add_argument("--fortran-symbols", required=True, help="generated/fortran_symbols.txt")
    parser.add_argument("--exceptions", required=True, help="generated/not_wrapped.txt")
    parser.add_argument("--preprocessed", required=True, help="generated/mpi_preprocessed.i")
    options = parser.parse_args()

    ours = dynamic_symbols(options.preload)
    exceptions = dict(line.split("\t", 1) for line in pathlib.Path(options.exceptions).read_text().splitlines() if line)
    pmpi = set()
    for library in options.mpi_libraries:
        pmpi |= {s[1:] for s in dynamic_symbols(library) if s.startswith("PMPI_")}

    failures = []
    c_gap = sorted(name for name in pmpi if name not in ours and name not in exceptions)
    if c_gap:
        failures.append(f"{len(c_gap)} MPI functions exported as PMPI_* but not wrapped: {', '.join(c_gap)}")

    functions = mpiwrap.parse_header(pathlib.Path(options.preprocessed).read_text())
    exported = set(pathlib.Path(options.fortran_symbols).read_text().split())
    fortran_gap = sorted(symbol for symbol, f in mpiwrap.fortran_symbols_for(functions, exported)
                         if mpiwrap.fortran_wrappable(f) and symbol not in ours)
    if fortran_gap:
        failures.append(f"{len(fortran_gap)} Fortran bindings not wrapped: {', '.join(fortran_gap)}")

    print(f"MPI C functions exported by the MPI library: {len(pmpi)}; wrapped: {len(pmpi & ours)}")
    print(f"Fortran bindings wrapped: {len([s for s in ours if s.lower().startswith('mpi_') and s != s.title()])}")
    for name, reason in sorted(exceptions.items()):
        print(f"not wrapped, deliberately: {name}: {reason}")
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
