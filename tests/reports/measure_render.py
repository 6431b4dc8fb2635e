#!/usr/bin/env python3
"""Measures how long a report takes to render in headless Chromium (docs/performance.md). Not a
test: the machine is noisy, so it prints medians of interleaved repetitions. Python 3 stdlib only.

usage: measure_render.py REPORT.html [--repeat N]

Two figures per repetition, interleaved:
  in-page   navigation start to the load event plus a forced layout of the whole page, read with
            performance.now() in a copy of the report with a timing script added (the report
            itself runs no script and its Content-Security-Policy forbids one)
  wall      chromium-headless-shell --dump-dom of the report, minus the same for an empty page
            (browser start-up taken out)
"""

import argparse
import pathlib
import re
import shutil
import statistics
import subprocess
import tempfile
import time

TIMING = ("<script>addEventListener('load',()=>{document.body.getBoundingClientRect();"
          "void document.documentElement.scrollHeight;"
          "document.documentElement.dataset.renderMs=performance.now().toFixed(1);});</script>")


def dump(browser: str, page: pathlib.Path) -> tuple[str, float]:
    started = time.monotonic()
    command = [browser, "--no-sandbox", "--headless", "--disable-gpu", "--disable-dev-shm-usage", "--dump-dom",
               page.as_uri()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return result.stdout, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=pathlib.Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    browser = shutil.which("chromium-headless-shell") or shutil.which("chromium")
    with tempfile.TemporaryDirectory() as folder:
        timed = pathlib.Path(folder) / "timed.html"
        text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", args.report.read_text(encoding="utf-8"))
        timed.write_text(text.replace("</body>", TIMING + "</body>"), encoding="utf-8")
        empty = pathlib.Path(folder) / "empty.html"
        empty.write_text("<!DOCTYPE html><html><head><title>x</title></head><body><h1>x</h1></body></html>")
        in_page, wall = [], []
        for _ in range(args.repeat):
            dom, _ = dump(browser, timed)
            in_page.append(float(re.search(r'data-render-ms="([0-9.]+)"', dom).group(1)) / 1000)
            _, report_s = dump(browser, args.report.resolve())
            _, empty_s = dump(browser, empty)
            wall.append(report_s - empty_s)
    size = args.report.stat().st_size
    print(f"{args.report}: {size} bytes ({size / 2**20:.2f} MiB)")
    print(f"in-page render (load + layout): median {statistics.median(in_page):.3f} s, max {max(in_page):.3f} s")
    print(f"wall, minus an empty page:      median {statistics.median(wall):.3f} s, max {max(wall):.3f} s")


if __name__ == "__main__":
    main()
