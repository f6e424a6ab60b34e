"""The study report: one self-contained HTML file (figures embedded as PNG, no network).

It reads like the results section of a paper: the verdict in a sentence or two; the forest
plot (each loss's difference from the best, with the interval of the test that decided);
the learning curves (and what they show, when the study diagnoses them); a compact table
(loss, trials, metric mean with its interval, chosen settings); then the details folded
below (which test and why, the pairwise table, the design, the data, the advisor's advice).
Within one data set there is no critical-difference diagram: Nemenyi's test assumes
independent trials, which resampled trials are not (see `losslab.report.suite_html`).
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
from scipy import stats as sps

from . import sections
from .curves import learning_curves, metric_boxes
from .display import CSS, Report, _Figures, display_names, frame_table, heading, html_table, number, pair_rows, png, readable, wrap_name
from .forest import forest_figures
from ..vocab import WARNING

_PAIRWISE = ("loss_a", "loss_b", "test", "statistic", "p_adjusted", "mean_diff", "ci_low", "ci_high", "cohen_d", "significant", "note")


def _table(df, digits: int = 4) -> str:
    """A DataFrame as a wrapping table (no sideways scrolling), loss names shortened."""
    names = display_names([str(i) for i in df.index] + [str(v) for c in df.columns for v in df[c] if isinstance(v, str)])
    return frame_table(df, names, digits)


def _labels(study) -> list[str]:
    """The losses as the trials name them, in the order of the candidates.

    A trial's stored label is what the statistics use; a candidate whose label reads
    differently from every stored one (weights saved as a tuple, looked up as a list) is
    represented by the stored label, so no loss shows "0 trials" beside a verdict that used them.
    """
    stored = list(dict.fromkeys(r.loss for r in study.results))
    candidates = [c.label for c in study.spec.candidates]
    ordered = [label for label in candidates if label in stored]
    ordered += [label for label in stored if label not in ordered]
    if len(ordered) < len(candidates):  # candidates not trained yet
        ordered += [label for label in candidates if label not in ordered][: len(candidates) - len(ordered)]
    return ordered


def _curves(study, label: str) -> dict[str, np.ndarray] | None:
    runs = [r.history for r in study.results if r.loss == label and r.status == "ok"]
    if not runs:
        return None
    held = "loss_test" if "loss_test" in runs[0] else "loss_val"
    metric_key = next((k for k in runs[0] if k.startswith("accuracy_")), None)
    # Early-stopped runs end at different epochs: draw the epochs every run reached.
    length = min(len(r["loss_train"]) for r in runs)
    cut = lambda key: np.array([r[key][:length] for r in runs], dtype=float)  # noqa: E731
    out = {"loss_train": cut("loss_train"), "loss_test": cut(held)}
    if metric_key:
        base = metric_key.rsplit("_", 1)[0]
        out["metric_train"] = cut(base + "_train")
        out["metric_test"] = cut(base + ("_test" if held == "loss_test" else "_val"))
    else:  # regression: the loss again in the bottom panel would repeat itself; show its log
        out["metric_train"] = np.log10(np.maximum(out["loss_train"], 1e-12))
        out["metric_test"] = np.log10(np.maximum(out["loss_test"], 1e-12))
    return out


def _overlap_ratio(spec) -> float:
    """n_test / n_train of one trial, for the Nadeau-Bengio correction of each loss's interval.

    The validation share that early stopping takes from the training rows shrinks n_train.
    """
    r, m = spec.resampling, spec.model
    ratio = {"holdout": r.test_size / (1.0 - r.test_size), "kfold": 1.0 / (r.k - 1) if r.k else 0.0,
             "repeated_kfold": 1.0 / (r.k - 1) if r.k else 0.0, "5x2": 1.0}.get(r.method, 0.0)
    if m.patience and m.validation_split:
        ratio /= 1.0 - m.validation_split
    return ratio


def _mean_interval(values: np.ndarray, ratio: float, alpha: float) -> float:
    """Half-width of the corrected t interval of a mean over overlapping trials (NaN under 2 trials)."""
    n = values.size
    if n < 2:
        return math.nan
    return float(sps.t.ppf(1 - alpha / 2, n - 1) * values.std(ddof=1) * math.sqrt(1.0 / n + ratio))


def _compact(study, labels, names, settings: dict[str, str], alpha: float) -> str:
    """Loss, trials, the metric's mean with its interval, the other metrics' means, chosen settings."""
    spec, metric = study.spec, study.spec.metric
    t = study.trials()
    ok = t[t.status == "ok"]
    ratio = _overlap_ratio(spec)
    per_target = [c for c in study.metric_columns if c.startswith(f"{metric}[")]
    others = [c for c in spec.metrics if c != metric]
    diverged = (t.status != "ok").any()
    header = ["loss", "trials", f"{metric}, mean ± {1 - alpha:.0%} interval", *map(heading, per_target), *others]
    if diverged:
        header.insert(2, "diverged or failed")
    if settings:
        header.append("chosen settings")
    rows = []
    for label in labels:
        sub = ok[ok.loss == label]
        v = sub[metric].to_numpy(dtype=float)
        half = _mean_interval(v, ratio, alpha)
        row = [names[label], len(sub), f"{number(v.mean())} ± {number(half, 2)}" if v.size > 1 else number(v.mean() if v.size else math.nan)]
        if diverged:
            row.insert(2, int((t[t.loss == label].status != "ok").sum()))
        row += [number(sub[c].astype(float).mean()) for c in per_target]
        row += [number(sub[c].astype(float).mean()) for c in others]
        if settings:
            row.append(settings.get(label, ""))
        rows.append(row)
    return html_table(header, rows)


def _pairwise(comparison, names) -> str:
    p = comparison.pairwise
    # A column of notes only when some pair has one (why it could not be tested).
    cols = [c for c in _PAIRWISE if c in p.columns and (c != "note" or p[c].fillna("").astype(str).str.len().gt(0).any())]
    header = [{"loss_a": "loss a", "loss_b": "loss b", "p_adjusted": "p (adjusted)", "mean_diff": "mean a - b",
               "ci_low": "interval low", "ci_high": "interval high", "cohen_d": "Cohen's d"}.get(c, c) for c in cols]
    return html_table(header, pair_rows(p, cols, names), names=2)


def _bayes(comparison, names) -> str:
    """The Bayesian correlated t-test per pair (Corani & Benavoli 2015), when the comparison has it."""
    bayes = getattr(comparison, "bayes", None)
    if bayes is None or getattr(bayes, "empty", True):
        return ""
    rows = [[names.get(str(r["loss_a"]), str(r["loss_a"])), names.get(str(r["loss_b"]), str(r["loss_b"])),
             number(r["p_left"], 3), number(r["p_rope"], 3), number(r["p_right"], 3), number(r["rope"], 3)]
            for _, r in bayes.iterrows()]
    return ("<p>The Bayesian correlated t-test (Corani &amp; Benavoli 2015: the same correction for overlapping trials, "
            "a posterior on the mean difference) with a region of practical equivalence (rope):</p>"
            + html_table(["loss a", "loss b", "P(a better)", "P(equivalent)", "P(b better)", "rope"], rows, names=2))


def _design(spec) -> str:
    r, m = spec.resampling, spec.model
    design = {"holdout": f"{r.repeats} random hold-out splits ({r.test_size:g} held out)",
              "kfold": f"{r.k}-fold cross-validation", "repeated_kfold": f"{r.repeats} x {r.k}-fold cross-validation",
              "5x2": "5 x 2-fold cross-validation (Dietterich)"}[r.method]
    stopping = f", early stopping (patience {m.patience}, {m.validation_split:g} validation)" if m.patience else ""
    momentum = " momentum " + format(m.momentum, "g") if m.optimizer == "sgd" else ""
    return (f"<p>{len(spec.candidates)} candidate losses x {design} = {r.n_trials} paired trials per loss; "
            f"MLP {'-'.join(map(str, m.hidden))} ({m.hidden_activation}), {m.optimizer} lr {m.learning_rate:g}{momentum}, "
            f"batch {m.batch_size}, {m.epochs} epochs{stopping}; seed {spec.seed}. Every loss sees the same splits and seeds.</p>")


def _learning_curves(study, labels, names) -> list[tuple[str, bytes]]:
    figures = []
    history = study.results[0].history if study.results else {}
    metric_label = "accuracy" if any(k.startswith("accuracy") for k in history) else "log10 loss"
    held = "validation" if study.spec.model.patience else "test"
    for label in labels:
        curves = _curves(study, label)
        if curves is None:
            continue
        name = names[label]
        fig = learning_curves(curves, title=f"{wrap_name(name, 48)}: {curves['loss_train'].shape[0]} trials",
                              loss_label="loss", metric_label=metric_label, held_label=held)
        figures.append((f"{name}: train (blue) and {held} (orange) per epoch, mean and 10th-90th percentile band", png(fig)))
    return figures


_BAYES = "; Bayesian correlated t-test: "


def _split_verdict(text: str) -> tuple[str, list[str]]:
    """The verdict's decision, and its Bayesian posteriors one pair per item.

    The statistics say both in one sentence; the report puts the decision in the box and
    lists the posteriors beneath it, so the box stays one or two sentences.
    """
    head, found, tail = text.partition(_BAYES)
    if not found:
        return text, []
    # What follows the posteriors (the protocol that produced the verdict) belongs to the verdict.
    tail, protocol, rest = tail.partition(". Protocol: ")
    if protocol:
        head = f"{head}. Protocol: {rest}"
    return head, [item if i == 0 else "P(" + item for i, item in enumerate(tail.split("; P("))]


def write_report(study, path: str | Path) -> Path:
    """Write the report of ``study`` (a :class:`losslab.experiment.results.Study`) to ``path``."""
    return build_report(study).write(path)


def build_report(study) -> Report:
    """The report of ``study``: its HTML and its figures (see `Report`)."""
    figures = _Figures()
    spec, info = study.spec, study.info
    metric = spec.metric
    labels = _labels(study)
    comparison = None
    problem_note = ""
    if len(spec.candidates) > 1:
        try:
            comparison = study.comparison()
        except ValueError as err:
            problem_note = f"<p class='muted'>{html.escape(str(err))}</p>"
    pair_names = [str(v) for v in comparison.pairwise[["loss_a", "loss_b"]].to_numpy().ravel()] if comparison is not None else []
    # Stored labels, the spec's own (they can differ in how they print weights) and the pairs': one short name each.
    names = display_names(labels + [c.label for c in spec.candidates] + pair_names)
    alpha = comparison.alpha if comparison is not None else 0.05

    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
             f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
             f"<title>losslab study: {html.escape(metric)}</title><style>{CSS}</style></head><body>"]
    parts.append(f"<h1>Which loss? A losslab study</h1><p class='muted'>{html.escape(str(info.get('source', spec.data)))}"
                 f" &middot; {info.get('rows', '?')} rows, {info.get('features', '?')} features &middot; target "
                 f"{html.escape(', '.join(spec.target))} &middot; held-out {html.escape(metric)}</p>")

    # The verdict first: it is what the reader came for; then what makes it doubtful (a column
    # that gives the target away: the diagnoses that are warnings).
    headline, posteriors = _split_verdict(readable(study.verdict(), names))
    parts.append(f"<p class='verdict'>{html.escape(headline)}</p>{problem_note}")
    said = [readable(s, names) for s in sections.sentences(study, "diagnoses")]
    parts += [f"<p class='warning'><b>Warning:</b> {html.escape(s.removeprefix(WARNING))}</p>"
              for s in said if s.startswith(WARNING)]
    if posteriors:
        parts.append("<p class='muted'>Bayesian correlated t-test (Corani &amp; Benavoli 2015):</p>"
                     + sections.sentence_list(posteriors))

    if comparison is not None:
        parts.append("<h2>Difference from the best loss</h2><div class='grid'>")
        parts += [figures.add(caption, data, wide=True) for caption, data in forest_figures(comparison, names=names)]
        parts.append("</div>")

    curves = _learning_curves(study, labels, names)
    if curves:
        parts.append("<h2>Learning curves</h2><div class='grid'>" + "".join(figures.add(c, d) for c, d in curves) + "</div>")
    diagnoses = [s for s in said if not s.startswith(WARNING)]
    parts.append(sections.sentence_list(diagnoses))

    higher = bool(comparison.higher_is_better) if comparison is not None else True
    tuning_table, tuning_figures = sections.tuning_html(study, metric=metric, higher_is_better=higher, names=names, said=diagnoses)
    settings = sections.settings_by_loss(sections.tuning_frame(study)) if tuning_table else {}
    parts.append("<h2>Results</h2>")
    parts.append(_compact(study, labels, names, settings, alpha))
    parts.append(f"<p class='muted'>The interval is the {1 - alpha:.0%} t interval of each loss's mean over its trials, widened "
                 "for training sets that overlap between trials (Nadeau &amp; Bengio); the forest plot above carries the "
                 "comparison between losses.</p>")
    if tuning_table:
        parts.append(tuning_table + "<div class='grid'>" + "".join(figures.add(c, d) for c, d in tuning_figures) + "</div>")

    # The details, folded: there for whoever checks, out of the way of whoever reads.
    if comparison is not None:
        parts.append("<details><summary>Which test decided, and every pair</summary>")
        parts.append(f"<p><b>Which test and why.</b> {html.escape(readable(comparison.reason, names))}</p>")
        parts.append(f"<p>Every pair (mean a - b in {html.escape(metric)}; interval at {1 - alpha:.0%}; p adjusted for "
                     "the number of pairs):</p>" + _pairwise(comparison, names))
        parts.append(_bayes(comparison, names))
        t = study.trials()
        ok = t[t.status == "ok"]
        values = {names[label]: ok.loc[ok.loss == label, metric].to_numpy(dtype=float) for label in labels}
        # Each name on lines of its own width, and room for every box: no tick label runs into the next.
        boxes = metric_boxes([("held-out " + metric, metric, {wrap_name(k, 16): v for k, v in values.items()})],
                             title=f"{metric} of every trial, per loss", panel_width=max(4.2, 1.5 * len(values)),
                             break_underscores=False)
        parts.append("<div class='grid'>" + figures.add(f"{metric} per trial and loss (box: quartiles; dots: trials); "
                                                        "trials share training rows, so they are not independent", png(boxes)) + "</div>")
        parts.append("</details>")
    parts.append("<details><summary>Design</summary>" + _design(spec) + "</details>")
    parts.append("<details><summary>Data and problem</summary>")
    parts.append(f"<p>{html.escape(str(info.get('problem', '')))}</p>")
    notes = sections.sentences(study, "data_notes") + [str(n) for n in info.get("notes") or []]
    parts.append(sections.sentence_list([readable(n, names) for n in notes]))
    extra = [c for c in study.metric_columns if c != metric]
    if extra:
        t = study.trials()
        means = t[t.status == "ok"].groupby("loss")[study.metric_columns].mean().reindex(labels)
        means.index = [names[label] for label in labels]
        means.index.name = "loss"
        parts.append("<p>Every metric, mean over the trials of each loss:</p>" + _table(means))
    if info.get("recommendation"):
        parts.append("<p><b>The advisor's recommendation</b> (before anything trained):</p><pre>"
                     + html.escape("\n".join(info["recommendation"])) + "</pre>")
    parts.append("</details>")
    # Both spellings on purpose: the report is read by Python and command-line users alike.
    parts.append(f"<p class='muted'>Made by losslab. {len(study.results)} trials stored in "
                 f"{html.escape(str(study.folder or ''))}/study.sqlite; export them with "
                 "<code>load_study(folder).export(fmt='json')</code> (or 'csv'), or "
                 "<code>losslab report FOLDER --format json|csv</code>.</p></body></html>")
    return Report("".join(parts), tuple(figures))
