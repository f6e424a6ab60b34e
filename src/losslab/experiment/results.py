"""A study's results, read back from its store: tables, statistics, verdicts, exports."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np

from ..metrics import get_metric
from ..vocab import WARNING
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
        """Per loss and metric: mean, std, median, min, max over trials; diverged and failed trials
        counted; ``.attrs["protocol"]`` says how the losses were trained (:meth:`protocol`)."""
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
        out = pd.DataFrame(rows).set_index("loss")
        out.attrs["protocol"] = self.protocol()  # which protocol produced these numbers
        return out

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
        if scores.empty:  # said here, in words, before the statistics' own argument checks see zero trials
            raise ValueError("no trial was finished by every loss without diverging or failing, so there are no pairs to compare")
        m = get_metric(metric)
        r, model = self.spec.resampling, self.spec.model
        # With a validation share (early stopping, or the tuned protocol's choice of rate) the model
        # is fitted on 1 - validation_split of the training rows: the correction uses that.
        # A refit model is fitted on all of them again.
        fitted = 1.0 if getattr(model, "refit", False) or not model.validates else 1.0 - model.validation_split
        design = r.design(train_fraction=fitted)
        n_trials = scores.groupby(["seed", "fold"]).ngroups
        if design.kind == "holdout" and n_trials != r.repeats:
            design = dataclasses.replace(design, repeats=n_trials)
        if design.kind == "repeated_kfold" and n_trials != r.repeats * r.k:
            raise ValueError(f"only {n_trials} of {r.repeats * r.k} trials are finished; run the study again to complete it.")
        return compare_losses(scores, higher_is_better=m.higher_is_better, design=design, metric=metric)

    def verdict(self, metric: str | None = None) -> str:
        """The verdict in words (and a note on diverged, failed or unfinished trials)."""
        if len(self.spec.candidates) < 2:
            s = self.summary()
            m = metric or self.spec.metric
            return (f"one candidate ({self.spec.candidates[0].label}): mean {m} {s[f'{m}_mean'].iloc[0]:.4g} over "
                    f"{int(s.trials.iloc[0])} trials; nothing to compare. Protocol: {self.protocol()}.")
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
                            f"do not make the study's design ({err}). Try a smaller learning rate (lr=...).")
                return f"No verdict: {err}"
            return (f"No verdict yet: the study is not finished ({len(self.results)} of {self.expected_trials} trials stored). "
                    "Run the same command again to complete it.")
        diverged = sum(r.status == "diverged" for r in self.results)
        text = text.rstrip() + ("" if text.rstrip().endswith(".") else ".") + f" Protocol: {self.protocol()}."
        if diverged:
            text += f" ({diverged} diverged trial(s) left out with their pairs.)"
        failed = sum(r.status == "failed" for r in self.results)
        if failed:
            text += (f" ({failed} failed trial(s) left out with their pairs: {_first_error(self.results)}. "
                     "Run the same command again to retry them.)")
        if not self.complete:
            text += " (The study is not finished: run the same command again to complete it.)"
        return text

    # ------------------------------------------------------------------ protocol
    def protocol(self) -> str:
        """How every loss was trained and chosen, in one phrase (the verdict ends with it)."""
        m = self.spec.model
        opt = "Adam" if m.optimizer == "adam" else f"SGD (momentum {m.momentum:g})"
        if getattr(m, "weight_decay", 0.0):
            opt = f"AdamW (weight decay {m.weight_decay:g})"
        stop = f"early stopping (patience {m.patience}, best epoch's weights)" if m.patience else "no early stopping"
        if m.protocol == "tuned":
            rates = m.learning_rates
            grid = f"its best of {len(rates)} learning rates ({', '.join(f'{r:g}' for r in rates)})" if len(rates) > 1 \
                else f"learning rate {rates[0]:g}"
            return (f"tuned: each loss trained with {opt} at {grid} and {stop}, at most {m.epochs} epochs, "
                    f"chosen on a {m.validation_split:.0%} validation share of each training fold"
                    + ("; then trained again on all training rows for the chosen epochs (refit)" if getattr(m, "refit", False) else "")
                    + "; the held-out rows only score it")
        return f"fixed: every loss trained with {opt} at learning rate {m.learning_rate:g} for {m.epochs} epochs, {stop}"

    def tuning(self):
        """What each trial chose: one row per trial and learning rate.

        Columns: ``loss``, ``trial`` (0-based, in (repeat, fold) order), ``repeat``, ``fold``,
        ``lr``, ``epoch`` (1-based, the epoch whose weights were kept), ``stopped`` (the last
        epoch trained), ``val_score`` (the study's metric on the validation rows; NaN with
        the fixed protocol, which chooses nothing) and ``chosen``; with a refit
        (``Model.refit``) also ``refit_epochs``, the epochs the chosen rate was trained again
        for on all training rows (on the chosen row; NaN on the others).
        """
        import pandas as pd

        m = self.spec.model
        order = {key: i for i, key in enumerate(sorted({(r.repeat, r.fold) for r in self.results}))}
        rows = []
        for r in self.results:
            if r.status == "failed":
                continue
            h, trial = r.history, order[(r.repeat, r.fold)]
            base = {"loss": r.loss, "trial": trial, "repeat": r.repeat, "fold": r.fold}
            if "tuning_lr" in h:
                for lr, epoch, stopped, score in zip(h["tuning_lr"], h["tuning_best_epoch"], h["tuning_stopped_epoch"],
                                                     h["tuning_val_score"]):
                    rows.append({**base, "lr": lr, "epoch": int(epoch), "stopped": int(stopped),
                                 "val_score": float(score) if score is not None else np.nan, "chosen": lr == h["lr"][0],
                                 "refit_epochs": h["refit_epochs"][0] if "refit_epochs" in h and lr == h["lr"][0] else np.nan})
            else:
                n = len(h.get("loss_train", ())) or m.epochs
                rows.append({**base, "lr": m.learning_rate, "epoch": int(h.get("best_epoch", [n])[0]),
                             "stopped": int(h.get("stopped_epoch", [n])[0]), "val_score": np.nan, "chosen": True})
        columns = ["loss", "trial", "repeat", "fold", "lr", "epoch", "stopped", "val_score", "chosen",
                   *(["refit_epochs"] if getattr(m, "refit", False) else [])]
        return pd.DataFrame(rows, columns=columns).sort_values(["loss", "trial", "lr"], kind="stable").reset_index(drop=True)

    def diagnoses(self) -> list[str]:
        """What the data and the training show, in sentences: first the data's warnings (a
        feature column that alone predicts the target almost exactly, ``data.target_leaks``:
        they start with ``"warning: "``), then a chosen learning rate on the grid's edge (the
        best rate may lie outside it), the last epoch as the best one (more epochs may help),
        trials whose score is far worse than the study's typical one (:func:`_extreme_trials`),
        and learning curves whose held-out loss rises while the training loss falls
        (overfitting), from the epoch it starts."""
        out = [n for n in self.data_notes() if n.startswith(WARNING)]
        m = self.spec.model
        labels = [c.label for c in self.spec.candidates]
        tuning = self.tuning()
        rates = sorted(m.learning_rates)
        if m.protocol == "tuned" and len(rates) > 1 and not tuning.empty:
            chosen = tuning[tuning.chosen]
            step = rates[1] / rates[0]
            for label in labels:
                lrs = chosen.loc[chosen.loss == label, "lr"].to_numpy()
                for edge, name, beyond in ((rates[-1], "largest", rates[-1] * step), (rates[0], "smallest", rates[0] / step)):
                    hits = int(np.isclose(lrs, edge).sum())
                    if lrs.size and hits > lrs.size / 2:
                        grid = sorted({*rates, beyond})
                        out.append(f"{label}: the chosen learning rate was the grid's {name} ({edge:g}) in {hits} of {lrs.size} "
                                   f"trials, so its best rate may lie beyond the grid: widen the learning-rate grid "
                                   f"(lr=[{', '.join(f'{r:g}' for r in grid)}]).")
        if not tuning.empty:
            chosen = tuning[tuning.chosen]
            for label in labels:
                epochs = chosen.loc[chosen.loss == label, "epoch"].to_numpy()
                hits = int((epochs >= m.epochs).sum())
                if m.patience and epochs.size and hits > epochs.size / 2:
                    out.append(f"{label}: the best epoch was the last one ({m.epochs}) in {hits} of {epochs.size} trials: "
                               f"it was still improving; more epochs may help (epochs={2 * m.epochs}).")
        if self.results:
            out += _extreme_trials(self.trials(), labels, self.spec.metric, get_metric(self.spec.metric).higher_is_better)
        for label in labels:
            sentence = _overfitting(label, [r.history for r in self.results if r.loss == label and r.status == "ok"], m)
            if sentence:
                out.append(sentence)
        return out

    # ------------------------------------------------------------------ export
    def export(self, path: str | Path, fmt: str = "json") -> Path:
        """Every trial, as JSON (with the spec and histories) or CSV (metrics only)."""
        path = Path(path)
        if fmt == "csv":
            self.trials().to_csv(path, index=False)
        elif fmt == "json":
            payload = {"spec": self.spec.to_dict(), "info": self.info, "protocol": self.protocol(),
                       "tuning": self.tuning().to_dict(orient="records"), "diagnoses": self.diagnoses(),
                       "trials": [dataclasses.asdict(r) for r in self.results]}
            path.write_text(json.dumps(payload, indent=1, default=float))
        else:
            raise ValueError(f"export: expected fmt to be 'json' or 'csv'. Received: fmt={fmt!r}.")
        return path


# A trial is extreme when its error (a positive metric where lower is better: rmse, mae,
# mape, log loss, ...) is more than this many times both the median of every finished trial
# (all losses) and its own loss's lower quartile: a blow-up by an order of magnitude, not a loss that
# is worse throughout (the table shows that) nor the spread of small test sets (statsmodels'
# longley, 4 test rows: 7x the median at worst).
EXTREME_RATIO = 10.0


def _extreme_trials(t, labels: list[str], metric: str, higher_is_better: bool) -> list[str]:
    """A sentence per loss with extreme trials: they, not its typical trial, make its mean and
    standard deviation (statsmodels' star98 with poisson: 9 of 30 trials at a held-out rmse of
    1e7 to 2.6e9, the others near 300). Only for positive error metrics (a score that can be
    negative, as r2, or where higher is better has no such scale)."""
    ok = t[t.status == "ok"]
    values = ok[metric].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if higher_is_better or values.size < 8 or not (values > 0).all():
        return []
    median = np.median(values)
    out = []
    for label in labels:
        x = ok.loc[ok.loss == label, metric].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        if not x.size:
            continue
        bad = (x > EXTREME_RATIO * median) & (x > EXTREME_RATIO * np.percentile(x, 25))
        if bad.any():
            worst = x[bad].max()
            out.append(f"{label}: {int(bad.sum())} of {x.size} trials scored a far worse {metric} than the study's typical "
                       f"trial (the worst {worst:.4g}, against a median of {median:.4g} over every loss's trials), so they, "
                       f"not its typical trial, make its mean and standard deviation (its median: {np.median(x):.4g}). "
                       "Usually a few held-out predictions far outside the targets' range cause this (an exponential "
                       "output extrapolates steeply); the table of trials shows them (study.trials(), or `losslab report FOLDER "
                       "--format csv`).")
    return out


def _first_error(results: list[TrialResult]) -> str:
    """The first failed trial's error, on one line and short: what the verdict quotes."""
    for r in results:
        if r.status == "failed":
            text = str((r.history.get("error") or ["unknown error"])[0]).strip().splitlines()
            line = text[0] if text else "unknown error"
            return line if len(line) <= 160 else line[:157] + "..."
    return ""


def _padded(runs: list[dict], key: str) -> np.ndarray:
    """Curves of unequal length (trials that stopped early) as one (trials, epochs) array, NaN-padded."""
    n = max(len(r[key]) for r in runs)
    out = np.full((len(runs), n), np.nan)
    for i, r in enumerate(runs):
        out[i, : len(r[key])] = r[key]
    return out


def _overfitting(label: str, runs: list[dict], model) -> str | None:
    """A sentence when the mean held-out loss curve rises while the mean training loss falls.

    The held-out curve is the test rows' when recorded, else the validation rows'. Only
    epochs that at least half of the trials reached count (later means are of a few
    survivors). A rise counts when it is more than 5% of the fall before it and more than
    1% of the minimum, and the training loss is lower at the end than at the minimum.
    """
    if not runs or "loss_train" not in runs[0]:
        return None
    held = "loss_test" if all("loss_test" in r for r in runs) else "loss_val" if all("loss_val" in r for r in runs) else None
    if held is None:
        return None
    train, test = _padded(runs, "loss_train"), _padded(runs, held)
    reached = np.isfinite(test).sum(axis=0) >= max(1, len(runs) / 2)
    last = int(np.flatnonzero(reached)[-1]) if reached.any() else -1
    if last < 3:
        return None
    with np.errstate(all="ignore"):
        mean_test = np.nanmean(test[:, : last + 1], axis=0)
        mean_train = np.nanmean(train[:, : last + 1], axis=0)
    if not np.isfinite(mean_test).all() or not np.isfinite(mean_train).all():
        return None
    best = int(np.argmin(mean_test))
    rise, fall = mean_test[last] - mean_test[best], mean_test[0] - mean_test[best]
    if best >= last - 1 or rise <= 0.05 * fall or rise <= 0.01 * abs(mean_test[best]) or mean_train[last] >= mean_train[best]:
        return None
    rows = "held-out" if held == "loss_test" else "validation"
    text = (f"{label}: its mean {rows} loss rises after epoch {best + 1} (from {mean_test[best]:.4g} to {mean_test[last]:.4g} "
            f"at epoch {last + 1}) while its training loss keeps falling: overfitting")
    if model.patience:
        return text + "; early stopping scores each trial with its best epoch's weights, not the last."
    return text + ": the scores are of the last epoch's model; early stopping (patience, or protocol='tuned') would stop it."



def no_result_reason(study: Study, *, cli: bool = False) -> str | None:
    """Why a finished study gave no result at all (every trial diverged or failed), with the fix
    that fits the cause; ``None`` when some trial has a score. ``cli`` names command-line flags
    (``--lr 0.01``) instead of Python arguments (``lr=0.01``)."""
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
