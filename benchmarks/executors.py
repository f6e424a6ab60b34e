"""Throughput of `losslab compare` on the local executor and on Ray (1 and 2 workers), and how
wall time grows with data sets x losses x repeats. Prints the tables of docs/scaling.md.

    .venv/bin/python benchmarks/executors.py          # about 4 minutes on a 2-core machine

Part 1, a fixed study: breast_cancer, bce and hinge (one sigmoid unit), 24 repeats of 10-fold
cross-validation = 480 trials, MLP 32, 20 epochs. At 240 replicates per engine call that is
two batches of 240, i.e. two Ray tasks: the most two workers can share. Ray's start-up is
timed apart; each Ray configuration runs the study once with cold workers (the run starts
them and imports torch in them), then best of 3 with warm ones. Every run's stored trials are compared with the local
executor's, number for number.

Part 2, growth: suites of 1 or 3 data sets (iris, wine, breast_cancer) x 2 or 4 losses x 10,
30 or 100 hold-out repeats, on the local executor (torch's default threads) and on Ray with
2 workers of one thread (warm).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import torch

import losslab

FIXED = dict(dataset="breast_cancer", losses=["bce", "hinge"], repeats=24, cv=10, epochs=20, hidden=(32,),
             batch_size=32, seed=0)
DATASETS = ["iris", "wine", "breast_cancer"]
LOSSES = ["sparse_categorical_crossentropy", "categorical_crossentropy", "kld", "categorical_hinge"]
# (data sets, losses, repeats); at 100 repeats x 4 losses a data set is two engine calls, which two workers share.
GROWTH = [(1, 2, 10), (1, 2, 30), (1, 4, 30), (1, 4, 100), (3, 2, 10), (3, 2, 30), (3, 4, 30), (3, 4, 100)]
SMALL = dict(epochs=20, hidden=(32,), batch_size=32, seed=0)
TIMES = 3  # every timing but a cold start is the best of this many runs


def rows(folder: Path) -> list[tuple]:
    db = sqlite3.connect(f"file:{folder / 'study.sqlite'}?mode=ro", uri=True)
    try:
        return db.execute("SELECT loss, repeat, fold, seed, metrics, history, status FROM trials ORDER BY loss, repeat, fold").fetchall()
    finally:
        db.close()


def timed_study(times: int = 1, **kwargs) -> tuple[float, Path]:
    """The fastest of ``times`` runs of the fixed study (each into a new folder: no resuming)."""
    best, out = float("inf"), None
    for _ in range(times):
        out = Path(tempfile.mkdtemp(prefix="losslab-bench-"))
        started = time.perf_counter()
        losslab.compare(**{**FIXED, **kwargs}, out=out)
        best = min(best, time.perf_counter() - started)
    return best, out


def timed_suite(n_datasets: int, n_losses: int, repeats: int, times: int = 1, **kwargs) -> float:
    best = float("inf")
    for _ in range(times):
        out = Path(tempfile.mkdtemp(prefix="losslab-bench-"))
        started = time.perf_counter()
        if n_datasets == 1:
            losslab.compare(dataset=DATASETS[0], losses=LOSSES[:n_losses], repeats=repeats, out=out, **SMALL, **kwargs)
        else:
            losslab.compare_suite(DATASETS[:n_datasets], losses=LOSSES[:n_losses], repeats=repeats, out=out, **SMALL, **kwargs)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    import ray

    n_trials = len(FIXED["losses"]) * FIXED["repeats"] * FIXED["cv"]
    print(f"{os.cpu_count()} CPUs, torch {torch.__version__}, ray {ray.__version__}, Python {sys.version.split()[0]}")
    print(f"\nPart 1: {n_trials} trials (breast_cancer, bce + hinge, 24 x 10-fold, MLP 32, 20 epochs)\n")
    print("| executor | workers x torch threads | Ray start-up (s) | wall (s) | trials/s | vs local 1 thread | same numbers as local |")
    print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
    default_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    timed_study(epochs=1)  # imports and first calls: every timed run below finds them done
    base, reference = timed_study(TIMES)
    reference = rows(reference)
    print(f"| local | 1 x 1 | | {base:.2f} | {n_trials / base:.1f} | 1.00 | (reference) |")
    torch.set_num_threads(default_threads)
    wall, out = timed_study(TIMES)
    print(f"| local | 1 x {default_threads} (torch's default) | | {wall:.2f} | {n_trials / wall:.1f} | {base / wall:.2f} | "
          f"{'yes' if rows(out) == reference else 'NO'} |")
    torch.set_num_threads(1)  # the driver only stores; the workers train
    for workers in (1, 2):
        started = time.perf_counter()
        ray.init(num_cpus=workers, include_dashboard=False, logging_level=logging.WARNING)
        startup = time.perf_counter() - started
        for run in ("first run (cold workers)", f"warm workers, best of {TIMES}"):
            wall, out = timed_study(1 if run.startswith("first") else TIMES, executor="ray")
            print(f"| ray, {run} | {workers} x 1 | {f'{startup:.1f}' if run.startswith('first') else ''} | {wall:.2f} | "
                  f"{n_trials / wall:.1f} | {base / wall:.2f} | {'yes' if rows(out) == reference else 'NO'} |")
        ray.shutdown()

    print(f"\nPart 2: wall time (s, best of {TIMES}) by data sets x losses x repeats (hold-out repeats, MLP 32, 20 epochs)\n")
    print("| data sets | losses | repeats | trials | local (s) | local trials/s | ray 2 workers (s) | ray trials/s |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    torch.set_num_threads(default_threads)
    local = {point: timed_suite(*point, times=TIMES) for point in GROWTH}
    torch.set_num_threads(1)
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    timed_suite(1, 2, 2, executor="ray")  # start the workers: the table times warm ones
    for point in GROWTH:
        d, n_losses, repeats = point
        trials = d * n_losses * repeats
        remote = timed_suite(*point, times=TIMES, executor="ray")
        print(f"| {d} | {n_losses} | {repeats} | {trials} | {local[point]:.2f} | {trials / local[point]:.1f} | "
              f"{remote:.2f} | {trials / remote:.1f} |")
    ray.shutdown()


if __name__ == "__main__":
    main()
