"""`losslab compare` and `losslab report`: repeated evaluation with a statistical verdict."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import NoResult, app, console
from .advisor import DataArg, DatasetOpt, DropnaOpt, ExcludeOpt, IncludeOpt, KindOpt, TargetOpt
from .errors import to_flags
from ..vocab import WARNING


@app.command()
def compare(
    data: DataArg = None,
    target: TargetOpt = None,
    dataset: DatasetOpt = None,
    datasets_dir: Annotated[Optional[Path], typer.Option(help="A folder of data files (same --target): one study per file, and statistics across them.")] = None,
    losses: Annotated[Optional[str], typer.Option(help="Candidate losses, comma-separated (default: the advisor's); parameters as huber(delta=2).")] = None,
    sweep: Annotated[Optional[str], typer.Option(help="A weight to sweep in a composite loss: w=0,0.1,0.3,1 with --losses \"mse+w*mae\".")] = None,
    metric: Annotated[Optional[str], typer.Option(help="Held-out metric that decides (default: accuracy or rmse); any scikit-learn scorer name.")] = None,
    also: Annotated[Optional[str], typer.Option(help="More metrics to record, comma-separated.")] = None,
    repeats: Annotated[int, typer.Option(help="Repeats (seeds); with --cv, repeats of the k-fold split.")] = 30,
    cv: Annotated[Optional[str], typer.Option(help="Folds per repeat (e.g. 5), or 5x2; default: a random hold-out split per repeat.")] = None,
    test_size: Annotated[float, typer.Option(help="Held-out share of each hold-out split.")] = 0.25,
    hidden: Annotated[str, typer.Option(help="Hidden layer widths, e.g. 64,32.")] = "50",
    protocol: Annotated[str, typer.Option(help="tuned: each loss at its own best learning rate and stopping epoch, chosen on a validation share of the training rows; fixed: one rate, fixed epochs (the tutorials').")] = "tuned",
    epochs: Annotated[Optional[int], typer.Option(help="Training epochs (default: at most 200 with --protocol tuned, 100 with fixed).")] = None,
    batch_size: Annotated[Optional[int], typer.Option(help="Minibatch size (default 32, every training row of a smaller fold, larger on a table over 6,400 training rows: about 200 steps an epoch).")] = None,
    optimizer: Annotated[Optional[str], typer.Option(help="sgd (momentum 0.9) or adam (default: adam with --protocol tuned, sgd with fixed).")] = None,
    lr: Annotated[Optional[str], typer.Option(help="Learning rate, or with --protocol tuned a grid to choose from, e.g. 1e-3,3e-3,1e-2,3e-2 (the default; one value fixes it). Fixed: default 0.01 for sgd, 0.001 for adam.")] = None,
    patience: Annotated[Optional[int], typer.Option(help="Early stopping patience on a validation split (0: off; default 10 with --protocol tuned, 0 with fixed).")] = None,
    validation_split: Annotated[Optional[float], typer.Option(help="Share of each training fold that chooses the learning rate and stopping epoch (default 0.2 with --protocol tuned, 0.1 with fixed).")] = None,
    weight_decay: Annotated[Optional[float], typer.Option(help="AdamW's decoupled weight decay (default 1.0 with --protocol tuned and Adam; 0: plain Adam).")] = None,
    refit: Annotated[Optional[bool], typer.Option("--refit/--no-refit", help="With --protocol tuned: train the chosen rate again on all training rows (validation share included) for the chosen epochs, and score that model.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the splits and the models.")] = 0,
    kind: KindOpt = None,
    dropna: DropnaOpt = False,
    exclude: ExcludeOpt = None,
    include: IncludeOpt = None,
    stratify: Annotated[bool, typer.Option("--stratify/--no-stratify", help="Split class targets stratified (rare classes pooled).")] = True,
    out: Annotated[Path, typer.Option(help="Study folder: the SQLite store and report.html. Run again to resume.")] = Path("study"),
    format: Annotated[Optional[str], typer.Option("--format", help="Also export every trial: json or csv.")] = None,  # noqa: A002
    device: Annotated[Optional[str], typer.Option(help="cpu (default) or cuda.")] = None,
    executor: Annotated[str, typer.Option(help="local (this process) or ray: each batch of trials one Ray task (pip install 'losslab[ray]').")] = "local",
    ray_address: Annotated[Optional[str], typer.Option(help="The Ray cluster to join, e.g. auto (default: start a local Ray).")] = None,
    cpus_per_task: Annotated[float, typer.Option(help="CPUs each Ray task asks for (and torch threads in it).")] = 1,
    gpus_per_task: Annotated[float, typer.Option(help="GPUs each Ray task asks for (then it trains on cuda).")] = 0,
    max_retries: Annotated[int, typer.Option(help="Retries of a Ray task whose worker died; then its trials are stored as failed.")] = 2,
    mlflow: Annotated[Optional[str], typer.Option(help="Log to MLflow: local (./mlruns) or a tracking URI (pip install 'losslab[mlflow]').")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Start a study estimated beyond an hour without asking.")] = False,
) -> None:
    """Compare candidate losses on your data: seeds x folds, a statistical test, a verdict and an HTML report."""
    from .. import api

    if format not in (None, "json", "csv"):
        raise ValueError(f"expected --format json or csv. Received: --format {format}.")
    try:
        widths = tuple(int(h) for h in hidden.split(",") if h.strip())
    except ValueError:
        raise ValueError(f"expected --hidden as comma-separated widths, e.g. 64,32. Received: --hidden {hidden}.") from None
    rates = None
    if lr is not None:
        try:
            rates = [float(x) for x in lr.split(",") if x.strip()]
        except ValueError:
            raise ValueError(f"expected --lr as a number or comma-separated numbers, e.g. 1e-3,3e-3,1e-2. Received: --lr {lr}.") from None
        rates = rates[0] if len(rates) == 1 else rates
    con = console()
    running: dict[str, list[float]] = {}
    state = {"task": None, "metric": metric}
    with _progress(con) as bar:

        def on_start(plan, todo):
            from rich.markup import escape

            for note in (*plan.data.notes, *plan.notes):  # what the data preparation decided, one line each
                bar.console.print(escape(to_flags(note, "compare")), highlight=False,
                                  style="bold yellow" if note.startswith(WARNING) else None)
            state["metric"] = plan.spec.metric
            state["higher"] = plan.metrics[0].higher_is_better
            state["done"] = 0  # each study (each data set of a suite) counts its own trials
            if plan.schedule is not None:
                bar.console.print(f"Plan: {plan.schedule.describe()}.", highlight=False)
            per_trial = plan.schedule.per_trial if plan.schedule is not None else 1
            state["units"] = plan.spec.model.epochs * per_trial  # a trial's share of the bar, at most
            state["task"] = bar.add_task(f"{todo} trials to train", total=max(1, todo) * state["units"])
            if todo == 0:
                bar.update(state["task"], completed=1)

        def on_epochs(k):
            bar.advance(state["task"], k)

        def on_trials(results):
            m = state["metric"]
            for r in results:
                if r.status == "ok":
                    running.setdefault(r.loss, []).append(r.metrics[m])
            state["done"] = state.get("done", 0) + len(results)
            # Trials that stopped early trained fewer epochs than the bar counted on: a finished
            # trial is its whole share.
            floor = state["done"] * state["units"]
            task = bar.tasks[state["task"]]  # rich's Task, or a plain line's dict
            if (task["completed"] if isinstance(task, dict) else task.completed) < floor:
                bar.update(state["task"], completed=floor)
            means = {k: sum(v) / len(v) for k, v in running.items()}
            if not means:  # every trial so far diverged: no best to name yet
                bar.update(state["task"], description=f"{state['done']} trials done, all diverged so far")
                return
            best = (max if state["higher"] else min)(means, key=means.get)
            bar.update(state["task"], description=f"{state['done']} trials done, best so far {best} ({m} {means[best]:.4g})")

        common = dict(losses=losses, metric=metric, extra_metrics=tuple(a.strip() for a in also.split(",")) if also else (),
                      repeats=repeats, cv=cv, test_size=test_size, hidden=widths, epochs=epochs, batch_size=batch_size,
                      optimizer=optimizer, lr=rates, patience=patience, protocol=protocol, validation_split=validation_split,
                      weight_decay=weight_decay, refit=refit,
                      sweep=sweep, seed=seed, dropna=dropna, kind=kind, exclude=exclude, include=include, stratify=stratify, out=out,
                      device=device, on_start=on_start, on_epochs=on_epochs, on_trials=on_trials, executor=executor,
                      ray_address=ray_address, cpus_per_task=cpus_per_task, gpus_per_task=gpus_per_task,
                      max_retries=max_retries, mlflow=mlflow, confirm=yes)
        if datasets_dir is not None or (dataset is not None and "," in dataset):
            if data is not None:
                raise ValueError("expected a data file, --dataset or --datasets-dir (one of them).")

            def on_dataset(name):
                running.clear()
                bar.console.print(f"data set {name}", highlight=False)

            suite = _confirmed(con, bar, lambda **kw: api.compare_suite(dataset, datasets_dir=datasets_dir, target=target,
                                                                        on_dataset=on_dataset, **kw), common)
        else:
            suite = None
            study = _confirmed(con, bar, lambda **kw: api.compare(data=data, dataset=dataset, target=target, **kw), common)
    if suite is not None:
        _print_suite(con, suite)
        paths = [suite.report()]
        if format:
            paths += [api.StudyResult(s).export(None, format) for s in suite.studies.values()]
        con.print("Wrote: " + ", ".join(str(p) for p in paths) + " (and each data set's report.html)", highlight=False)
        return
    _print_study(con, study)
    paths = [study.report()]
    if format:
        paths.append(study.export(None, format))
    con.print("Wrote: " + ", ".join(str(p) for p in paths), highlight=False)
    reason = study.no_result_reason(cli=True)
    if reason:
        raise NoResult(reason)


def _confirmed(con, bar, call, kwargs):
    """``call(**kwargs)``; a study estimated beyond an hour asks first on a terminal, and
    elsewhere stops with the estimate and the flag that starts it anyway."""
    from .. import api

    try:
        return call(**kwargs)
    except api.EstimateTooLong as err:
        if not (con.is_terminal and sys.stdin.isatty()):
            raise ValueError(f"{err.plan_text}: more than an hour. Run again with --yes to start it, "
                             "or make it smaller (--repeats, --epochs, --losses).") from None
        bar.stop()
        if not typer.confirm(f"{err.plan_text}. Start it?", default=False):
            raise typer.Abort() from None
        bar.start()
        return call(**{**kwargs, "confirm": True})


class _Lines:
    """Progress for a pipe or CI: a plain line every ``every`` seconds (and at the end)
    with trials done, share of training, elapsed time and what is left, instead of a bar.

    The time left is said from :data:`ETA_SHARE` of training on: before that it is the first
    seconds stretched over the whole (ggplot2's diamonds, 54,000 rows: "about 2:41:03 left"
    after 16 s and "26:28" at 3%, for a study that took 6.5 minutes); the plan's estimate stands until then."""

    ETA_SHARE = 0.05

    def __init__(self, con, every: float = 15.0) -> None:
        self.console, self.every = con, every
        self.tasks: dict[int, dict] = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        for task in self.tasks.values():
            if task["completed"] and task["printed"] != task["completed"]:
                self._print(task)

    def start(self) -> None:
        """Nothing to redraw (the bar's interface)."""

    def stop(self) -> None:
        """Nothing to hide (the bar's interface)."""

    def add_task(self, description: str, total: float) -> int:
        now = time.monotonic()
        self.tasks[len(self.tasks)] = {"description": description, "total": total, "completed": 0.0, "started": now,
                                       "last": now, "printed": None}
        return len(self.tasks) - 1

    def advance(self, task_id: int, k: float) -> None:
        self.update(task_id, completed=self.tasks[task_id]["completed"] + k)

    def update(self, task_id: int, *, completed: float | None = None, description: str | None = None) -> None:
        task = self.tasks[task_id]
        if completed is not None:
            task["completed"] = completed
        if description is not None:
            task["description"] = description
        if time.monotonic() - task["last"] >= self.every:
            self._print(task)

    def _print(self, task: dict) -> None:
        now = time.monotonic()
        task["last"], task["printed"] = now, task["completed"]
        elapsed = now - task["started"]
        share = min(1.0, task["completed"] / task["total"]) if task["total"] else 1.0
        left = f", about {_clock(elapsed * (1 - share) / share)} left" if self.ETA_SHARE <= share < 1 else ""
        self.console.print(f"[{_clock(elapsed)}] {task['description']}: {share:.0%} of training{left}", highlight=False,
                           markup=False)


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else f"{seconds // 60}:{seconds % 60:02d}"


def _progress(con):
    """A bar with elapsed time and time left on a terminal; plain lines every 15 s on a pipe or in CI."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    if not con.is_terminal or os.environ.get("CI"):
        return _Lines(con)
    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                    TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(), console=con, transient=True)


@app.command()
def report(folder: Annotated[Path, typer.Argument(help="A study folder made by `losslab compare --out`.")],
           out: Annotated[Optional[Path], typer.Option(help="Where to write the HTML (default FOLDER/report.html; never the store, nor an existing file without --force).")] = None,
           format: Annotated[Optional[str], typer.Option("--format", help="Also export every trial beside the store: json or csv.")] = None,  # noqa: A002
           force: Annotated[bool, typer.Option("--force", help="Replace an existing file that losslab did not write.")] = False) -> None:
    """Re-draw a study's report (and exports) from its store; the store is only read."""
    from .. import api

    if format not in (None, "json", "csv"):
        raise ValueError(f"expected --format json or csv. Received: --format {format}.")
    con = console()
    if api.is_suite(folder):
        suite = api.load_suite(folder)
        _print_suite(con, suite)
        con.print(f"Wrote: {suite.report(out, force=force)} (and each data set's report.html)", highlight=False)
        return
    study = api.load_study(folder)
    _print_study(con, study)
    paths = [study.report(out, force=force)]
    if format:
        paths.append(study.export(None, format, force=force))
    con.print("Wrote: " + ", ".join(str(p) for p in paths), highlight=False)
    if out is None and Path(paths[0]).resolve().parent != Path(folder).resolve():
        con.print(f"({folder} is read-only: the report went to the current directory.)", highlight=False)


def _print_study(con, study) -> None:
    from rich.markup import escape
    from rich.table import Table

    summary = study.summary()
    metrics = study.metric_columns
    t = Table(title=f"{len(study.results)} trials; held-out metrics, mean ± std over trials")
    t.add_column("loss")
    t.add_column("trials", justify="right")
    for m in metrics:
        t.add_column(m, justify="right")
    for loss, row in summary.iterrows():
        cells = [f"{row[f'{m}_mean']:.4g} ± {row[f'{m}_std']:.2g}" for m in metrics]
        notes = [f"{int(row[k])} {k}" for k in ("diverged", "failed") if row.get(k, 0)]
        t.add_row(escape(str(loss)), f"{int(row.trials)}" + (f" ({', '.join(notes)})" if notes else ""), *cells)
    con.print(t)
    con.print("[bold]Verdict:[/bold] " + escape(study.verdict()))
    for note in study.diagnoses():
        head = "[bold yellow]Warning:[/bold yellow] " if note.startswith(WARNING) else "[bold]Note:[/bold] "
        con.print(head + escape(_flags(note.removeprefix(WARNING))))


def _flags(text: str) -> str:
    """A library sentence in command-line words: ``lr=[0.001, 0.01]`` -> ``--lr 0.001,0.01``."""
    import re

    text = re.sub(r"widen the learning-rate grid \(lr=\[([^\]]*)\]\)",
                  lambda m: "widen --lr (e.g. --lr " + m.group(1).replace(" ", "") + ")", text)
    return to_flags(text.replace("(patience, or protocol='tuned')", "(--patience, or --protocol tuned)"), "compare")


def _print_suite(con, suite) -> None:
    from rich.markup import escape
    from rich.table import Table

    means = suite.means()
    ranks = suite.across().avg_ranks
    t = Table(title=f"Mean {suite.metric} per data set ({len(suite.studies)} data sets); last row: average rank")
    t.add_column("data set")
    for loss in means.columns:
        t.add_column(escape(loss), justify="right")
    for name, row in means.iterrows():
        t.add_row(escape(name), *[f"{v:.4g}" for v in row])
    t.add_row("[bold]average rank[/bold]", *[f"{ranks[loss]:.2f}" for loss in means.columns])
    con.print(t)
    for name, verdict in suite.verdicts().items():
        con.print(f"[bold]{escape(name)}:[/bold] {escape(verdict)}")
    con.print("[bold]Across data sets:[/bold] " + escape(suite.verdict()))
