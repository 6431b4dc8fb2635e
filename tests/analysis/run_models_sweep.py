#!/usr/bin/env python3
"""A real link sweep fitted: `commtune sweep configs/sweeps/link.yaml` (mpirun, 2 ranks) into a
fresh database, then analysis_fit_models on it, which fails when the link's median held-out
(leave-one-out) error exceeds MAX_MEDIAN_ERROR.

The bound, 0.25: on this shared 2-core machine the fits of link.yaml had median held-out errors
of 3-12 % (docs/analysis.md, "Hardware models"); a point's median moves by up to ~20 % between
launches while others build, so a correct fit stays under 25 %, while a fit of the wrong shape
(one line over 0 B .. 16 MiB, missing the eager/rendezvous switch) misses by far more.

usage: run_models_sweep.py COMMTUNE FIT_MODELS LINK_SPEC WORK_DIR
"""
import os
import shutil
import subprocess
import sys

MAX_MEDIAN_ERROR = 0.25


def main():
    commtune, fit_models, spec, work = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    db = os.path.join(work, "link.sqlite")
    sweep = subprocess.run([commtune, "sweep", spec, "--db", db], capture_output=True, text=True, timeout=240)
    print(sweep.stdout[-2000:], sweep.stderr[-2000:])
    if sweep.returncode != 0:
        print(f"FAIL: commtune sweep exited {sweep.returncode}")
        return 1
    fit = subprocess.run([fit_models, db, "--max-median-error", str(MAX_MEDIAN_ERROR)], capture_output=True,
                         text=True, timeout=60)
    print(fit.stdout, fit.stderr)
    if "intra-node link 'shared memory'" not in fit.stdout:
        print("FAIL: no intra-node link fitted")
        return 1
    if "held-out (leave-one-out" not in fit.stdout or "23 of 23 points" not in fit.stdout:
        print("FAIL: the fit does not report a held-out error on every point")
        return 1
    if fit.returncode != 0:
        print(f"FAIL: a median held-out error above {MAX_MEDIAN_ERROR}")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
