"""The report of a suite: statistics across data sets, and each data set's verdict.

The same reading order as a study's report: the verdict across data sets first; then the
figure of the deciding test (the critical-difference diagram, when Nemenyi's test decides:
the data sets are independent, so Demšar's procedure holds here, unlike within one data
set); a compact table of average ranks; each data set's own verdict with a link to its
report; then the details folded below (which test and why, every pair, the mean per data set).
"""

from __future__ import annotations

import html
from pathlib import Path

from .cd_diagram import plot_critical_difference
from .display import CSS, Report, _Figures, display_names, frame_table, html_table, pair_rows, png, readable

_PAIRS = (("loss_a", "loss a"), ("loss_b", "loss b"), ("test", "test"), ("statistic", "statistic"),
          ("p_adjusted", "p (adjusted)"), ("significant", "significant"), ("wins", "wins"), ("ties", "ties"),
          ("losses", "losses"), ("p_a_better", "P(a better)"), ("p_rope", "P(equivalent)"), ("p_b_better", "P(b better)"))


def _pairs(across, names) -> str:
    cols = [(c, h) for c, h in _PAIRS if c in across.pairwise.columns]
    return html_table([h for _, h in cols], pair_rows(across.pairwise, [c for c, _ in cols], names), names=2)


def write_suite_report(suite, path: str | Path) -> Path:
    """Write the suite's report to ``path`` (each data set's report lies in its folder)."""
    return build_suite_report(suite).write(path)


def build_suite_report(suite) -> Report:
    """The suite's report: its HTML and its figures (see `losslab.report.html.Report`)."""
    figures = _Figures()
    across = suite.across()
    metric = suite.metric
    names = display_names([str(loss) for loss in across.summary.index] + [str(c) for c in across.values.columns])
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
             f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
             f"<title>losslab suite: {html.escape(metric)}</title><style>{CSS}</style></head><body>"]
    parts.append(f"<h1>Which loss, in general? A losslab suite</h1><p class='muted'>{len(suite.studies)} data sets &middot; "
                 f"{len(suite.losses)} losses &middot; held-out {html.escape(metric)}</p>")
    # The decision in the box; the Bayesian posteriors the statistics add to the sentence beneath it.
    head, found, tail = readable(across.verdict(), names).partition("; Bayesian")
    parts.append(f"<p class='verdict'>{html.escape(head)}</p>")
    if found:
        parts.append(f"<p class='muted'>{html.escape('Bayesian' + tail)}</p>")

    if "Nemenyi" in str(getattr(across, "decided_by", "")):
        short_ranks = {names.get(str(k), str(k)): v for k, v in across.avg_ranks.items()}
        fig = plot_critical_difference(short_ranks, across.critical_difference,
                                       title=f"Average rank on {metric} over {across.n_datasets} data sets")
        caption = (f"Critical-difference diagram (Demšar 2006): each loss at its average rank over the {across.n_datasets} "
                   f"data sets (1 = best); losses joined by a bar are not significantly different by Nemenyi's test "
                   f"(CD = {across.critical_difference:.2f}).")
        parts.append("<h2>Average ranks across data sets</h2><div class='grid'>" + figures.add(caption, png(fig), wide=True) + "</div>")

    parts.append("<h2>Results</h2>")
    summary = across.summary.rename(columns={"avg_rank": "average rank", "mean": f"mean {metric}",
                                             "median": f"median {metric}", "first": "data sets where best"})
    parts.append(frame_table(summary, names))
    parts.append("<h2>Each data set</h2><ul>")
    for name, study in suite.studies.items():
        link = html.escape(f"{name}/report.html")
        study_names = display_names([r.loss for r in study.results])
        parts.append(f"<li><b><a href='{link}'>{html.escape(name)}</a></b> ({html.escape(str(study.info.get('problem', '')))}): "
                     f"{html.escape(readable(study.verdict(), study_names))}</li>")
    parts.append("</ul>")

    parts.append("<details><summary>Which test decided, and every pair</summary>")
    parts.append(f"<p><b>Which test and why.</b> {html.escape(readable(across.reason, names))}</p>")
    parts.append("<p>Every pair (wins/ties/losses count data sets; P(a better), P(equivalent), P(b better): the Bayesian "
                 f"signed-rank posterior, rope {across.rope:g} {html.escape(metric)}):</p>" + _pairs(across, names))
    parts.append("</details>")
    parts.append(f"<details><summary>Mean {html.escape(metric)} per data set</summary>"
                 "<p>Each data set's own trials averaged; one row per data set:</p>")
    values = across.values.copy()
    values.columns = [names.get(str(c), str(c)) for c in values.columns]
    parts.append(frame_table(values) + "</details>")
    parts.append("<p class='muted'>Made by losslab.</p></body></html>")
    return Report("".join(parts), tuple(figures))
