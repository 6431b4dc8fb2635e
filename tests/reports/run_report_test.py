#!/usr/bin/env python3
"""Runs one tests/reports case: makes a run directory (a real program under `commtune run`, or
synthetic rank dumps), adds fixtures when asked, runs `commtune report` (run report, --compare or
--sweep), then opens every HTML file written in a real browser (Debian's chromium-headless-shell,
--dump-dom) and checks it. Python 3 stdlib only.

usage: run_report_test.py MODE --commtune PATH --work DIR [options] [-- LAUNCHER... PROGRAM ARGS...]

MODE
  run        `commtune run -o WORK/run [--trace] -- COMMAND`, then `commtune report WORK/run`
  synthetic  make_rank_dumps.py WORK/run --ranks N, then `commtune report WORK/run`
  compare    synthetic before/after runs (the after's MPI_Send twice as fast), single and repeated
             (5 runs a side; with 3 the exact Mann-Whitney test cannot reach p < 0.05), then
             `commtune report --compare` for each; the repeated comparison must call MPI_Send
             "faster", the single one must say it did not test call sites

Every page must: load in the browser with exit status 0 and no console message; hold every
section of its kind (same layout on every run); draw every chart (each figure.chart holds an SVG
with drawn plot elements; no "Chart not drawn"); reference nothing outside the file; hold no
<script>, <img>, <iframe>, <object> or <embed> element; show every --expect-text as text (escaped in the HTML and in the Markdown).
"""

from __future__ import annotations

import argparse
import html
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
RUN_SECTIONS = ["summary", "run", "functions", "callsites", "sizes", "matrix", "imbalance", "waits", "requests",
                "timeline", "sweeps", "recommendations", "notes"]
BROWSERS = ["chromium-headless-shell", "chromium"]
failures: list[str] = []


def log(message: str) -> None:
    print(f"run_report_test: {message}", flush=True)


def fail(message: str) -> None:
    failures.append(message)
    print(f"run_report_test: FAILED: {message}", file=sys.stderr, flush=True)


def run(command: list[str], env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    log("$ " + " ".join(command))
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    sys.stdout.write(result.stdout[-3000:])
    sys.stderr.write(result.stderr[-3000:])
    if result.returncode != 0:
        raise SystemExit(f"run_report_test: FAILED: exit status {result.returncode}: {' '.join(command)}")
    return result


def browser() -> str:
    chosen = os.environ.get("COMMTUNE_BROWSER")
    for name in ([chosen] if chosen else BROWSERS):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("run_report_test: FAILED: no browser: install chromium-headless-shell (scripts/packages.txt)")


def open_in_browser(page: pathlib.Path) -> tuple[str, str, float]:
    """The rendered DOM, the browser's stderr (console messages are logged there) and the seconds taken."""
    command = [browser(), "--no-sandbox", "--headless", "--disable-gpu", "--disable-dev-shm-usage",
               "--enable-logging=stderr", "--v=0", "--dump-dom", page.resolve().as_uri()]
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        fail(f"{page}: the browser exited with {result.returncode}: {result.stderr[-2000:]}")
    return result.stdout, result.stderr, seconds


def drawn_elements(svg: str) -> int:
    """Shapes inside gnuplot's plot groups (gnuplot_plot_N, from each to the next): what the data
    and its key entries drew, not the axes. A chart of data draws at least 2 (a key sample and a
    shape, or a heatmap's cells); gnuplot's placeholder for nothing draws 1."""
    parts = re.split(r'<g id="[^"]*gnuplot_plot_\d+"', svg)[1:]
    return sum(len(re.findall(r"<(path|rect|image|use|polygon|polyline|circle)\b", part)) for part in parts)


def check_page(page: pathlib.Path, sections: list[str], charts: list[str], texts: list[str], max_bytes: int) -> None:
    if not page.is_file():
        fail(f"{page} was not written")
        return
    static = page.read_text(encoding="utf-8")
    size = page.stat().st_size
    log(f"{page}: {size} bytes")
    if max_bytes and size > max_bytes:
        fail(f"{page}: {size} bytes, more than {max_bytes}")
    # Inside tags only: escaped text such as "&lt;img src=x&gt;" is text, not a reference.
    for pattern in (r"<[a-z][^>]*\ssrc\s*=", r"<[a-z][^>]*href\s*=\s*[\"']?(https?:|//)",
                    r"url\(\s*[\"']?(https?:|//)", r"@import"):
        if re.search(pattern, static, re.I):
            fail(f"{page}: refers to something outside the file ({pattern})")
    ids = re.findall(r"""\sid\s*=\s*["']([^"']+)["']""", static)
    duplicates = sorted({each for each in ids if ids.count(each) > 1}) if len(ids) < 5000 else []
    if duplicates:
        fail(f"{page}: ids used more than once: {duplicates[:10]}")
    dom, stderr, seconds = open_in_browser(page)
    log(f"{page}: rendered in {seconds:.2f} s (browser start included), DOM {len(dom)} characters")
    if "<h1>" not in dom or "</html>" not in dom:
        fail(f"{page}: the browser's DOM has no page: {dom[:500]!r}")
    console = [line for line in stderr.splitlines() if "CONSOLE" in line or "Refused to" in line]
    if console:
        fail(f"{page}: console messages: {console[:5]}")
    for element in re.findall(r"<(script|img|iframe|object|embed)\b", dom, re.I):
        fail(f"{page}: the DOM holds a <{element}> element")
    for section in sections:
        if f'<h2 id="{section}">' not in dom:
            fail(f"{page}: section {section} missing")
    if "chart-missing" in dom or "Chart not drawn" in dom:
        fail(f"{page}: a chart was not drawn: {re.findall(r'Chart not drawn[^<]*', dom)[:3]}")
    figures = dict(re.findall(r'<figure class="chart" id="chart-([^"]+)">(.*?)</figure>', dom, re.S))
    for name, body in figures.items():
        if "<svg" not in body:
            fail(f"{page}: chart {name} has no SVG")
        elif drawn_elements(body) < 2:
            fail(f"{page}: chart {name} draws nothing")
    for name in charts:
        if name not in figures:
            fail(f"{page}: chart {name} missing (charts: {sorted(figures)})")
    log(f"{page}: charts {sorted(figures)}")
    markdown = page.with_suffix(".md")
    markdown_text = markdown.read_text(encoding="utf-8") if markdown.is_file() else ""
    if not markdown_text:
        fail(f"{markdown} was not written")
    for text in texts:
        if html.escape(text, quote=False) not in dom:
            fail(f"{page}: {text!r} is not shown as text")
        if "<" in text and text in markdown_text:
            fail(f"{markdown}: {text!r} appears unescaped")


def commtune_report(args, *extra: str) -> None:
    run([args.commtune, "report", *extra], env=os.environ.copy())


def make_synthetic(directory: pathlib.Path, ranks: int, *options: str) -> None:
    run([sys.executable, str(HERE / "make_rank_dumps.py"), str(directory), "--ranks", str(ranks), *options])


def run_case(args, out: pathlib.Path) -> None:
    if args.mode == "run":
        command = [args.commtune, "run", "-o", str(out), *(["--trace"] if args.trace else []), "--", *args.command]
        run(command, env=os.environ.copy())
    else:
        make_synthetic(out, args.ranks, "--program", args.program)
    report_args = [str(out)]
    if args.fixture:
        run([args.fixture, "recommendations", str(out)])
        database = args.work / "results.sqlite"
        run([args.fixture, "database", str(database), str(out)])
        report_args += ["--db", str(database)]
    commtune_report(args, *report_args)
    check_page(out / "report.html", RUN_SECTIONS, args.chart, args.expect_text, args.max_bytes)
    if args.fixture:
        commtune_report(args, "--sweep", "--db", str(args.work / "results.sqlite"), "-o", str(args.work / "sweep"))
        check_page(args.work / "sweep.html", ["summary", "hardware-0"], ["hw0-sweep-0", "hw0-sweep-1", "hw0-sweep-2"],
                   ["What the sweeps chose"], args.max_bytes)


def compare_case(args) -> None:
    work = args.work
    for side, scale in (("before", "1.0"), ("after", "0.5")):
        make_synthetic(work / f"single-{side}", 8, "--send-scale", scale, "--program", args.program)
        for repeat in range(5):
            make_synthetic(work / f"repeated-{side}" / f"run-{repeat}", 8, "--send-scale", scale, "--seed",
                           str(repeat + 1 + (10 if side == "after" else 0)), "--program", args.program)
    for folder in sorted(work.glob("*-*/")) + sorted(work.glob("repeated-*/run-*/")):
        if (folder / "ranks").is_dir():
            commtune_report(args, "--quiet", "--no-html", str(folder))
    for kind in ("single", "repeated"):
        base = work / f"compare-{kind}"
        commtune_report(args, "--compare", str(work / f"{kind}-before"), str(work / f"{kind}-after"), "-o", str(base))
        check_page(base.with_suffix(".html"), ["summary", "functions", "callsites"], ["compare-functions"],
                   args.expect_text, args.max_bytes)
        markdown = base.with_suffix(".md").read_text(encoding="utf-8")
        send_rows = [line for line in markdown.splitlines() if line.startswith("| MPI\\_Send |")]
        log(f"{kind}: {send_rows}")
        if kind == "repeated" and not (send_rows and "| faster" in send_rows[0]):
            fail(f"{base}.md: MPI_Send, twice as fast after, is not called faster: {send_rows}")
        if kind == "single" and "not tested (one run each)" not in markdown:
            fail(f"{base}.md: the single-run comparison does not say that call sites were not tested")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["run", "synthetic", "compare"])
    parser.add_argument("--commtune", required=True)
    parser.add_argument("--work", required=True, type=pathlib.Path)
    parser.add_argument("--trace", action="store_true", help="run: commtune run --trace")
    parser.add_argument("--fixture", help="report_fixture: add recommendations.yaml and a results database (--db)")
    parser.add_argument("--ranks", type=int, default=1024, help="synthetic: ranks")
    parser.add_argument("--program", default="synthetic", help="synthetic and compare: the program name recorded")
    parser.add_argument("--chart", action="append", default=[], help="a chart the run report must draw")
    parser.add_argument("--expect-text", action="append", default=[], help="text the page must show as text")
    parser.add_argument("--max-bytes", type=int, default=0)
    # Everything after the first "--" is the command to run (its words may look like options).
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    args.command = argv[split + 1:]
    if args.mode == "run" and not args.command:
        parser.error("run needs -- COMMAND")
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    if args.mode == "compare":
        compare_case(args)
    else:
        run_case(args, args.work / "run")
    if failures:
        raise SystemExit(f"run_report_test: {len(failures)} check(s) failed")
    log("all checks passed")


if __name__ == "__main__":
    main()
