"""What users call from Python: ``recommend``, ``check``, ``reproduce``, ``compare``, ``landscape``."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .experiment.files import OutputRefused, StudyBusy, folder_writable, write_output
from .experiment.repair import DamagedStore, Repair
from .experiment.store import DiskFull, Interrupted, ReadOnlyStudy
from .experiment.estimate import EstimateTooLong
from .tutorial.reproduction import Reproduction

__all__ = ["DamagedStore", "DiskFull", "EstimateTooLong", "Interrupted", "OptionError", "OutputRefused", "ReadOnlyStudy", "Repair",
           "StudyBusy", "compare", "compare_suite", "landscape", "load_study", "load_suite", "repair", "reproduce"]


class ReproduceResult(Reproduction):
    """:class:`~losslab.tutorial.reproduction.Reproduction` plus its figures."""

    def plot(self, out: str | Path) -> list[Path]:
        """Draw every experiment's learning curves and the summary figure into ``out``."""
        from .report.tutorial import draw

        return draw(self, out)


def reproduce(only: str | Sequence[str] | None = None, *, repeats: int = 30, seed: int = 0,
              processes: int | None = None, device: str | None = None,
              progress: Callable[[int], None] | None = None) -> ReproduceResult:
    """Run the tutorial's experiments ``repeats`` times each (seeds ``seed .. seed + repeats - 1``).

    Parameters
    ----------
    only : str or sequence of str, optional
        Experiments by name or loss alias (``"hinge"``, ``"bce,kld"``) or problem
        (``"circles"``); all nine by default.
    repeats : int
        Seeds per experiment; every loss of a problem sees the same seeds.
    processes : int, optional
        Problems run side by side in this many processes (default: one per problem on a
        machine with more than one core).
    device : str, optional
        ``"cuda"`` to train on a GPU.

    Examples
    --------
    >>> result = reproduce("hinge", repeats=3)          # doctest: +SKIP
    >>> result.table()[["test_mean", "keras2_test_accuracy"]]  # doctest: +SKIP
    """
    from .advisor import check
    from .tutorial import experiments as tutorial

    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"reproduce: expected repeats >= 1. Received: repeats={repeats!r}.")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"reproduce: expected seed >= 0. Received: seed={seed!r}.")
    experiments = tutorial.select(only)
    # Nothing trains on a setup the checks refuse, except the one the tutorial itself ran
    # through Keras' silent clipping (MSLE on standardized targets): it runs in
    # compatibility mode and the refusal is reported beside its result.
    refusals = {}
    for e in experiments:
        X, y = tutorial.problem_data(e.problem)
        targets, _ = tutorial.encode(y, e.encoding, tutorial.PROBLEMS[e.problem].n_outputs)
        try:
            check(e.loss, e.output_activation, targets)
        except ValueError as err:
            if not e.spec.params.get("keras_compat"):
                raise
            reasons = [str(err)]
            try:  # the targets' own refusal, beside the output layer's
                check(e.loss, None, targets)
            except ValueError as err2:
                reasons.append(str(err2))
            refusals[e.name] = " ".join(dict.fromkeys(reasons))
    started = time.perf_counter()
    seeds = list(range(seed, seed + repeats))
    runs = tutorial.run_all(experiments, seeds, processes=processes, progress=progress, device=device)
    return ReproduceResult(experiments, seeds, runs, time.perf_counter() - started, refusals)


# ---------------------------------------------------------------------- compare
class StudyResult:
    """A study (see :class:`losslab.experiment.results.Study`) plus its HTML report and exports."""

    def __init__(self, study) -> None:
        self.study = study

    def __getattr__(self, name):
        return getattr(self.study, name)

    def report(self, path: str | Path | None = None, *, force: bool = False) -> Path:
        """Write the self-contained HTML report; return where it went.

        ``path`` defaults to ``report.html`` in the study folder, or, when that folder is
        read-only, ``<folder name>-report.html`` in the current directory. The file is
        written whole or not at all (a temporary file, then a rename), never over a study's
        store, and never over an existing file that losslab did not write unless ``force``.
        """
        from .report.html import write_report

        target = self._output(path, "report.html", "report")
        return write_output(target, lambda tmp: write_report(self.study, tmp), force=force)

    def export(self, path: str | Path | None = None, fmt: str = "json", *, force: bool = False) -> Path:
        """Every trial as JSON (with the spec and histories) or CSV (metrics only); return where it went.

        ``path`` defaults to ``trials.<fmt>`` beside the store (or in the current directory
        when the study folder is read-only); written as :meth:`report` writes.
        """
        # A format other than json or csv is refused by the study's own export, before the rename.
        target = self._output(path, f"trials.{fmt}", "trials")
        return write_output(target, lambda tmp: self.study.export(tmp, fmt), force=force)

    def no_result_reason(self, *, cli: bool = False) -> str | None:
        """Why a finished study gave no result at all (every trial diverged or failed), with the fix
        that fits the cause; ``None`` when some trial has a score. ``cli`` names command-line flags."""
        return _no_result_reason(self.study, cli=cli)

    def _output(self, path, name: str, stem: str) -> Path:
        if path is not None:
            return Path(path)
        if self.study.folder is None:
            raise ValueError("expected path for a study without a folder. Received: path=None.")
        folder = Path(self.study.folder)
        if folder_writable(folder):
            return folder / name
        # A study on a read-only medium: read it there, write beside the user.
        here = Path.cwd()
        if not folder_writable(here):
            raise ValueError(f"{folder} is read-only, and so is the current directory {here}: expected path, "
                             "a file in a writable folder. Received: path=None.")
        candidate, n = here / f"{folder.resolve().name}-{stem}{Path(name).suffix}", 2
        while candidate.exists():
            candidate = here / f"{folder.resolve().name}-{stem}-{n}{Path(name).suffix}"
            n += 1
        return candidate


def _no_result_reason(study, *, cli: bool) -> str | None:
    results = study.results
    if not results or not study.complete or any(r.status == "ok" for r in results):
        return None
    diverged = sum(r.status == "diverged" for r in results)
    if not diverged:
        return (f"every one of the {len(results)} trials failed ({results[0].history.get('error', ['unknown error'])[0]}). "
                "Run the same command again to retry them.")
    model = study.spec.model
    def flag(name, value):
        if cli:
            return f"--{name.replace('_', '-')} {format(value, 'g') if isinstance(value, float) else value}"
        return f"{name}={value!r}"

    first = sum(1 for r in results if r.status == "diverged" and r.history.get("loss_train")
                and not np.isfinite(r.history["loss_train"][0]))
    when = " in the first epoch" if first == diverged else ""
    default = 0.01 if model.optimizer == "sgd" else 0.001
    reason = f"every one of the {len(results)} trials diverged{when} (the training loss became NaN or infinite), so there is nothing to compare."
    if model.learning_rate > default:
        fix = (f"Lower the learning rate: {flag('lr', model.learning_rate)} is {model.learning_rate / default:g} times "
               f"the default for {model.optimizer}; try {flag('lr', default)}.")
    else:
        smaller = model.learning_rate / 10
        fix = (f"Lower the learning rate ({flag('lr', float(f'{smaller:.3g}'))})"
               + (f" or use {flag('optimizer', 'adam')}, which adapts its step size" if model.optimizer == "sgd" else "")
               + "; if the target's values are very large, a loss on a log scale (msle) may suit it better.")
    return f"{reason} {fix}"


class OptionError(ValueError):
    """A bad value for one of the API's arguments: the message names the Python argument;
    the command line names its flag instead (:meth:`for_flag`)."""

    def __init__(self, argument: str, expected: str, value, hint: str = "") -> None:
        self.argument, self.expected, self.value, self.hint = argument, expected, value, hint
        super().__init__(f"expected {argument} to be {expected}. Received: {argument}={value!r}.{' ' + hint if hint else ''}")

    def for_flag(self, flag: str) -> str:
        return f"expected {flag} to be {self.expected}. Received: {flag} {self.value}.{' ' + self.hint if self.hint else ''}"


# Hard caps: beyond them a study is a typo, not a plan (100,000 epochs of one small MLP is
# hours per trial; 10,000 repeats gives a confidence interval 18x narrower than 30 do).
MAX_EPOCHS = 100_000
MAX_REPEATS = 10_000


def _check_options(**options) -> None:
    """Refuse non-finite, non-positive or absurd numeric options by name, before anything loads."""
    import math

    def integer(name, low, high=None, *, none=False):
        value = options[name]
        if value is None and none:
            return
        ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= low and (high is None or value <= high)
        if not ok:
            bound = f"an integer >= {low}" + (f" and <= {high:,}" if high is not None else "")
            raise OptionError(name, bound, value)

    def real(name, low, high=None, *, low_open=True, high_open=True, none=False, value=None):
        value = options[name] if value is None else value
        if value is None and none:
            return
        ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and math.isfinite(value)
        ok = ok and (value > low if low_open else value >= low) and (high is None or (value < high if high_open else value <= high))
        if not ok:
            bound = f"a finite number {'>' if low_open else '>='} {low:g}" + (f" and {'<' if high_open else '<='} {high:g}" if high is not None else "")
            raise OptionError(name, bound, value)

    # None: the protocol's default (see compare).
    integer("repeats", 1, MAX_REPEATS)
    integer("epochs", 1, MAX_EPOCHS, none=True)
    integer("batch_size", 1, none=True)
    integer("patience", 0, none=True)
    integer("seed", 0)
    integer("max_retries", 0)
    lr = options["lr"]
    if lr is not None and not isinstance(lr, (int, float, np.integer, np.floating)):
        # a grid of learning rates for the tuned protocol: each a finite number > 0
        rates = list(lr) if isinstance(lr, (list, tuple, np.ndarray)) else None
        if not rates:
            raise OptionError("lr", "a finite number > 0, or a non-empty list of them", lr)
        for rate in rates:
            real("lr", 0, value=rate)
    else:
        real("lr", 0, none=True)
    real("momentum", 0, 1, low_open=False)
    real("test_size", 0, 1)
    real("validation_split", 0, 0.5, none=True)
    if "weight_decay" in options:
        real("weight_decay", 0, low_open=False, none=True)
    real("cpus_per_task", 0)
    real("gpus_per_task", 0, low_open=False)
    hidden = options["hidden"]
    if isinstance(hidden, (int, np.integer)) or not all(isinstance(h, (int, np.integer)) and not isinstance(h, bool) and h >= 1 for h in hidden) or not len(hidden):
        raise OptionError("hidden", "positive layer widths, e.g. (64, 32)", hidden)


def _source(data) -> dict:
    """``data=`` as the API takes it: a path, or ``"dataset:NAME"`` for a bundled data set."""
    if data is None:
        return {}
    text = str(data)
    if text.startswith("dataset:"):
        return {"dataset": text.split(":", 1)[1]}
    return {"data": text}


def prepare_data(data: str | Path | None = None, target: str | Sequence[str] | None = None, *, X=None, y=None,
                 dataset: str | None = None, kind: str | None = None, dropna: bool = False,
                 exclude: Sequence[str] | str | None = None, include: Sequence[str] | str | None = None,
                 features: bool = True):
    """A data set prepared as every command prepares it (:func:`losslab.experiment.prepare.prepare`).

    Give a file (``data``, ``target``), a bundled data set (``dataset="wine"``, or
    ``data="dataset:wine"``) or arrays (``X``, ``y``). Feature columns that are row
    names, IDs, constants or dates are left out (``exclude`` / ``include`` override),
    rows whose target is missing dropped (``dropna=True``: every row with a missing
    value), and the problem kind read once from the target (``kind=`` sets it). The
    result's ``notes`` say what was done.
    """
    from .experiment.prepare import prepare

    where = _source(data)
    if dataset is not None:
        if "dataset" in where or "data" in where:
            raise ValueError(f"expected a data file or a data set, not both. Received: data={data!r}, dataset={dataset!r}.")
        where = {"dataset": dataset}
    if X is not None and where:
        raise ValueError("expected exactly one of X (with y), a data file, or a data set. Received: more than one.")
    return prepare(**where, target=target, X=X, y=y, kind=kind, dropna=dropna, exclude=exclude, include=include,
                   features=features)


def load_data(data: str | Path | None = None, target: str | Sequence[str] | None = None, *, dropna: bool = False,
              kind: str | None = None, exclude: Sequence[str] | str | None = None,
              include: Sequence[str] | str | None = None, features: bool = True):
    """``(X, y, info)`` from a bundled data set name (``"dataset:NAME"``) or a file path with a target column.

    ``X`` holds the feature columns a study uses, ``y`` the target without missing
    values, ``info`` the source, the problem kind and the notes (see :func:`prepare_data`).
    """
    if data is None:
        raise ValueError("expected data, a data file (CSV, Parquet, .npy, .npz) or 'dataset:NAME'. Received: data=None.")
    prepared = prepare_data(data, target, kind=kind, dropna=dropna, exclude=exclude, include=include, features=features)
    return prepared.X, prepared.y, prepared.info()


def recommend(y=None, *, data: str | Path | None = None, target: str | Sequence[str] | None = None,
              dataset: str | None = None, kind: str | None = None, dropna: bool = False,
              exclude: Sequence[str] | str | None = None, include: Sequence[str] | str | None = None):
    """The advisor's recommendation (:func:`losslab.advisor.recommend`) for targets ``y``, or for
    the target of a file or bundled data set.

    From a file, only the target is read: rows whose target is missing are left out
    (``dropna`` changes nothing more), features are not looked at (``exclude`` and
    ``include`` are accepted so that every command takes the same arguments).
    ``kind`` settles the problem kind (``"counts"``, ``"multiclass"``, ``"probabilities"``, ...).
    """
    from .advisor import recommend as advise
    from .experiment.prepare import check_kind

    if y is not None:
        if data is not None or dataset is not None:
            raise ValueError("expected y, a data file or a data set (one of them). Received: more than one.")
        return advise(y, kind=check_kind(kind))
    prepared = prepare_data(data, target, dataset=dataset, kind=kind, dropna=dropna, features=False)
    return advise(prepared.y, kind=check_kind(kind))


def check(loss, output_activation: str | None = None, y=None, *, output_units: int | None = None,
          from_logits: bool | None = None, kind: str | None = None, data: str | Path | None = None,
          target: str | Sequence[str] | None = None, dataset: str | None = None, dropna: bool = False,
          exclude: Sequence[str] | str | None = None, include: Sequence[str] | str | None = None) -> None:
    """Refuse a loss, output layer and targets that do not go together (:func:`losslab.advisor.check`).

    With ``y`` the targets are checked as given (as the loss will see them). With a file
    or a bundled data set they are checked as ``compare`` would train on them: encoded
    for the loss first (string labels ``"Yes"``/``"No"`` become 0/1 for binary
    cross-entropy), read with the problem kind of the raw target (``kind=`` sets it);
    rows whose target is missing are left out, features are not looked at.
    """
    from . import losses as catalog
    from .advisor import check as check_setup
    from .experiment.prepare import check_kind

    kind = check_kind(kind)
    if data is None and dataset is None:
        check_setup(loss, output_activation, y, output_units=output_units, from_logits=from_logits, kind=kind)
        return None
    if y is not None:
        raise ValueError("expected y, a data file or a data set (one of them). Received: more than one.")
    # The output layer and units alone first: their refusals do not depend on the data.
    check_setup(loss, output_activation, None, output_units=output_units, from_logits=from_logits)
    spec = catalog.get(loss)
    if from_logits is not None and spec.logits_param in spec.params:
        spec = spec.with_params(**{spec.logits_param: bool(from_logits)})
    prepared = prepare_data(data, target, dataset=dataset, kind=kind, dropna=dropna, features=False)
    prepared.encode(spec, output_activation, output_units=output_units)
    return None


def compare(X=None, y=None, *, data: str | Path | None = None, dataset: str | None = None, target=None,
            losses: Sequence[str] | str | None = None, metric: str | None = None, extra_metrics: Sequence[str] = (),
            repeats: int = 30, cv: int | str | None = None, test_size: float = 0.25, hidden: Sequence[int] = (50,),
            epochs: int | None = None, batch_size: int | None = None, optimizer: str | None = None,
            lr: float | Sequence[float] | None = None, momentum: float = 0.9, patience: int | None = None,
            protocol: str = "tuned", sweep: str | None = None, validation_split: float | None = None,
            weight_decay: float | None = None, refit: bool | None = None, seed: int = 0,
            dropna: bool = False, kind: str | None = None, exclude: Sequence[str] | str | None = None,
            include: Sequence[str] | str | None = None, stratify: bool = True,
            out: str | Path | None = None, device: str | None = None,
            on_start=None, on_epochs=None, on_trials=None, _validate_only: bool = False, executor: str = "local",
            ray_address: str | None = None, cpus_per_task: float = 1, gpus_per_task: float = 0, max_retries: int = 2,
            mlflow: str | bool | None = None, confirm: bool = False) -> StudyResult:
    """Repeated evaluation of candidate losses with a statistical verdict.

    Give the data as arrays (``X``, ``y``), a file (``data=``, ``target=``) or a bundled
    data set (``dataset="wine"``). Every source is prepared the same way (see
    :func:`prepare_data`): row-name, ID-like, constant and date columns left out
    (``exclude=`` / ``include=`` override), missing feature values imputed per training
    fold (``dropna=True`` drops those rows instead), rows with a missing target dropped,
    the problem kind read once from the target (``kind=`` sets it). Class targets are
    split stratified (``stratify=False``: not), rare classes pooled. Without ``losses``
    the candidates are the advisor's.
    Trials are candidate x repeat x fold (``cv=None``: ``repeats`` random hold-out splits
    of ``test_size``; ``cv=5``: ``repeats`` x 5-fold; ``cv="5x2"``); each is scored on
    held-out rows with ``metric`` (accuracy for classification, RMSE for regression by
    default), never with the training loss. Results go to a SQLite store in ``out``
    (a temporary folder by default); calling again with the same arguments resumes.

    Candidates may be catalog names with parameters (``"huber(delta=2)"``), composite
    expressions (``"0.7*mse+0.3*mae"``), your functions (``"my_losses.py:trimmed_mse"`` or a
    callable) and, with ``sweep="w=0,0.1,0.3,1"``, one candidate per weight of an
    expression using ``w``. Several target columns train one output unit per column.

    ``executor="ray"`` trains each batch as one Ray task (``ray_address``: a cluster, default a
    local Ray; ``cpus_per_task``, ``gpus_per_task``; a task whose worker dies is retried
    ``max_retries`` times, then stored as failed trials that the next call trains again), with
    the same numbers as ``"local"``. ``mlflow="local"`` (or a tracking URI) logs the study to
    MLflow: a parent run, a nested run per trial, the verdict and the report (see
    :mod:`losslab.experiment.tracking`; the HTML report is then also written to the study folder).

    ``protocol="tuned"`` (the default) gives each loss its best chance: inside each trial a
    ``validation_split`` share (default 0.2) of the training rows chooses, per loss, the
    learning rate from the grid ``lr`` (default ``[1e-3, 3e-3, 1e-2, 3e-2]``; one value fixes
    it) and the stopping epoch (early stopping with the best epoch's weights restored,
    ``patience`` default 10, at most ``epochs`` default 200), with ``optimizer`` Adam by
    default; then the held-out rows score the chosen model. Nothing about the held-out rows
    steers the choice. The whole grid trains as one lockstep computation. With Adam the tuned
    protocol is AdamW: ``weight_decay`` (default 1.0 with the tuned protocol and Adam, 0
    otherwise) shrinks every weight by ``lr * weight_decay`` of itself each step, which keeps a
    network on a small table from overfitting (docs/quality.md measures it). ``refit=True``
    trains each loss's chosen rate again on all of a trial's training rows (the validation share
    included) for the chosen number of epochs and scores that model, as scikit-learn's
    ``GridSearchCV(refit=True)`` (default False: the chosen model itself is scored).
    ``protocol="fixed"`` trains every loss with one rate (``lr``, default 0.01 for SGD) for
    ``epochs`` (default 100) with SGD (momentum 0.9) by default and no early stopping unless
    ``patience`` is given: the tutorials' setup.

    Before anything trains, the study is cut into chunks of about a minute of training each
    (committed as each finishes) and its time is estimated from a few steps timed on this
    machine; ``on_start(plan, todo)`` can read both from ``plan.schedule`` (``.describe()``,
    ``.total_seconds``). A study estimated beyond an hour raises :class:`EstimateTooLong`
    (a ``ValueError`` that says the estimate) unless ``confirm=True``.

    Returns a :class:`StudyResult`: ``.summary()``, ``.verdict()``, ``.comparison()``,
    ``.trials()``, ``.tuning()``, ``.diagnoses()``, ``.report(path)``.
    """
    import tempfile

    from .advisor import recommend as advise
    from .experiment.prepare import check_kind
    from .metrics import default_metric
    from .experiment import runner
    from .experiment.executors import make_executor
    from .experiment.results import Study
    from .experiment.spec import Candidate, Model, Resampling, StudySpec, fingerprint
    from .experiment.estimate import CONFIRM_SECONDS
    from .experiment.store import Store, check_space, finished_in
    from .experiment.tracking import MLflowTracker

    _check_options(repeats=repeats, epochs=epochs, batch_size=batch_size, patience=patience, seed=seed,
                   max_retries=max_retries, lr=lr, momentum=momentum, test_size=test_size, validation_split=validation_split,
                   weight_decay=weight_decay,
                   cpus_per_task=cpus_per_task, gpus_per_task=gpus_per_task, hidden=hidden)
    if dataset is not None and "," in dataset:
        raise ValueError("several data sets are a suite: use losslab.compare_suite(datasets=[...]) "
                         "(the command line does this for --dataset a,b,c).")
    sources = sum(x is not None for x in (X, data, dataset))
    if sources != 1:
        raise ValueError("expected exactly one of X (with y), a data file, or --dataset NAME. Received: "
                         + ("none" if sources == 0 else "more than one") + ".")
    if X is not None and y is None:
        raise ValueError("expected y beside X.")
    kind = check_kind(kind)
    prepared = prepare_data(data, target, X=X, y=y, dataset=dataset, kind=kind, dropna=dropna, exclude=exclude,
                            include=include)
    X, y = prepared.X, prepared.y
    rec = advise(y, kind=kind)
    if losses is None:
        # The advisor's primary choice and alternatives, with their parameters (a
        # class-weighted cross-entropy is a candidate of its own).
        from .losses import get as get_loss

        names = [get_loss(c.loss, **dict(c.params)) for c in (rec.primary, *rec.alternatives)]
    else:
        names = _split_losses(losses) if isinstance(losses, str) else list(losses)
        if not names:
            raise ValueError("expected --losses to name at least one loss.")
    if sweep:
        names = _expand_sweep(names, sweep)
    parsed = [Candidate.parse(n) for n in names]
    candidates = tuple({c.label: c for c in reversed(parsed)}[label] for label in dict.fromkeys(c.label for c in parsed))
    problem = rec.problem
    metric = metric or rec.primary.metric or default_metric(problem.kind)
    if not extra_metrics and metric == rec.primary.metric:
        extra_metrics = tuple(rec.also_report)  # e.g. balanced accuracy and F1 for imbalanced classes
    spec = StudySpec(
        data=prepared.data, target=tuple(str(c) for c in y.columns) if y.ndim == 2 else (str(y.name),),
        candidates=candidates, metric=metric, extra_metrics=tuple(extra_metrics),
        resampling=Resampling.from_cli(repeats=repeats, cv=cv, test_size=test_size),
        model=_model(Model, protocol=protocol, hidden=hidden, epochs=epochs, batch_size=batch_size, optimizer=optimizer,
                     lr=lr, momentum=momentum, patience=patience, validation_split=validation_split,
                     weight_decay=weight_decay, refit=refit),
        seed=seed, dropna=dropna, kind=kind, stratify=stratify,
    )
    # Every check, before anything is written.
    plan = runner.plan(spec, prepared, cap_batch=batch_size is None)
    spec = plan.spec
    _check_device(device)
    executor_ = make_executor(executor, address=ray_address, cpus_per_task=cpus_per_task, gpus_per_task=gpus_per_task,
                              max_retries=max_retries)
    tracker = MLflowTracker(None if mlflow is True else mlflow) if mlflow else None
    if _validate_only:  # a suite checks every data set before it runs any
        return plan
    info = prepared.info()
    info["data_notes"] = [*info["data_notes"], *plan.notes]
    info.update({
        "rows": len(X), "features": int(X.shape[1]), "problem": problem.evidence,
        "recommendation": rec.lines(),
        "notes": [
            "Features are imputed (median, or most frequent level), standardized (numeric) and one-hot encoded "
            "(categorical, with every level of the column) with statistics of each training fold only; "
            "the tutorials scale before splitting, losslab does not.",
            "Regression targets are standardized with each training fold's mean and standard deviation "
            "(divided by it alone for losses that need non-negative targets, such as Poisson and MSLE); "
            "predictions are scored in the target's own units.",
            "Each trial is scored on its held-out rows with the metric, never with the training loss.",
        ],
    })
    # The plan and its estimate, before anything is written (a resumed study counts what is left).
    plan.schedule = runner.schedule(plan, finished_in(out) if out is not None else (), device=device)
    if plan.schedule.total_seconds > CONFIRM_SECONDS and not confirm:
        raise EstimateTooLong(plan.schedule.total_seconds, plan.schedule.describe())
    notes, info["design"] = runner.design_notes(plan, batch_given=batch_size is not None)
    info["notes"] += notes
    folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="losslab-study-"))
    per_trial = _trial_bytes(plan)
    if not (folder / "study.sqlite").exists():  # a new study: refused before its folder is made
        check_space(folder, len(plan.trials), per_trial)
    with Store.create_or_resume(folder, spec, fingerprint(X, y), info) as store:
        todo = len(plan.trials) - len(store.finished())
        store.expect(len(plan.trials), per_trial)
        store.check_space(todo)
        if on_start is not None:
            on_start(plan, todo)
        try:
            runner.run(plan, store, on_epochs=on_epochs, on_trials=on_trials, device=device, executor=executor_, tracker=tracker)
        except KeyboardInterrupt:
            # Ctrl-C: what is committed stays; say how much, and how to go on.
            raise Interrupted(store.count(), folder) from None
    result = StudyResult(Study.load(folder))
    if tracker is not None:
        from .report.html import build_report

        built = build_report(result.study)  # the HTML once, and its figures for MLflow as they are
        report = write_output(result._output(None, "report.html", "report"), built.write)
        tracker.finish(result.study, report=report, figures=built.figures)
    return result


def _model(Model, *, protocol, hidden, epochs, batch_size, optimizer, lr, momentum, patience, validation_split,
           weight_decay=None, refit=None):
    """The study's model with each protocol's defaults filled in (see :func:`compare`)."""
    if protocol not in ("tuned", "fixed"):
        raise ValueError(f"compare: expected protocol='tuned' or 'fixed'. Received: protocol={protocol!r}.")
    tuned = protocol == "tuned"
    if lr is not None and not isinstance(lr, (int, float)):
        lr = tuple(lr)
    optimizer = ("adam" if tuned else "sgd") if optimizer is None else optimizer
    if weight_decay is None:  # AdamW's decay by default with the tuned protocol's Adam, none otherwise
        weight_decay = TUNED_WEIGHT_DECAY if tuned and optimizer == "adam" else 0.0
    return Model(hidden=tuple(hidden), epochs=(200 if tuned else 100) if epochs is None else epochs,
                 batch_size=32 if batch_size is None else batch_size,
                 optimizer=optimizer, lr=lr, momentum=momentum,
                 patience=(10 if tuned else 0) if patience is None else patience,
                 validation_split=(0.2 if tuned else 0.1) if validation_split is None else validation_split,
                 protocol=protocol, weight_decay=weight_decay,
                 refit=(REFIT_DEFAULT and tuned) if refit is None else refit)

# Whether the tuned protocol trains the chosen configuration again on all training rows (``refit``).
REFIT_DEFAULT = False
# The tuned protocol's AdamW weight decay: each step shrinks every weight by lr x this of itself,
# which holds Adam's weights to about 1 / TUNED_WEIGHT_DECAY in size (inputs are standardized).
# Chosen on the real-data suite (docs/quality.md): 1.0 brings the small tables level with ridge.
TUNED_WEIGHT_DECAY = 1.0


def _trial_bytes(plan) -> int:
    """One stored trial's size: its learning curves (loss, and accuracy for classes; train and
    held-out) and its metrics (per target column too)."""
    from .experiment.store import trial_bytes

    classes = getattr(plan.problem, "classes", None) is not None
    columns = plan.y.shape[1] if getattr(plan.y, "ndim", 1) == 2 else 1
    metrics = len(plan.metrics) * (1 + (columns if columns > 1 else 0))
    return trial_bytes(plan.spec.model.epochs, 4 if classes else 2, metrics)


def _expand_sweep(names: list, sweep: str) -> list:
    """Each expression that uses the swept symbol becomes one candidate per value."""
    from .losses import sweep as sweep_expression
    from .losses.expression import symbols

    symbol = sweep.split("=", 1)[0].strip()
    if "=" not in sweep or not symbol:
        raise ValueError(f"expected sweep as symbol=values, e.g. w=0,0.1,0.3,1. Received: sweep={sweep!r}.")
    out, used = [], False
    for n in names:
        if isinstance(n, str) and symbol in symbols(n):
            out += sweep_expression(n, sweep)
            used = True
        else:
            out.append(n)
    if not used:
        raise ValueError(f"sweep {symbol}=...: no loss in losses uses the symbol {symbol!r}; write it into one, e.g. \"mse+{symbol}*mae\".")
    return out


def _split_losses(text: str) -> list[str]:
    """``"huber(delta=2),focal(gamma=3,alpha=0.5)"``: the losses of a comma list (commas inside
    parentheses, brackets and quotes belong to a loss)."""
    from .losses.expression import split

    return split(text)


def _check_device(device: str | None) -> None:
    """Refuse a device torch cannot train on here, before a study folder is made for it."""
    if device is None:
        return
    import torch

    try:
        kind = torch.device(device).type
    except (RuntimeError, TypeError):
        raise ValueError(f"expected --device cpu or cuda (or cuda:N). Received: --device {device}.") from None
    if kind not in ("cpu", "cuda"):
        raise ValueError(f"expected --device cpu or cuda (or cuda:N). Received: --device {device}.")
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {device}: torch sees no CUDA GPU on this machine (torch.cuda.is_available() is False). "
                         "Use --device cpu, or install a CUDA build of torch.")


def load_study(folder: str | Path) -> StudyResult:
    """A study from its folder (``losslab report FOLDER``), opened read-only: a study on a
    read-only medium reads as any other. A damaged store raises :class:`DamagedStore`
    (with how many trials are readable); :func:`repair` copies them into a fresh store."""
    from .experiment.results import Study

    return StudyResult(Study.load(folder))


def repair(folder: str | Path, out: str | Path | None = None) -> Repair:
    """Copy the readable trials of a damaged study into a fresh store beside it (``losslab repair FOLDER``).

    ``out`` defaults to ``<folder>-repaired`` (``-repaired-2``, ... when taken); the damaged
    store is only read. Resume the study by running its command with ``out`` as its folder:
    only the lost trials train again. Returns a :class:`~losslab.experiment.repair.Repair`
    (``folder``, ``trials`` copied, ``unreadable``).
    """
    from .experiment import repair as repairing

    return repairing.repair(folder, out)


# ---------------------------------------------------------------------- landscape
from .landscape.slices import Landscape  # noqa: E402  (NumPy only: torch loads when it trains)


class LandscapeResult(Landscape):
    """:class:`~losslab.landscape.slices.Landscape` plus its figures."""

    def plot(self, out: str | Path) -> list[Path]:
        """Draw the landscape's figures into ``out`` (see :mod:`losslab.report.landscape`); return their paths."""
        from .report.landscape import draw

        return draw(self, out)


def landscape(problem: str | None = None, *, data: str | Path | None = None, target: str | Sequence[str] | None = None,
              dataset: str | None = None, kind: str | None = None, dropna: bool = False,
              exclude: Sequence[str] | str | None = None, include: Sequence[str] | str | None = None,
              losses: str | Sequence[str] | None = None, mode: str = "plane", directions: str = "random", grid: int = 51, span: float | None = None,
              seed: int = 0, direction_seed: int | None = None, epochs: int | None = None,
              device: str | None = None) -> LandscapeResult:
    """Train each loss with the same seed and evaluate its loss landscape (Li et al. 2018; Goodfellow et al. 2015).

    Every grid point is one weight set of a batch that the engine evaluates at once.

    Parameters
    ----------
    problem : str, optional
        A tutorial problem, ``"regression"``, ``"circles"`` or ``"blobs"``, with the
        tutorial's model, split, optimizer and epochs.
    data, target : str, optional
        A data file and its target column(s), prepared as :func:`compare` prepares it
        (:func:`prepare_data`; ``kind``, ``dropna``, ``exclude``, ``include`` as there): a
        75/25 split drawn with ``seed`` (stratified for classes), features imputed and
        scaled on the training rows, a regression target scaled as :func:`compare` scales
        it, one hidden layer of 50 ReLU, SGD lr 0.01 momentum 0.9. RMSE and MAE are in
        the target's units (for several target columns, in standardized units).
    dataset : str, optional
        A bundled data set (``iris``, ``wine``, ``breast_cancer``, ``digits``,
        ``diabetes``, ``linnerud``, or a tutorial problem's raw data), the same way.
        Give exactly one of ``problem``, ``data`` and ``dataset``.
    losses : str or sequence of str, optional
        Names or aliases (``"bce,hinge,squared_hinge"``). Default: the tutorial's losses
        for a problem (those ``check`` accepts); ``recommend(y)``'s primary and
        alternatives for a data set. Each loss's output layer and target encoding come
        from the tutorial's experiment or the catalog, and every setup is checked before
        anything trains.
    mode : {"plane", "interpolate"}
        A 2-D slice around the trained weights, or the line from the initial to the
        trained weights.
    directions : {"random", "pca"}
        The plane's directions: filter-normalised Gaussian directions, or the first two
        principal components of the optimiser's path.
    grid : int
        Points per axis (at least 3; odd puts the trained weights on the grid).
    span : float, optional
        The plane covers ``[-span, span]^2`` (default 1.0 for random directions, in units
        of each filter's norm; 1.25 for PCA directions, in units of the path's reach);
        the line covers ``[-span, 1 + span]`` (default 0.5).
    seed : int
        Seeds the initial weights and minibatch order (the same for every loss) and, for
        a data set, the split.
    direction_seed : int, optional
        Seeds the random directions; default ``seed``.
    epochs : int, optional
        Default: the tutorial's for a problem, 100 for a data set.
    device : str, optional
        ``"cuda"`` to train and evaluate on a GPU.

    Returns
    -------
    LandscapeResult
        A :class:`~losslab.landscape.slices.Landscape`: ``result.grid(loss)`` gives the
        train-loss surface, ``result.slices[loss]`` every array, ``save_npz(path)``
        writes them, ``plot(out)`` draws the figures.

    Examples
    --------
    >>> result = landscape("circles", losses="bce,hinge", grid=21)   # doctest: +SKIP
    >>> result.grid("hinge").shape                                    # doctest: +SKIP
    (21, 21)
    """
    import dataclasses

    from .landscape import slices as study

    if sum(v is not None for v in (problem, data, dataset)) != 1:
        raise ValueError(f"landscape: expected exactly one of problem, data and dataset. Received: problem={problem!r}, "
                         f"data={data!r}, dataset={dataset!r}.")
    # Options first: a typo should not wait for the data to load.
    study.check_options(mode=mode, directions=directions, grid=grid, span=span, seed=seed, direction_seed=direction_seed)
    if problem is not None:
        training = study.tutorial_training(problem, losses, epochs=epochs)
    else:
        prepared = prepare_data(data, target, dataset=dataset, kind=kind, dropna=dropna, exclude=exclude, include=include)
        training = study.data_training(prepared, losses, seed=seed, epochs=epochs)
    result = study.compute(training, mode=mode, directions=directions, grid=grid, span=span, seed=seed,
                           direction_seed=direction_seed, device=device)
    return LandscapeResult(**{f.name: getattr(result, f.name) for f in dataclasses.fields(result)})


# ---------------------------------------------------------------------- suites
class SuiteResult:
    """A suite (see :class:`losslab.experiment.suite.Suite`) plus its HTML report."""

    def __init__(self, suite) -> None:
        self.suite = suite

    def __getattr__(self, name):
        return getattr(self.suite, name)

    def report(self, path: str | Path | None = None, *, force: bool = False) -> Path:
        """The suite's report: across-data-set statistics and each data set's verdict, with
        every data set's own report beside it (written as :meth:`StudyResult.report` writes)."""
        from .report.suite_html import write_suite_report

        for name, study in self.suite.studies.items():
            StudyResult(study).report()
        target = Path(path) if path is not None else self.suite.folder / "report.html"
        return write_output(target, lambda tmp: write_suite_report(self.suite, tmp), force=force)


def suite_sources(datasets: str | Sequence[str] | None = None, datasets_dir: str | Path | None = None) -> dict[str, str]:
    """Data set name -> source (``dataset:NAME`` or a file path) for a suite."""
    from .data import SUPPORTED_EXTENSIONS

    if (datasets is None) == (datasets_dir is None):
        raise ValueError("expected several data sets: --dataset a,b,c or --datasets-dir FOLDER (one of the two).")
    if datasets is not None:
        names = [d.strip() for d in (datasets.split(",") if isinstance(datasets, str) else datasets) if d.strip()]
        sources = {n: f"dataset:{n}" for n in names}
    else:
        folder = Path(datasets_dir)
        if not folder.is_dir():
            raise ValueError(f"expected --datasets-dir to be a folder. Received: {folder}.")
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUPPORTED_EXTENSIONS)
        sources = {p.stem: str(p) for p in files}
        if not sources:
            raise ValueError(f"no data files in {folder}: expected {', '.join(SUPPORTED_EXTENSIONS)} files.")
    if len(sources) < 2:
        raise ValueError(f"a suite needs at least 2 data sets. Received: {', '.join(sources) or 'none'}.")
    return sources


def compare_suite(datasets: str | Sequence[str] | None = None, *, datasets_dir: str | Path | None = None,
                  target=None, losses: Sequence[str] | str | None = None, metric: str | None = None,
                  out: str | Path | None = None, on_dataset=None, **kwargs) -> SuiteResult:
    """:func:`compare` on several data sets with the same candidates and metric, then the
    statistics across data sets (Demšar 2006: Friedman over data sets, Nemenyi or Holm; the
    Bayesian signed-rank test beside it).

    ``datasets``: bundled names (``"iris,wine,breast_cancer,digits"``), or ``datasets_dir``:
    a folder of CSV/Parquet/NumPy files with the same ``target`` column. Each data set's
    study lives in ``out/<name>/`` and resumes on its own. Other arguments as :func:`compare`.
    """
    import tempfile

    from .advisor import recommend
    from .experiment.suite import Suite

    sources = suite_sources(datasets, datasets_dir)
    if losses is None:
        raise ValueError("a suite needs --losses: every data set must compare the same candidates.")
    folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="losslab-suite-"))
    if metric is None:  # one metric for all: the advisor's for the first data set
        first = next(iter(sources.values()))
        _, y, info = load_data(first, None if first.startswith("dataset:") else target, dropna=kwargs.get("dropna", False),
                               kind=kwargs.get("kind"), features=False)
        metric = recommend(y, kind=info["kind"] if kwargs.get("kind") else None).primary.metric

    def call(name, source, **extra):
        where = {"dataset": source.split(":", 1)[1]} if source.startswith("dataset:") else {"data": source, "target": target}
        return compare(**where, losses=losses, metric=metric, out=folder / name, **kwargs, **extra)

    Suite.check_manifest(folder, {name: name for name in sources})
    for name, source in sources.items():  # every check on every data set, before anything trains
        try:
            call(name, source, _validate_only=True)
        except ValueError as err:
            raise ValueError(f"data set {name}: {err}") from None
    Suite.write_manifest(folder, {name: name for name in sources})
    for name, source in sources.items():
        if on_dataset is not None:
            on_dataset(name)
        call(name, source)
    return SuiteResult(Suite.load(folder))


def is_suite(folder: str | Path) -> bool:
    """Whether ``folder`` holds a suite (several data sets) rather than one study."""
    from .experiment.suite import Suite

    return Suite.is_suite(folder)


def load_suite(folder: str | Path) -> SuiteResult:
    """A suite from its folder (``losslab report FOLDER``)."""
    from .experiment.suite import Suite

    return SuiteResult(Suite.load(folder))


# ---------------------------------------------------------------------- the catalog and plans
def loss_catalog(problem: str | None = None) -> list:
    """Every catalog loss (:class:`~losslab.losses.LossSpec`), or those made for ``problem``."""
    from . import losses
    from .vocab import LOSS_PROBLEM_TYPES

    if problem is not None and problem not in LOSS_PROBLEM_TYPES:
        raise ValueError(f"loss_catalog: expected problem in {', '.join(LOSS_PROBLEM_TYPES)}. Received: problem={problem!r}.")
    return [s for s in losses.specs() if problem is None or problem in s.problem_types]


def loss(name: str):
    """One loss by name or alias (any case; Keras and PyTorch names), a composite or ``file.py:fn``."""
    from . import losses

    return losses.get(name)


def reproduce_plan(only: str | Sequence[str] | None = None, *, repeats: int = 30) -> tuple[int, int]:
    """``(experiments, replicate-epochs)`` that :func:`reproduce` will train: for a progress bar."""
    from .tutorial import experiments as tutorial

    chosen = tutorial.select(only)
    return len(chosen), tutorial.total_work(chosen, repeats)
