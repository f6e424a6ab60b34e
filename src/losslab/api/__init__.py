"""What users call from Python: ``recommend``, ``check``, ``reproduce``, ``compare``, ``landscape``.

Each function checks its arguments by name, translates them into the call of the package
that does the work (``experiment``, ``tutorial``, ``landscape``) and wraps what comes back
in a result that holds it (``result.study``, ``.suite``, ``.reproduction``, ``.landscape``)
and adds its reports and figures.

The package: this module holds the entry points, :mod:`~losslab.api.options` checks the
arguments, :mod:`~losslab.api.results` holds the result classes; the work is in the packages
below. Over ~400 lines on purpose: about half of this module is the reference documentation
of the public entry points (their docstrings), which belongs beside their signatures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..experiment.estimate import EstimateTooLong
from ..experiment.files import OutputRefused, StudyBusy
from ..experiment.repair import DamagedStore, Repair
from ..experiment.space import DiskFull
from ..experiment.store import Interrupted, ReadOnlyStudy
from .options import OptionError, check_device, check_options
from .results import LandscapeResult, ReproduceResult, StudyResult, SuiteResult

if TYPE_CHECKING:
    from ..experiment.planning import Plan

__all__ = ["DamagedStore", "DiskFull", "EstimateTooLong", "Interrupted", "LandscapeResult", "OptionError", "OutputRefused",
           "ReadOnlyStudy", "Repair", "ReproduceResult", "StudyBusy", "StudyResult", "SuiteResult", "compare",
           "compare_suite", "landscape", "load_study", "load_suite", "plan_study", "repair", "reproduce"]


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
    from ..tutorial import reproduction

    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"reproduce: expected repeats >= 1. Received: repeats={repeats!r}.")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"reproduce: expected seed >= 0. Received: seed={seed!r}.")
    return ReproduceResult(reproduction.run(only, repeats=repeats, seed=seed, processes=processes, device=device,
                                            progress=progress))


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
    from ..experiment.sources import prepare_source

    return prepare_source(data, target, X=X, y=y, dataset=dataset, kind=kind, dropna=dropna, exclude=exclude,
                          include=include, features=features)


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
    from ..advisor import recommend as advise
    from ..experiment.prepare import check_kind
    from ..experiment.sources import check_targets

    check_targets(y, data, dataset)
    if y is not None:
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
    from .. import losses as catalog
    from ..advisor import check as check_setup
    from ..experiment.prepare import check_kind
    from ..experiment.sources import check_targets

    kind = check_kind(kind)
    if data is None and dataset is None:
        check_setup(loss, output_activation, y, output_units=output_units, from_logits=from_logits, kind=kind)
        return None
    check_targets(y, data, dataset)
    # The output layer and units alone first: their refusals do not depend on the data.
    check_setup(loss, output_activation, None, output_units=output_units, from_logits=from_logits)
    spec = catalog.get(loss)
    if from_logits is not None and spec.logits_param in spec.params:
        spec = spec.with_params(**{spec.logits_param: bool(from_logits)})
    prepared = prepare_data(data, target, dataset=dataset, kind=kind, dropna=dropna, features=False)
    prepared.encode(spec, output_activation, output_units=output_units)
    return None


def plan_study(X=None, y=None, *, data: str | Path | None = None, dataset: str | None = None, target=None,
               losses: Sequence[str] | str | None = None, metric: str | None = None, extra_metrics: Sequence[str] = (),
               repeats: int = 30, cv: int | str | None = None, test_size: float = 0.25, hidden: Sequence[int] = (50,),
               epochs: int | None = None, batch_size: int | None = None, optimizer: str | None = None,
               lr: float | Sequence[float] | None = None, momentum: float = 0.9, patience: int | None = None,
               protocol: str = "tuned", sweep: str | None = None, validation_split: float | None = None,
               weight_decay: float | None = None, refit: bool | None = None, seed: int = 0,
               dropna: bool = False, kind: str | None = None, exclude: Sequence[str] | str | None = None,
               include: Sequence[str] | str | None = None, stratify: bool = True, device: str | None = None,
               executor: str = "local", ray_address: str | None = None, cpus_per_task: float = 1,
               gpus_per_task: float = 0, max_retries: int = 2, mlflow: str | bool | None = None) -> Plan:
    """The plan :func:`compare` would run with the same arguments, after every check it makes
    before anything trains or is written: the data read and prepared, the candidates, metric,
    model and device checked, the splits drawn. Nothing is trained, timed or written.

    Returns a :class:`~losslab.experiment.planning.Plan`: ``plan.spec`` (the study with every
    default filled in: ``plan.spec.model.epochs``, ``.learning_rates``, ``.batch_size``),
    ``plan.trials``, ``plan.splits``, ``plan.data`` (the prepared table, with its notes),
    ``plan.X`` and ``plan.y``; ``plan.schedule`` is ``None`` (:func:`compare` times it).
    Raises what :func:`compare` raises for the same arguments. Arguments as :func:`compare`.

    Examples
    --------
    >>> plan = plan_study(dataset="iris", losses="cce,kld", repeats=5)   # doctest: +SKIP
    >>> plan.spec.model.protocol, len(plan.trials)                      # doctest: +SKIP
    ('tuned', 10)
    """
    return _planned(locals())[0]


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
            on_start=None, on_epochs=None, on_trials=None, executor: str = "local",
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
    from ..experiment.conduct import run_study

    plan, recommendation, executor_, tracker = _planned(locals())
    study = run_study(plan, recommendation, out=out, device=device, executor=executor_, tracker=tracker, confirm=confirm,
                      batch_given=batch_size is not None, on_start=on_start, on_epochs=on_epochs, on_trials=on_trials)
    result = StudyResult(study)
    if tracker is not None:
        result._log_to(tracker)
    return result


# The arguments of compare that plan_study does not take: they act once the study runs.
_RUN_ONLY = ("out", "on_start", "on_epochs", "on_trials", "confirm")


_NUMERIC = ("repeats", "epochs", "batch_size", "patience", "seed", "max_retries", "lr", "momentum", "test_size",
            "validation_split", "weight_decay", "cpus_per_task", "gpus_per_task", "hidden")


_SPEC = ("losses", "sweep", "metric", "extra_metrics", "repeats", "cv", "test_size", "protocol", "hidden", "epochs",
         "batch_size", "optimizer", "lr", "momentum", "patience", "validation_split", "weight_decay", "refit", "seed", "dropna",
         "stratify")


def _planned(a: dict[str, Any]) -> tuple[Any, Any, Any, Any]:
    """``(plan, recommendation, executor, tracker)`` from the arguments of :func:`compare` or
    :func:`plan_study` (by name): every check, before anything is written."""
    from ..advisor import recommend as advise
    from ..experiment import build, planning, sources
    from ..experiment.executors import make_executor
    from ..experiment.prepare import check_kind
    from ..experiment.tracking import MLflowTracker

    check_options(**{name: a[name] for name in _NUMERIC})
    sources.check_one(X=a["X"], y=a["y"], data=a["data"], dataset=a["dataset"])
    kind = check_kind(a["kind"])
    prepared = sources.prepare_source(a["data"], a["target"], X=a["X"], y=a["y"], dataset=a["dataset"], kind=kind,
                                      dropna=a["dropna"], exclude=a["exclude"], include=a["include"])
    recommendation = advise(prepared.y, kind=kind)
    spec = build.study_spec(prepared, recommendation, kind=kind, **{name: a[name] for name in _SPEC})
    plan = planning.plan(spec, prepared, cap_batch=a["batch_size"] is None)
    check_device(a["device"])
    executor = make_executor(a["executor"], address=a["ray_address"], cpus_per_task=a["cpus_per_task"],
                             gpus_per_task=a["gpus_per_task"], max_retries=a["max_retries"])
    mlflow = a["mlflow"]
    tracker = MLflowTracker(None if mlflow is True else mlflow) if mlflow else None
    return plan, recommendation, executor, tracker


def load_study(folder: str | Path) -> StudyResult:
    """A study from its folder (``losslab report FOLDER``), opened read-only: a study on a
    read-only medium reads as any other. A damaged store raises :class:`DamagedStore`
    (with how many trials are readable); :func:`repair` copies them into a fresh store."""
    from ..experiment.results import Study

    return StudyResult(Study.load(folder))


def repair(folder: str | Path, out: str | Path | None = None) -> Repair:
    """Copy the readable trials of a damaged study into a fresh store beside it (``losslab repair FOLDER``).

    ``out`` defaults to ``<folder>-repaired`` (``-repaired-2``, ... when taken); the damaged
    store is only read. Resume the study by running its command with ``out`` as its folder:
    only the lost trials train again. Returns a :class:`~losslab.experiment.repair.Repair`
    (``folder``, ``trials`` copied, ``unreadable``).
    """
    from ..experiment import repair as repairing

    return repairing.repair(folder, out)


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
        Holds the data preparation's ``notes`` (as :func:`compare` prints them) and the
        :class:`~losslab.landscapes.slices.Landscape` (``result.landscape``):
        ``result.grid(loss)`` gives the train-loss surface, ``result.slices[loss]`` every
        array, ``save_npz(path)`` writes them, ``plot(out)`` draws the figures.

    Examples
    --------
    >>> result = landscape("circles", losses="bce,hinge", grid=21)   # doctest: +SKIP
    >>> result.grid("hinge").shape                                    # doctest: +SKIP
    (21, 21)
    """
    from ..landscapes import slices
    from ..landscapes import training as trainings

    given = {name: value for name, value in (("problem", problem), ("data", data), ("dataset", dataset))
             if value is not None}
    if len(given) != 1:
        received = " and ".join(f"{name}={value!r}" for name, value in given.items()) or "none of them"
        raise ValueError(f"landscape: expected exactly one of problem, data and dataset. Received: {received}.")
    # Options first: a typo should not wait for the data to load.
    slices.check_options(mode=mode, directions=directions, grid=grid, span=span, seed=seed, direction_seed=direction_seed)
    notes: tuple[str, ...] = ()
    if problem is not None:
        training = trainings.tutorial_training(problem, losses, epochs=epochs)
    else:
        prepared = prepare_data(data, target, dataset=dataset, kind=kind, dropna=dropna, exclude=exclude, include=include)
        training = trainings.data_training(prepared, losses, seed=seed, epochs=epochs)
        notes = prepared.notes
    return LandscapeResult(slices.compute(training, mode=mode, directions=directions, grid=grid, span=span, seed=seed,
                                          direction_seed=direction_seed, device=device), notes)


def compare_suite(datasets: str | Sequence[str] | None = None, *, datasets_dir: str | Path | None = None,
                  target=None, losses: Sequence[str] | str | None = None, metric: str | None = None,
                  out: str | Path | None = None, on_dataset=None, **kwargs) -> SuiteResult:
    """:func:`compare` on several data sets with the same candidates and metric, then the
    statistics across data sets (Demšar 2006: Friedman over data sets, Nemenyi or Holm; the
    Bayesian signed-rank test beside it).

    ``datasets``: bundled names (``"iris,wine,breast_cancer,digits"``), or ``datasets_dir``:
    a folder of CSV/Parquet/NumPy files with the same ``target`` column. Each data set's
    study lives in ``out/<name>/`` and resumes on its own; every data set passes
    :func:`plan_study`'s checks before any trains. ``losses`` default to the advisor's
    candidates that it recommends for every data set (at least two, else a refusal that lists
    each data set's); ``metric`` to the advisor's for the first data set. Other arguments as
    :func:`compare`.
    """
    import tempfile

    from ..experiment import sources, suite

    named = sources.suite_sources(datasets, datasets_dir)
    if losses is None:  # the advisor's candidates for every data set
        losses = suite.suite_losses(named, target, kind=kwargs.get("kind"), dropna=kwargs.get("dropna", False))
    folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="losslab-suite-"))
    if metric is None:  # one metric for all: the advisor's for the first data set
        metric = suite.suite_metric(named, target, kind=kwargs.get("kind"), dropna=kwargs.get("dropna", False))
    checks = {k: v for k, v in kwargs.items() if k not in _RUN_ONLY}

    def arguments(name: str) -> dict[str, Any]:
        return {**sources.where(named[name], target), "losses": losses, "metric": metric}

    return SuiteResult(suite.run_suite(folder, list(named), check=lambda name: plan_study(**arguments(name), **checks),
                                       run=lambda name: compare(**arguments(name), out=folder / name, **kwargs),
                                       on_dataset=on_dataset))


def is_suite(folder: str | Path) -> bool:
    """Whether ``folder`` holds a suite (several data sets) rather than one study."""
    from ..experiment.suite import Suite

    return Suite.is_suite(folder)


def load_suite(folder: str | Path) -> SuiteResult:
    """A suite from its folder (``losslab report FOLDER``)."""
    from ..experiment.suite import Suite

    return SuiteResult(Suite.load(folder))


def loss_catalog(problem: str | None = None) -> list:
    """Every catalog loss (:class:`~losslab.losses.LossSpec`), or those made for ``problem``."""
    from .. import losses
    from ..vocab import LOSS_PROBLEM_TYPES

    if problem is not None and problem not in LOSS_PROBLEM_TYPES:
        raise ValueError(f"loss_catalog: expected problem in {', '.join(LOSS_PROBLEM_TYPES)}. Received: problem={problem!r}.")
    return [s for s in losses.specs() if problem is None or problem in s.problem_types]


def loss(name: str):
    """One loss by name or alias (any case; Keras and PyTorch names), a composite or ``file.py:fn``."""
    from .. import losses

    return losses.get(name)


def reproduce_plan(only: str | Sequence[str] | None = None, *, repeats: int = 30) -> tuple[int, int]:
    """``(experiments, replicate-epochs)`` that :func:`reproduce` will train: for a progress bar."""
    from ..tutorial import experiments as tutorial

    chosen = tutorial.select(only)
    return len(chosen), tutorial.total_work(chosen, repeats)

