"""`compare` on real-sized tables: wall time, peak memory and where the time goes.

Run: .venv/bin/python benchmarks/real_scale.py [--quick] [--case 10k|50k|1m] [--device cuda]

Each case runs in a fresh process (its peak RSS is its own) on a Parquet file written
beforehand, and reports the phases of one `compare` start to finish:

- load: reading the file and preparing the table (``losslab.experiment.sources.prepare_source``: columns
  chosen, rows with a missing target dropped, the problem kind read);
- prepare: the advisor, the plan (splits, encodings, checks) and the schedule (the step
  cost timed on this machine);
- train: the engine calls (lockstep training, per-epoch learning curves);
- evaluate: everything else in the run: per-split preprocessing, scoring every trial on its
  held-out rows, the store's commits;
- report: the statistics, the verdict and the HTML report.

The cases (the issue's targets in brackets, on a 2-core machine):

- ``10k``: 10,000 rows x 10 numeric columns, heavy-tailed regression target, the default
  compare (the advisor's candidates, 30 repeats, 100 epochs) [<= 60 s];
- ``50k``: 50,000 rows x 10 columns, the default compare [<= 5 min, < 1 GB];
- ``1m``: 1,000,000 rows x 20 columns, ``--repeats 2 --epochs 2`` [<= 30 s, < 1.5 GB].

``--quick`` runs 10k and 1m with 10 epochs for 10k (a minute on a quiet machine).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = {
    "10k": dict(rows=10_000, columns=10, kwargs={}),
    "50k": dict(rows=50_000, columns=10, kwargs={}),
    "1m": dict(rows=1_000_000, columns=20, kwargs={"repeats": 2, "epochs": 2}),
}


def write_table(path: Path, rows: int, columns: int, seed: int = 0) -> None:
    """A regression table: a smooth signal of the columns plus Student-t noise (heavy tails,
    so the advisor proposes Huber and MAE beside MSE)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, columns)).astype(np.float64)
    w = rng.standard_normal(columns)
    y = X @ w + np.sin(2 * X[:, 0]) + 2.0 * rng.standard_t(2, rows)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(columns)])
    frame["y"] = y
    frame.to_parquet(path, index=False)


def child(case: str, path: str, out: str, device: str | None, epochs: int | None) -> dict:
    """One case, in this process: the phases of one compare, start to finish."""
    started = time.perf_counter()
    from losslab import api
    from losslab.experiment import runner, sources, trials

    phases = {"import": time.perf_counter() - started}
    engine = {"seconds": 0.0, "calls": 0}
    real_train, real_load, real_schedule = trials.train, sources.prepare_source, runner.schedule

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - t
        return wrapper

    def train(*args, **kwargs):
        t = time.perf_counter()
        history = real_train(*args, **kwargs)
        engine["seconds"] += time.perf_counter() - t
        engine["calls"] += 1
        return history

    trials.train = train
    sources.prepare_source = timed("load", real_load)  # what compare calls to read and prepare the table
    runner.schedule = timed("schedule", real_schedule)
    kwargs = dict(CASES[case]["kwargs"])
    if epochs:
        kwargs["epochs"] = epochs
    seen = {}
    t = time.perf_counter()
    run_started = {}
    study = api.compare(data=path, target="y", out=out, device=device,
                        on_start=lambda plan, todo: (seen.update(plan=plan.schedule.describe(), trials=todo),
                                                     run_started.update(t=time.perf_counter())), **kwargs)
    compare_seconds = time.perf_counter() - t
    run_seconds = time.perf_counter() - run_started["t"]
    t = time.perf_counter()
    try:
        study.verdict()
        study.report()
        phases["report"] = time.perf_counter() - t
    except ImportError as err:  # a machine without scikit-posthocs (Nemenyi): the rest still stands
        phases["report"] = float("nan")
        print(f"report skipped: {err}", file=sys.stderr)
    # Before training: the advisor, the plan and its schedule (and, after it, the study read back).
    phases["prepare"] = compare_seconds - run_seconds - phases.get("load", 0.0)
    phases["train"] = engine["seconds"]
    phases["evaluate"] = run_seconds - engine["seconds"]
    return {
        "case": case, "rows": CASES[case]["rows"], "columns": CASES[case]["columns"], "kwargs": kwargs,
        "plan": seen.get("plan"), "trials": len(study.results), "engine_calls": engine["calls"],
        "batch_size": study.spec.model.batch_size, "wall": time.perf_counter() - started,
        "phases": {k: round(v, 2) for k, v in phases.items()},
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load_average": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", choices=sorted(CASES), action="append")
    parser.add_argument("--quick", action="store_true", help="10k with 10 epochs, and 1m")
    parser.add_argument("--device", default=None, help="cpu (default) or cuda")
    parser.add_argument("--epochs", type=int, default=None, help="override the case's epochs")
    parser.add_argument("--child", nargs=3, metavar=("CASE", "PATH", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child, args.device, args.epochs)))
        return
    cases = args.case or (["10k", "1m"] if args.quick else ["10k", "50k", "1m"])
    workdir = Path(tempfile.mkdtemp(prefix="losslab-scale-"))
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, load average {load:.1f} before starting; device {args.device or 'cpu'}")
    print(f"{'case':>5} {'rows':>9} {'cols':>4} {'trials':>6} {'batch':>5} {'wall s':>7} {'peak MB':>8}  "
          "phases (s): load prepare train evaluate report  load-avg  plan")
    for case in cases:
        spec = CASES[case]
        path = workdir / f"{case}.parquet"
        write_table(path, spec["rows"], spec["columns"])
        epochs = args.epochs or (10 if args.quick and case == "10k" else None)
        cmd = [sys.executable, __file__, "--child", case, str(path), str(workdir / f"study-{case}")]
        cmd += ["--device", args.device] if args.device else []
        cmd += ["--epochs", str(epochs)] if epochs else []
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode:
            print(f"{case:>5} failed:\n{out.stderr[-3000:]}", flush=True)
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        p = r["phases"]
        print(f"{case:>5} {r['rows']:>9,} {r['columns']:>4} {r['trials']:>6} {r['batch_size']:>5} {r['wall']:>7.1f} "
              f"{r['peak_rss_mb']:>8.0f}  {p.get('load', 0):>5.1f} {p.get('prepare', 0):>7.1f} {p['train']:>5.1f} "
              f"{p['evaluate']:>8.1f} {p['report']:>6.1f}  {r['load_average']:>8.1f}  {r['plan']} {r['kwargs'] or ''}", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
