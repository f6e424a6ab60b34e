"""What the API's entry points return: each result holds the object the work produced
(``.study``, ``.suite``, ``.reproduction``, ``.landscape``), passes through by name the
attributes it offers (nothing else), and adds the reports and figures (:mod:`losslab.report`).

One job: results by composition. Imports ``experiment`` (stores, outputs) and, when a figure
or report is asked for, ``report``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..experiment.files import folder_writable, write_output


class Held:
    """One attribute of the object a result holds, read through it (``StudyResult.spec`` is
    ``result.study.spec``). Each result names the attributes it offers; nothing else passes."""

    def __init__(self, holder: str, doc: str) -> None:
        self.holder, self.__doc__ = holder, doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return getattr(getattr(obj, self.holder), self.name)

    def __set__(self, obj: Any, value: Any) -> None:
        # A result only reads what it holds: set it on the held object (``result.study``).
        raise AttributeError(f"{self.name} is read-only: it belongs to the result's {self.holder}.")



class ReproduceResult:
    """A :class:`~losslab.tutorial.reproduction.Reproduction` (``.reproduction``) and its figures."""

    def __init__(self, reproduction) -> None:
        self.reproduction = reproduction

    experiments = Held("reproduction", "The experiments run, in the tutorial's order.")
    seeds = Held("reproduction", "The seeds every experiment trained with.")
    runs = Held("reproduction", "Problem name -> its training histories.")
    seconds = Held("reproduction", "Training time in seconds.")
    refusals = Held("reproduction", "Experiment name -> the advisor's refusal of the setup the tutorial ran anyway.")
    curves = Held("reproduction", "``curves(name)``: per-epoch train/test loss and metric, each (repeats, epochs).")
    final = Held("reproduction", "``final(name)``: last-epoch numbers per repeat.")
    records = Held("reproduction", "``records()``: one dict per (experiment, repeat), as results.json holds them.")
    verdict = Held("reproduction", "``verdict(name)``: whether the repeats agree with the tutorial, and why.")
    table = Held("reproduction", "``table()``: one row per experiment with the tutorial's figure and a verdict.")
    save = Held("reproduction", "``save(out)``: write results.json and results.csv; return the paths.")

    def plot(self, out: str | Path) -> list[Path]:
        """Draw every experiment's learning curves and the summary figure into ``out``."""
        from ..report.tutorial import draw

        return draw(self.reproduction, out)



class StudyResult:
    """A :class:`~losslab.experiment.results.Study` (``.study``) and its HTML report and exports."""

    def __init__(self, study) -> None:
        self.study = study

    folder = Held("study", "Where the study's store lives.")
    spec = Held("study", "The :class:`~losslab.experiment.spec.StudySpec`: data, candidates, metric, resampling, model.")
    info = Held("study", "Data and problem summary, the advisor's recommendation, notes.")
    results = Held("study", "Every stored :class:`~losslab.experiment.store.TrialResult`.")
    complete = Held("study", "Whether every trial of the design is stored.")
    expected_trials = Held("study", "Trials of the design: candidates x repeats x folds.")
    metric_columns = Held("study", "The study's metrics, then any per-output ones (``rmse[lat]``).")
    trials = Held("study", "``trials()``: one row per trial: loss, repeat, fold, seed, status and every metric.")
    data_notes = Held("study", "``data_notes()``: what the data preparation decided, one line each.")
    summary = Held("study", "``summary()``: per loss and metric, mean, std, median, min and max over trials.")
    comparison = Held("study", "``comparison(metric=None)``: the statistical comparison of the losses.")
    verdict = Held("study", "``verdict(metric=None)``: the verdict in words.")
    protocol = Held("study", "``protocol()``: how every loss was trained and chosen, in one phrase.")
    tuning = Held("study", "``tuning()``: what each trial chose, one row per trial and learning rate.")
    diagnoses = Held("study", "``diagnoses()``: what the data and the training show (a column that gives the target "
                              "away, first; grid edges, last epochs, blown-up trials, overfitting).")

    def report(self, path: str | Path | None = None, *, force: bool = False) -> Path:
        """Write the self-contained HTML report; return where it went.

        ``path`` defaults to ``report.html`` in the study folder, or, when that folder is
        read-only, ``<folder name>-report.html`` in the current directory. The file is
        written whole or not at all (a temporary file, then a rename), never over a study's
        store, and never over an existing file that losslab did not write unless ``force``.
        """
        from ..report.html import write_report

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
        from ..experiment.results import no_result_reason

        return no_result_reason(self.study, cli=cli)

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

    def _log_to(self, tracker) -> None:
        """Finish the study's MLflow run: the verdict, the report (written to the study folder) and its figures."""
        from ..report.html import build_report

        built = build_report(self.study)  # the HTML once, and its figures for MLflow as they are
        report = write_output(self._output(None, "report.html", "report"), built.write)
        tracker.finish(self.study, report=report, figures=built.figures)



class LandscapeResult:
    """A :class:`~losslab.landscapes.slices.Landscape` (``.landscape``) and its figures;
    ``notes``: what the data preparation decided, one line each (none for a tutorial problem)."""

    def __init__(self, landscape, notes: tuple[str, ...] = ()) -> None:
        self.landscape = landscape
        self.notes = tuple(notes)

    mode = Held("landscape", "``plane`` or ``interpolate``.")
    directions = Held("landscape", "``random``, ``pca`` or ``line``.")
    data = Held("landscape", "The problem or data set's name.")
    description = Held("landscape", "The data and model, in words.")
    seed = Held("landscape", "The seed of the weights, minibatches and split.")
    direction_seed = Held("landscape", "The seed of the random directions.")
    metric = Held("landscape", "The metric evaluated beside the loss.")
    span = Held("landscape", "The reach of the slice around the trained weights.")
    x = Held("landscape", "The slice's first coordinate.")
    y = Held("landscape", "The plane's second coordinate (``None`` for a line).")
    slices = Held("landscape", "Loss -> its :class:`~losslab.landscapes.slices.Slice`, in the order asked.")
    seconds = Held("landscape", "``{'train': s, 'grid': s}``: time spent training and evaluating.")
    points = Held("landscape", "Weight sets evaluated.")
    losses = Held("landscape", "The losses, in order.")
    grid = Held("landscape", "``grid(loss, what='loss', split='train')``: a surface (or curve).")
    save_npz = Held("landscape", "``save_npz(path)``: every array in one ``.npz``; return its path.")

    def plot(self, out: str | Path) -> list[Path]:
        """Draw the landscape's figures into ``out`` (see :mod:`losslab.report.landscape`); return their paths."""
        from ..report.landscape import draw

        return draw(self.landscape, out)



class SuiteResult:
    """A :class:`~losslab.experiment.suite.Suite` (``.suite``) and its HTML report."""

    def __init__(self, suite) -> None:
        self.suite = suite

    folder = Held("suite", "The suite's folder (each data set's study in a subfolder).")
    studies = Held("suite", "Data set name -> its :class:`~losslab.experiment.results.Study`.")
    metric = Held("suite", "The metric every data set is compared on.")
    losses = Held("suite", "The candidates' labels.")
    means = Held("suite", "``means()``: mean held-out metric per data set (rows) and loss (columns).")
    across = Held("suite", "``across()``: Demšar's procedure over the data sets, with the Bayesian signed-rank test.")
    verdict = Held("suite", "``verdict()``: the verdict across data sets, in words.")
    verdicts = Held("suite", "``verdicts()``: each data set's own verdict.")
    info = Held("suite", "``info()``: data set name -> its problem, as the advisor read it.")

    def report(self, path: str | Path | None = None, *, force: bool = False) -> Path:
        """The suite's report: across-data-set statistics and each data set's verdict, with
        every data set's own report beside it (written as :meth:`StudyResult.report` writes)."""
        from ..report.suite_html import write_suite_report

        for study in self.suite.studies.values():
            StudyResult(study).report()
        target = Path(path) if path is not None else self.suite.folder / "report.html"
        return write_output(target, lambda tmp: write_suite_report(self.suite, tmp), force=force)

