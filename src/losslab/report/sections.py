"""The report's optional sections: drawn when the study provides their data, left out when it does not.

- ``study.tuning()``: a DataFrame, one row per (loss, trial, learning rate) of the inner
  selection, columns ``loss``, ``trial``, ``lr``, ``epoch`` (the stopping epoch chosen on
  validation), ``val_score`` and ``chosen`` (bool: the setting the trial kept). It gives the
  "chosen settings" table, a plot of the validation score against the learning rate per loss,
  and a flag for a loss whose best rate sits on the edge of the grid.
- ``study.diagnoses()``: sentences about the learning curves (e.g. overfitting from epoch N).
- ``study.data_notes()``: sentences about the data (columns dropped or imputed, and why).

Each is read with ``getattr(study, name, None)``: a study of an older version, or one made
without these steps, still reports.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .curves import _pyplot, log_scale_if_wide
from .display import html_table, number, png

TUNING_COLUMNS = ("loss", "trial", "lr", "epoch", "val_score", "chosen")


def _call(study, name: str):
    """``study.name()`` when the study has it, else None."""
    method = getattr(study, name, None)
    return method() if callable(method) else None


def sentences(study, name: str) -> list[str]:
    """The list of sentences ``study.name()`` returns ([] when it has none)."""
    found = _call(study, name)
    return [str(s) for s in found] if found else []


def sentence_list(items: list[str]) -> str:
    """Sentences as an HTML list (empty string for none)."""
    return "<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in items) + "</ul>" if items else ""


def tuning_frame(study) -> pd.DataFrame | None:
    """``study.tuning()`` checked to have the expected columns; None when the study has no tuning."""
    frame = _call(study, "tuning")
    if frame is None or not isinstance(frame, pd.DataFrame) or frame.empty:
        return None
    missing = [c for c in TUNING_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"study.tuning(): expected the columns {', '.join(TUNING_COLUMNS)}. "
                         f"Received: a frame without {', '.join(missing)}.")
    return frame


def chosen_settings(frame: pd.DataFrame) -> pd.DataFrame:
    """Per loss: the learning rates chosen (most often first, with counts) and the stopping epochs' median and range."""
    chosen = frame[frame["chosen"].astype(bool)]
    rows = {}
    for loss, sub in chosen.groupby("loss", sort=False):
        counts = sub["lr"].value_counts()
        rates = ", ".join(f"{number(lr, 3)} ({n}x)" for lr, n in counts.items())
        epochs = sub["epoch"].to_numpy(dtype=float)
        stop = f"{number(np.median(epochs), 3)} ({number(epochs.min())}-{number(epochs.max())})" if epochs.size else ""
        rows[loss] = {"learning rate chosen": rates, "stopping epoch, median (range)": stop}
    return pd.DataFrame.from_dict(rows, orient="index")


def edge_flags(frame: pd.DataFrame, higher_is_better: bool) -> dict[str, str]:
    """Losses whose best learning rate (by mean validation score over trials) is the grid's smallest or largest."""
    flags = {}
    for loss, sub in frame.groupby("loss", sort=False):
        means = sub.groupby("lr")["val_score"].mean().dropna()
        if len(means) < 2:
            continue  # one rate (or no scores): no grid to widen
        best = means.idxmax() if higher_is_better else means.idxmin()
        if best == means.index.max():
            flags[loss] = f"its best rate {number(best, 3)} is the grid's largest: widen the learning-rate grid upwards"
        elif best == means.index.min():
            flags[loss] = f"its best rate {number(best, 3)} is the grid's smallest: widen the learning-rate grid downwards"
    return flags


def settings_by_loss(frame: pd.DataFrame | None) -> dict[str, str]:
    """One short phrase per loss for the compact table: the rate chosen most often and the median epoch."""
    if frame is None or not _chose_something(frame):
        return {}
    out = {}
    for loss, row in chosen_settings(frame).iterrows():
        out[str(loss)] = f"lr {row['learning rate chosen'].split(' (')[0]}, epoch {row['stopping epoch, median (range)'].split(' (')[0]}"
    return out


def tuning_figure(frame: pd.DataFrame, *, metric: str, higher_is_better: bool, names: Mapping[str, str]) -> tuple[str, bytes]:
    """Validation score against learning rate, one line per loss (mean over trials, band: min-max)."""
    from .display import wrap_name

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.0, 4.2), layout="constrained")
    for loss, sub in frame.groupby("loss", sort=False):
        stats = sub.groupby("lr")["val_score"].agg(["mean", "min", "max"]).sort_index()
        line = ax.plot(stats.index, stats["mean"], marker="o", lw=1.6, label=wrap_name(names.get(str(loss), str(loss)), 30))[0]
        if len(sub) > len(stats):
            ax.fill_between(stats.index, stats["min"], stats["max"], color=line.get_color(), alpha=0.15, lw=0)
    if frame["lr"].min() > 0:
        ax.set_xscale("log")
    log_scale_if_wide(ax, frame["val_score"])
    ax.set_xlabel("learning rate")
    ax.set_ylabel(f"validation {metric} ({'higher' if higher_is_better else 'lower'} is better)")
    ax.set_title("Validation score against learning rate (mean over trials; band: min-max)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    caption = (f"Validation {metric} against learning rate per loss, from the selection inside each trial "
               "(the held-out rows take no part); a loss whose best rate lies on the grid's edge may do better beyond it.")
    return caption, png(fig)


def _chose_something(frame: pd.DataFrame) -> bool:
    """Whether the trials chose anything: among learning rates, or a stopping epoch (early stopping)."""
    return frame["lr"].nunique() > 1 or frame["epoch"].nunique() > 1


def _grid_scored(frame: pd.DataFrame) -> bool:
    """Whether there is a grid of rates with validation scores to plot (the fixed protocol has neither)."""
    return frame["lr"].nunique() > 1 and bool(np.isfinite(frame["val_score"].to_numpy(dtype=float)).any())


def tuning_html(study, *, metric: str, higher_is_better: bool, names: Mapping[str, str],
                said: Sequence[str] = ()) -> tuple[str, list[tuple[str, bytes]]]:
    """The chosen-settings table and the edge flags (HTML), and the tuning figure; empty when nothing was chosen.

    ``said``: sentences already shown (the study's diagnoses); a loss whose grid edge one of
    them already names is not flagged twice.
    """
    frame = tuning_frame(study)
    if frame is None or not _chose_something(frame):
        return "", []
    table = chosen_settings(frame)
    rows = [[names.get(str(loss), str(loss)), *row.tolist()] for loss, row in table.iterrows()]
    parts = ["<h3>Chosen settings</h3><p>Per loss, the learning rate and stopping epoch each trial chose on its "
             "validation share of the training rows:</p>",
             html_table(["loss", *table.columns], rows)]
    flags = {loss: text for loss, text in edge_flags(frame, higher_is_better).items()
             if not any(names.get(str(loss), str(loss)) in line and "learning-rate grid" in line for line in said)}
    if flags:
        parts.append("<ul>" + "".join(f"<li class='flag'>{html.escape(names.get(str(loss), str(loss)))}: {html.escape(text)}.</li>"
                                      for loss, text in flags.items()) + "</ul>")
    figures = [tuning_figure(frame, metric=metric, higher_is_better=higher_is_better, names=names)] if _grid_scored(frame) else []
    return "".join(parts), figures
