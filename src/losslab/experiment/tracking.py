"""A study in MLflow: one parent run per study, one nested run per trial.

The parent run holds the spec (flattened into params), the data and problem (tags) and,
at the end, the verdict (a tag and ``verdict.txt``), the summary table, the HTML report
and its figures. Each trial is a nested run, logged as it is stored: params loss, repeat,
fold and seed; its learning curves as metrics with ``step`` = epoch (1 for the first);
its held-out metrics. A resumed study logs into the same parent run, and trials stored
before tracking began (or lost between the store and MLflow in a kill) are logged then,
once each; a failed trial trained again replaces its failed run.

Only :class:`mlflow.MlflowClient` calls with explicit run ids: the user's active run,
if any, is left alone. The default store is the local folder ``./mlruns``.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .store import Store, TrialResult

INSTALL_MLFLOW = "mlflow=... needs MLflow: pip install 'losslab[mlflow]'"
# Limits of the oldest MLflow we accept (2.10 takes longer values; older servers do not).
_PARAM_CHARS = 500
_TAG_CHARS = 5000
_PER_BATCH = 900  # MLflow takes at most 1000 metrics per log_batch call
_STUDY_TAG = "losslab.study"
_TRIAL_TAG = "losslab.trial"


def tracking_uri(uri: str | None) -> str:
    """``None`` or ``"local"``: the file store ``./mlruns``; a plain path: that folder; else as given."""
    if uri is None or uri == "local":
        return Path("mlruns").resolve().as_uri()
    if re.match(r"^[A-Za-z][\w+.-]*://", uri) or uri.startswith(("databricks", "file:")):
        return uri
    return Path(uri).expanduser().resolve().as_uri()


class MLflowTracker:
    """Logs a study to MLflow as it runs (see the module's docstring).

    Parameters
    ----------
    uri : str, optional
        A tracking URI (``http://host:5000``, ``sqlite:///mlflow.db``, ``file:///abs/mlruns``),
        a folder, or ``None``/``"local"`` for ``./mlruns``.
    experiment : str
        The experiment's name, made when missing.
    """

    def __init__(self, uri: str | None = None, experiment: str = "losslab") -> None:
        mlflow = import_mlflow()
        self.uri = tracking_uri(uri)
        if self.uri.startswith("file:"):
            # MLflow 3 refuses its file store unless told otherwise; the file store is what
            # needs no server and no database, so losslab asks for it (an explicit setting wins).
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        self.client = mlflow.MlflowClient(tracking_uri=self.uri)
        self.experiment = experiment
        self.parent_id: str | None = None
        self._logged: dict[tuple[str, int, int], tuple[str, str]] = {}  # trial -> (run id, status)

    # ------------------------------------------------------------------ the study
    def start(self, plan, store: Store) -> str:
        """Open the study's parent run (the one of an earlier run of this study, or a new
        one) and log every stored trial it does not hold yet; return its id."""
        client = self.client
        experiment = client.get_experiment_by_name(self.experiment)
        experiment_id = experiment.experiment_id if experiment is not None else client.create_experiment(self.experiment)
        key = _study_key(store)
        found = client.search_runs([experiment_id], filter_string=f"tags.`{_STUDY_TAG}` = '{key}'", max_results=1)
        if found:
            self.parent_id = found[0].info.run_id
            client.update_run(self.parent_id, status="RUNNING")
        else:
            spec = plan.spec
            tags = {_STUDY_TAG: key, "data": spec.data, "problem": plan.problem.kind, "losslab.store": str(store.path.resolve())}
            run = client.create_run(experiment_id, tags=tags, run_name=f"losslab {spec.data} ({spec.metric})")
            self.parent_id = run.info.run_id
            flat = spec.to_dict()
            flat["candidates"] = "; ".join(c.label for c in spec.candidates)  # labels hold commas: huber(delta=2.0)
            self._log(self.parent_id, params=list(flatten(flat).items()))
        self._logged = self._children(experiment_id)
        self.log_trials(store.trials())
        return self.parent_id

    def log_trials(self, results: Iterable[TrialResult]) -> None:
        """One nested run per trial not logged yet (or logged with another status)."""
        for r in results:
            key = (r.loss, r.repeat, r.fold)
            before = self._logged.get(key)
            if before is not None:
                if before[1] == r.status:
                    continue
                self.client.delete_run(before[0])  # a failed trial, trained again
            self._logged[key] = (self._log_trial(r), r.status)

    def interrupted(self) -> None:
        """The run stopped with an error or Ctrl-C: the parent run says so."""
        if self.parent_id is not None:
            self.client.set_terminated(self.parent_id, status="KILLED")

    def finish(self, study, report: str | Path | None = None, figures: Iterable[tuple[str, bytes]] = ()) -> None:
        """The verdict, the summary table, the report and its figures on the parent run, then close it.

        ``study`` is a :class:`~losslab.experiment.results.Study`; ``report`` its HTML report's path;
        ``figures`` the report's figures as ``(caption, png bytes)`` pairs, logged as PNG files.
        """
        if self.parent_id is None:
            raise ValueError("MLflowTracker.finish: the study was never started (run it with this tracker first).")
        client, run_id = self.client, self.parent_id
        verdict = study.verdict()
        client.set_tag(run_id, "losslab.verdict", _clip(verdict, _TAG_CHARS))
        client.log_text(run_id, verdict + "\n", "verdict.txt")
        client.log_text(run_id, study.summary().to_csv(), "summary.csv")
        if report is not None:
            report = Path(report)
            client.log_artifact(run_id, str(report))
        with tempfile.TemporaryDirectory(prefix="losslab-figures-") as tmp:
            if _figures(figures, Path(tmp)):
                client.log_artifacts(run_id, tmp, "figures")
        failed = any(r.status == "failed" for r in study.results)
        client.set_terminated(run_id, status="FAILED" if failed or not study.complete else "FINISHED")

    # ------------------------------------------------------------------ helpers
    def _children(self, experiment_id: str) -> dict[tuple[str, int, int], tuple[str, str]]:
        out, token = {}, None
        while True:
            page = self.client.search_runs([experiment_id], filter_string=f"tags.mlflow.parentRunId = '{self.parent_id}'",
                                           max_results=1000, page_token=token)
            for run in page:
                text = run.data.tags.get(_TRIAL_TAG)
                if text:
                    loss, repeat, fold = text.rsplit("|", 2)
                    out[(loss, int(repeat), int(fold))] = (run.info.run_id, run.data.tags.get("losslab.status", ""))
            token = page.token
            if not token:
                return out

    def _log_trial(self, r: TrialResult) -> str:
        tags = {"mlflow.parentRunId": self.parent_id, _TRIAL_TAG: f"{r.loss}|{r.repeat}|{r.fold}", "losslab.status": r.status}
        if r.status == "failed":
            tags["losslab.error"] = _clip(str((r.history.get("error") or [""])[0]), _TAG_CHARS)
        run = self.client.create_run(self._experiment_of_parent(), tags=tags, run_name=f"{r.loss} r{r.repeat} f{r.fold}")
        run_id = run.info.run_id
        params = [("loss", r.loss), ("repeat", r.repeat), ("fold", r.fold), ("seed", r.seed), ("n_train", r.n_train),
                  ("n_test", r.n_test)]
        metrics = []
        for name, values in r.history.items():
            if name == "error":
                continue
            if name == "stopped_epoch":
                metrics.append((name, float(values[0]), 0))
                continue
            metrics += [(metric_key(name), float(v), epoch) for epoch, v in enumerate(values, start=1)]
        metrics += [(metric_key(name), float(v), 0) for name, v in r.metrics.items()]
        self._log(run_id, params=params, metrics=metrics)
        self.client.set_terminated(run_id, status="FAILED" if r.status == "failed" else "FINISHED")
        return run_id

    def _experiment_of_parent(self) -> str:
        if not hasattr(self, "_parent_experiment"):
            self._parent_experiment = self.client.get_run(self.parent_id).info.experiment_id
        return self._parent_experiment

    def _log(self, run_id: str, *, params: list[tuple[str, Any]] = (), metrics: list[tuple[str, float, int]] = ()) -> None:
        from mlflow.entities import Metric, Param

        now = int(time.time() * 1000)
        params = [Param(k, _clip(str(v), _PARAM_CHARS)) for k, v in params]
        metrics = [Metric(k, v, now, step) for k, v, step in metrics]
        first = True
        while first or metrics:
            self.client.log_batch(run_id, metrics=metrics[:_PER_BATCH], params=params if first else [])
            metrics, first = metrics[_PER_BATCH:], False


def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"model": {"epochs": 3}}`` -> ``{"model.epochs": 3}``; lists joined with commas."""
    out: dict[str, Any] = {}
    for key, value in d.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        elif isinstance(value, (list, tuple)):
            out[name] = ",".join(str(v) for v in value)
        else:
            out[name] = value
    return out


def metric_key(name: str) -> str:
    """An MLflow metric name: ``rmse[lat]`` -> ``rmse/lat`` (MLflow allows letters, digits, ``_-. /``)."""
    name = re.sub(r"\[([^\]]*)\]", r"/\1", name)
    return re.sub(r"[^\w\-. /]", "_", name)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _study_key(store: Store) -> str:
    # The store's file and creation time: a study deleted and started anew in the same folder is another study.
    text = f"{store.path.resolve()}|{store.meta('created')}|{store.meta('fingerprint')}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _figures(figures: Iterable[tuple[str, bytes]], folder: Path) -> list[Path]:
    """The report's figures written out as PNG files named after their captions."""
    paths = []
    for i, (caption, png) in enumerate(figures, start=1):
        slug = re.sub(r"[^a-z0-9]+", "-", caption.lower()).strip("-")[:60] or "figure"
        path = folder / f"{i:02d}-{slug}.png"
        path.write_bytes(png)
        paths.append(path)
    return paths


def import_mlflow():
    try:
        import mlflow
    except ImportError:
        raise ValueError(INSTALL_MLFLOW) from None
    return mlflow
