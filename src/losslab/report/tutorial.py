"""The figures of `losslab reproduce`: one learning-curve figure per experiment, one summary."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from ..tutorial.reproduction import Reproduction
from ..tutorial.experiments import PROBLEMS
from .curves import _pyplot, learning_curves, metric_boxes

_METRIC_LABEL = {"mse": "mean squared error", "accuracy": "accuracy"}


def _jobs(result: Reproduction, out: Path) -> list[tuple]:
    """One (function, keyword arguments) per figure."""
    n = len(result.seeds)
    jobs = []
    for e in result.experiments:
        jobs.append((learning_curves, dict(
            curves=result.curves(e.name),
            title=f"{e.name if e.name == e.loss else e.name + ': ' + e.loss}\n{PROBLEMS[e.problem].title}, {e.output} output, {n} repeats",
            loss_label=f"loss: {e.loss}", metric_label=_METRIC_LABEL[e.metric], path=out / f"{e.name}.png",
            log_loss=e.problem == "regression")))
    groups = []
    for problem, spec in PROBLEMS.items():
        chosen = [e for e in result.experiments if e.problem == problem]
        if chosen:
            values = {e.name: result.final(e.name)["metric_test"] for e in chosen}
            groups.append((spec.title, f"test {spec.metric}" if spec.metric != "mse" else "test MSE", values))
    jobs.append((metric_boxes, dict(groups=groups, title=f"Test metric of every repeat ({n} per loss)", path=out / "summary.png")))
    return jobs


def _run(job: tuple) -> Path:
    fn, kwargs = job
    fn(**kwargs)
    return kwargs["path"]


def draw(result: Reproduction, out: str | Path, *, processes: int | None = None) -> list[Path]:
    """Write ``<experiment>.png`` for each experiment and ``summary.png``; return the paths.

    Figures are drawn side by side in ``processes`` forked processes (default: one per core),
    since drawing ten figures takes as long as training the models behind them.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = _jobs(result, out)
    processes = min(len(jobs), os.cpu_count() or 1) if processes is None else processes
    if processes <= 1:
        return [_run(job) for job in jobs]
    _pyplot()  # imported once here, inherited by the forked processes
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        return pool.map(_run, jobs)
