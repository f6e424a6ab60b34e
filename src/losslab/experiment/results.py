"""A study's results, read back from its store: tables, statistics, verdicts, exports."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np

from ..metrics import get_metric
from .spec import StudySpec
from ..stats.within import Comparison, compare_losses
from .store import Store, TrialResult


@dataclasses.dataclass
class Study:
    """Everything a finished (or partly finished) study holds.

    Attributes
    ----------
    folder : Path or None
        Where its store lives.
    spec : StudySpec
    info : dict
        Data and problem summary, the advisor's recommendation, notes (from the store).
    results : list of TrialResult
    """

    folder: Path | None
    spec: StudySpec
    info: dict[str, Any]
    results: list[TrialResult]
    _comparisons: dict = dataclasses.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, folder: str | Path) -> Study:
        with Store.open_existing(folder) as store:
            return cls(Path(folder), store.spec(), store.info(), store.trials())

    # ------------------------------------------------------------------ tables
    def trials(self):
        """One row per trial: loss, repeat, fold, seed, status and every metric."""
        import pandas as pd

        rows = [{"loss": r.loss, "repeat": r.repeat, "fold": r.fold, "seed": r.seed, "n_train": r.n_train,
                 "n_test": r.n_test, "status": r.status, **r.metrics} for r in self.results]
        # The columns even without a row: a study killed before its first commit still reports.
        columns = ["loss", "repeat", "fold", "seed", "n_train", "n_test", "status", *self.metric_columns]
        return pd.DataFrame(rows, columns=columns)

    def data_notes(self) -> list[str]:
        """What the data preparation decided, one line each: columns left out or capped, rows
        dropped, values imputed, classes pooled for stratification (``experiment.prepare``)."""
        return [str(n) for n in self.info.get("data_notes", [])]

    @property
    def expected_trials(self) -> int:
        return len(self.spec.candidates) * self.spec.resampling.n_trials

    @property
    def complete(self) -> bool:
        return len(self.results) == self.expected_trials

    def _paired(self, metric: str):
        """Scores of ``metric`` in long form over the trials every loss finished without diverging."""
        t = self.trials()
        if t.empty:
            raise ValueError("the study has no finished trial yet.")
        ok = t[t.status == "ok"]
        counts = ok.groupby(["repeat", "fold"]).loss.nunique()
        full = counts[counts == len(self.spec.candidates)].index
        ok = ok.set_index(["repeat", "fold"]).loc[full].reset_index()
        # The statistics call a repeat a "seed": one paired (seed, fold) trial per loss.
        return ok.drop(columns="seed").rename(columns={"repeat": "seed", metric: "value"})[["loss", "seed", "fold", "value"]]

    @property
    def metric_columns(self) -> list[str]:
        """The study's metrics, then any per-output ones (``rmse[lat]``) its trials hold."""
        extra = {k for r in self.results for k in r.metrics} - set(self.spec.metrics)
        return [*self.spec.metrics, *sorted(extra)]

    def summary(self):
        """Per loss and metric: mean, std, median, min, max over trials; diverged and failed trials counted."""
        import pandas as pd

        t = self.trials()
        rows = []
        for label in [c.label for c in self.spec.candidates]:
            sub = t[t.loss == label]
            row: dict[str, Any] = {"loss": label, "trials": len(sub), "diverged": int((sub.status == "diverged").sum()),
                                   "failed": int((sub.status == "failed").sum())}
            for m in self.metric_columns:
                v = sub.loc[sub.status == "ok", m].to_numpy(dtype=float)
                row[f"{m}_mean"] = v.mean() if v.size else np.nan
                row[f"{m}_std"] = v.std(ddof=1) if v.size > 1 else np.nan
                row[f"{m}_median"] = np.median(v) if v.size else np.nan
                row[f"{m}_min"] = v.min() if v.size else np.nan
                row[f"{m}_max"] = v.max() if v.size else np.nan
            rows.append(row)
        return pd.DataFrame(rows).set_index("loss")

    def comparison(self, metric: str | None = None) -> Comparison:
        """The statistical comparison of the losses on ``metric`` (the study's main metric by default)."""
        metric = metric or self.spec.metric
        if metric not in self._comparisons:
            self._comparisons[metric] = self._compare(metric)
        return self._comparisons[metric]

    def _compare(self, metric: str) -> Comparison:
        if metric not in self.spec.metrics:
            raise ValueError(f"expected a metric of this study ({', '.join(self.spec.metrics)}). Received: {metric!r}.")
        if len(self.spec.candidates) < 2:
            raise ValueError("a comparison needs at least two candidate losses.")
        scores = self._paired(metric)
        m = get_metric(metric)
        r = self.spec.resampling
        design = r.design()
        n_trials = scores.groupby(["seed", "fold"]).ngroups
        if design.kind == "holdout" and n_trials != r.repeats:
            design = dataclasses.replace(design, repeats=n_trials)
        if design.kind == "repeated_kfold" and n_trials != r.repeats * r.k:
            raise ValueError(f"only {n_trials} of {r.repeats * r.k} trials are finished; run the study again to complete it.")
        return compare_losses(scores, higher_is_better=m.higher_is_better, design=design, metric=metric,
                              rng=self.spec.seed)

    def verdict(self, metric: str | None = None) -> str:
        """The verdict in words (and a note on diverged, failed or unfinished trials)."""
        if len(self.spec.candidates) < 2:
            s = self.summary()
            m = metric or self.spec.metric
            return f"one candidate ({self.spec.candidates[0].label}): mean {m} {s[f'{m}_mean'].iloc[0]:.4g} over {int(s.trials.iloc[0])} trials; nothing to compare."
        if metric is not None and metric not in self.spec.metrics:
            raise ValueError(f"expected a metric of this study ({', '.join(self.spec.metrics)}). Received: {metric!r}.")
        try:
            text = self.comparison(metric).verdict()
        except ValueError as err:
            # A study that is still running, or was killed, has no full design to test yet.
            if self.complete:
                failed = sum(r.status == "failed" for r in self.results)
                if failed:
                    return (f"No verdict: {failed} of {len(self.results)} trials failed ({_first_error(self.results)}), and the "
                            f"paired trials left do not make the study's design ({err}). Run the same command again to retry them.")
                diverged = sum(r.status == "diverged" for r in self.results)
                if diverged:
                    return (f"No verdict: {diverged} of {len(self.results)} trials diverged, and the paired trials left "
                            f"do not make the study's design ({err}). Try a smaller --lr.")
                return f"No verdict: {err}"
            return (f"No verdict yet: the study is not finished ({len(self.results)} of {self.expected_trials} trials stored). "
                    "Run the same command again to complete it.")
        diverged = sum(r.status == "diverged" for r in self.results)
        if diverged:
            text += f" ({diverged} diverged trial(s) left out with their pairs.)"
        failed = sum(r.status == "failed" for r in self.results)
        if failed:
            text += (f" ({failed} failed trial(s) left out with their pairs: {_first_error(self.results)}. "
                     "Run the same command again to retry them.)")
        if not self.complete:
            text += " (The study is not finished: run the same command again to complete it.)"
        return text

    # ------------------------------------------------------------------ export
    def export(self, path: str | Path, fmt: str = "json") -> Path:
        """Every trial, as JSON (with the spec and histories) or CSV (metrics only)."""
        path = Path(path)
        if fmt == "csv":
            self.trials().to_csv(path, index=False)
        elif fmt == "json":
            payload = {"spec": self.spec.to_dict(), "info": self.info,
                       "trials": [dataclasses.asdict(r) for r in self.results]}
            path.write_text(json.dumps(payload, indent=1, default=float))
        else:
            raise ValueError(f"expected --format json or csv. Received: --format {fmt}.")
        return path


def _first_error(results: list[TrialResult]) -> str:
    """The first failed trial's error, on one line and short: what the verdict quotes."""
    for r in results:
        if r.status == "failed":
            text = str((r.history.get("error") or ["unknown error"])[0]).strip().splitlines()
            line = text[0] if text else "unknown error"
            return line if len(line) <= 160 else line[:157] + "..."
    return ""
