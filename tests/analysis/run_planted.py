#!/usr/bin/env python3
"""End-to-end tests of `commtune analyze` on the planted programs (tests/analysis/planted/*.c).

usage:
  run_planted.py sweeps --commtune PATH --db DB [--link shm|tcp|shaped] [--shaper SCRIPT] SPEC...
      Runs each sweep spec into DB (removed first). With --link tcp or shaped every spec's studies
      run over `--mca btl self,tcp` (the spec's `transports` are replaced), shaped: inside
      scripts/shaped-link.sh (the loopback device at 1 Gbit/s).
  (both take --mpiexec LAUNCHER and --oversubscribe-flags "FLAGS", default mpirun, --oversubscribe)
  run_planted.py check --commtune PATH --work DIR --program EXE --source FILE.c --ranks N --db DB
                 [--hardware FILE|ID|db] [--link shm|tcp|shaped] [--shaper SCRIPT] [--run-option OPT]...
                 (--expect T | --expect-among T | --expect-none | --expect-not T) [--kernel-agrees]
      Runs EXE under `commtune run -o DIR/out`, then `commtune analyze DIR/out --db DB` (with
      --hardware; `db`: the one fingerprint the database holds), reads
      DIR/out/recommendations.yaml and checks it:
        --expect T       the top significant recommendation is technique T and names the call site
                         on the line after the one of FILE.c marked "PLANTED: T" (as file:line);
        --expect-among T a significant recommendation of technique T names that call site (a program
                         with two remedies at one call: the other may rank first);
        --expect-none    no recommendation is significant;
        --expect-not T   no significant recommendation of technique T.
      --kernel-agrees (compression): the batching kernel, configured like the planted exchange,
      is run sent as is and compressed on the same link; compression must be significantly faster
      there exactly when the analyzer recommends it significantly.
Exit status 0 when every check passed. Python 3 with PyYAML.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys

import yaml

TCP_MCA = ["--mca", "btl", "self,tcp", "--mca", "btl_tcp_if_include", "lo"]


def log(message: str) -> None:
    print(f"run_planted: {message}", flush=True)


def mpi_environment() -> dict[str, str]:
    env = dict(os.environ)
    for name in list(env):
        if name.startswith("COMMTUNE_"):
            del env[name]
    env.pop("LD_PRELOAD", None)
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    env.setdefault("OMPI_MCA_pml", "ob1")
    return env


def run(command: list[str], timeout_s: float, cwd: pathlib.Path | None = None,
        quiet: bool = False) -> subprocess.CompletedProcess:
    log(f"$ {shlex.join(command)}")
    result = subprocess.run(command, cwd=cwd, env=mpi_environment(), capture_output=True, text=True,
                            timeout=timeout_s)
    for line in ([] if quiet else (result.stdout + result.stderr).splitlines()[-30:]):
        print(f"  | {line}")
    if result.returncode != 0:
        raise SystemExit(f"run_planted: FAILED: exit status {result.returncode}: {shlex.join(command)}")
    return result


def shaped(command: list[str], options) -> list[str]:
    """The command inside the link shaper when the link is the shaped one."""
    return [options.shaper, "--"] + command if options.link == "shaped" else command


def launcher(options, ranks: int) -> list[str]:
    # The oversubscription flag only where needed: with Open MPI it makes idle ranks yield the core
    # (mpi_yield_when_idle), which slows every small message (../shared/ENVIRONMENT.md).
    words = [options.mpiexec, "-np", str(ranks)]
    words += shlex.split(options.oversubscribe_flags) if ranks > (os.cpu_count() or 1) else []
    return words + (TCP_MCA if options.link in ("tcp", "shaped") else [])


def planted_location(source: pathlib.Path, technique: str) -> str:
    """file:line of the call on the line after the one marked "PLANTED: technique" (exactly one)."""
    lines = [n for n, text in enumerate(source.read_text().splitlines(), 1)
             if re.search(rf"PLANTED: {re.escape(technique)}\b", text)]
    if len(lines) != 1:
        raise SystemExit(f"run_planted: FAILED: {source} has {len(lines)} lines marked 'PLANTED: {technique}'")
    return f"{source.name}:{lines[0] + 1}"


def describe(recommendation: dict) -> str:
    gain = recommendation.get("predicted_gain", {})
    sites = ", ".join(site.get("location", "?") for site in recommendation.get("callsites", []))
    return (f"#{recommendation.get('rank')} {recommendation.get('technique')} at [{sites}]: "
            f"{gain.get('percent_of_run', 0):.1f} % [{gain.get('ci_low_percent', 0):.1f}, "
            f"{gain.get('ci_high_percent', 0):.1f}] significant={gain.get('significant')}")


def significant(recommendations: list[dict]) -> list[dict]:
    chosen = [r for r in recommendations if r.get("predicted_gain", {}).get("significant")]
    return sorted(chosen, key=lambda r: r.get("rank", 0))


def kernel_median_s(options, variant: str) -> tuple[float, dict]:
    """The batching kernel configured like compressible.c's exchange (1 MiB of int64 ids per
    message, one message per iteration), one variant, on the same link; its median iteration."""
    command = [options.commtune, "kernel", "batching", "--param", f"variant={variant}", "--param", "message_bytes=1M",
               "--param", "message_count=1", "--param", "data=ids", "--param", f"codec={options.kernel_codec}",
               "--param", "level=1", "--iterations", "30", "--"] + launcher(options, 2)
    result = run(shaped(command, options), timeout_s=300)
    document = json.loads(result.stdout[result.stdout.index("{"):])
    return float(document["summary_s"]["median"]), document


def database_hardware(options) -> str:
    """The one hardware fingerprint id of the database's points (`--hardware db`)."""
    result = run([options.commtune, "results", "--db", options.db, "--format", "json"], timeout_s=60, quiet=True)
    ids = sorted({point["hardware_id"] for point in json.loads(result.stdout)["points"]})
    if len(ids) != 1:
        raise SystemExit(f"run_planted: FAILED: --hardware db needs one fingerprint in {options.db}, found {ids}")
    return ids[0]


def locations(recommendation: dict) -> list[str]:
    return [site.get("location", "") for site in recommendation.get("callsites", [])]


def names_site(recommendation: dict, expected_site: str) -> bool:
    """Whether the recommendation names FILE:LINE (its locations may carry a directory)."""
    return any(location == expected_site or location.endswith("/" + expected_site)
               for location in locations(recommendation))


def check(options) -> int:
    work = pathlib.Path(options.work).resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    out = work / "out"
    source = pathlib.Path(options.source)
    command = [options.commtune, "run", "-o", str(out), "--quiet"] + options.run_option + ["--"]
    command += launcher(options, options.ranks) + [options.program] + options.program_arg
    run(shaped(command, options), timeout_s=options.run_timeout, cwd=work)
    analyze = [options.commtune, "analyze", str(out), "--db", options.db]
    if options.hardware:
        analyze += ["--hardware", database_hardware(options) if options.hardware == "db" else options.hardware]
    run(analyze, timeout_s=120, cwd=work)
    document = yaml.safe_load((out / "recommendations.yaml").read_text())
    if document.get("schema") != "commtune.recommendations/1":
        raise SystemExit(f"run_planted: FAILED: recommendations.yaml has schema {document.get('schema')!r}")
    recommendations = document.get("recommendations") or []
    for recommendation in recommendations:
        log(describe(recommendation))
    chosen = significant(recommendations)
    failures = []
    if options.expect:
        expected_site = planted_location(source, options.expect)
        if not chosen:
            failures.append(f"expected a significant {options.expect} recommendation at {expected_site}: none is significant")
        else:
            top = chosen[0]
            if top.get("technique") != options.expect:
                failures.append(f"the top significant recommendation is {top.get('technique')}, expected {options.expect}")
            if not names_site(top, expected_site):
                failures.append(f"the top significant recommendation names {locations(top)}, expected {expected_site}")
    if options.expect_among:
        expected_site = planted_location(source, options.expect_among)
        if not any(r.get("technique") == options.expect_among and names_site(r, expected_site) for r in chosen):
            failures.append(f"expected a significant {options.expect_among} recommendation at {expected_site}: none")
    if options.expect_none and chosen:
        failures.append(f"expected no significant recommendation, got {len(chosen)}: {describe(chosen[0])}")
    if options.expect_not:
        wrong = [r for r in chosen if r.get("technique") == options.expect_not]
        if wrong:
            failures.append(f"expected no significant {options.expect_not} recommendation, got {describe(wrong[0])}")
    if options.kernel_agrees:
        raw_s, _ = kernel_median_s(options, "individual")
        compressed_s, _ = kernel_median_s(options, "compressed")
        # A clear difference only (10 %): between the two the kernel says nothing either way.
        kernel_says = compressed_s < 0.9 * raw_s
        kernel_denies = compressed_s > raw_s / 0.9
        analyzer_says = any(r.get("technique") == "compression" for r in chosen)
        log(f"batching kernel on this link: individual {raw_s * 1e3:.3f} ms, compressed ({options.kernel_codec}) "
            f"{compressed_s * 1e3:.3f} ms per 1 MiB exchange; analyzer recommends compression: {analyzer_says}")
        if analyzer_says and not kernel_says:
            failures.append("the analyzer recommends compression, but the batching kernel does not find it faster here")
        if not analyzer_says and not kernel_denies:
            failures.append("the analyzer does not recommend compression, but the batching kernel does not find it slower here")
    for failure in failures:
        print(f"run_planted: FAILED: {failure}", file=sys.stderr)
    if not failures:
        log("passed")
    return 1 if failures else 0


def sweeps(options) -> int:
    db = pathlib.Path(options.db)
    db.parent.mkdir(parents=True, exist_ok=True)
    for stale in db.parent.glob(db.name + "*"):
        stale.unlink()
    for spec in options.spec:
        path = pathlib.Path(spec)
        if options.link in ("tcp", "shaped"):
            document = yaml.safe_load(path.read_text())
            document["transports"] = [{"name": "tcp", "mca": {"btl": "self,tcp", "btl_tcp_if_include": "lo"}}]
            path = db.parent / f"{db.stem}-{path.name}"
            path.write_text(yaml.safe_dump(document, sort_keys=False))
        run(shaped([options.commtune, "sweep", str(path), "--db", str(db)], options), timeout_s=options.run_timeout)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["sweeps", "check"])
    parser.add_argument("--commtune", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--link", choices=["shm", "tcp", "shaped"], default="shm",
                        help="tcp and shaped use Open MPI's --mca btl self,tcp")
    parser.add_argument("--mpiexec", default="mpirun", help="the MPI launcher")
    parser.add_argument("--oversubscribe-flags", default="--oversubscribe",
                        help="launcher options for more ranks than cores (empty for MPICH)")
    parser.add_argument("--shaper", default="", help="scripts/shaped-link.sh (for --link shaped)")
    parser.add_argument("--run-timeout", type=float, default=240)
    parser.add_argument("spec", nargs="*", help="sweeps: the sweep specs")
    parser.add_argument("--work")
    parser.add_argument("--program")
    parser.add_argument("--program-arg", action="append", default=[])
    parser.add_argument("--source")
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--hardware", default="")
    parser.add_argument("--run-option", action="append", default=[])
    parser.add_argument("--expect", default="")
    parser.add_argument("--expect-among", default="")
    parser.add_argument("--expect-none", action="store_true")
    parser.add_argument("--expect-not", default="")
    parser.add_argument("--kernel-agrees", action="store_true")
    parser.add_argument("--kernel-codec", default="lz4")
    options = parser.parse_intermixed_args(argv)
    for name in ("commtune", "db", "shaper", "program", "source", "hardware"):  # the runs change directory
        value = getattr(options, name)
        if value and os.path.exists(value):
            setattr(options, name, os.path.abspath(value))
    if options.link == "shaped" and not options.shaper:
        parser.error("--link shaped needs --shaper scripts/shaped-link.sh")
    if options.action == "sweeps":
        return sweeps(options)
    if not (options.work and options.program and options.source):
        parser.error("check needs --work, --program and --source")
    if not (options.expect or options.expect_among or options.expect_none or options.expect_not):
        parser.error("check needs --expect, --expect-among, --expect-none or --expect-not")
    return check(options)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
