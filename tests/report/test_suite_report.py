"""Tests for losslab.report.suite_html: the suite's report reads in the same order as a study's,
and the critical-difference diagram (valid across data sets) lives here."""

from __future__ import annotations

import html
import re

from losslab.report.suite_html import write_suite_report


def test_suite_report_reads_verdict_diagram_table_then_details(suite_report):
    suite, path = suite_report
    text = path.read_text(encoding="utf-8")
    plain = text.replace("<wbr>", "")
    verdict = re.search(r"<p class='verdict'>([^<]*)</p>", text).group(1)
    assert "over 8 data sets" in html.unescape(verdict) and "Bayesian" not in verdict
    # The posteriors sit beneath the box.
    said = suite.across().verdict()
    if "; Bayesian" in said:
        assert f"<p class='muted'>Bayesian{html.escape(said.partition('; Bayesian')[2])[:25]}" in text.replace("<wbr>", "")
    order = [text.index(s) for s in ("class='verdict'", "Critical-difference diagram", "<h2>Results", "<h2>Each data set",
                                     "<details><summary>Which test decided", "<summary>Mean accuracy per data set")]
    assert order == sorted(order)
    alts = re.findall(r'<img alt="([^"]*)"', text)
    assert len(alts) == 1 and alts[0].startswith("Critical-difference diagram (Demšar 2006)") and "Nemenyi" in alts[0]
    assert "iris/report.html" in text
    # Long floats shortened everywhere, the verdict included.
    assert "0.8421052631578947" not in text
    assert "sparse_categorical_crossentropy(class_weight=(0.842, 1.23, 1.49))" in plain
    assert "average rank" in plain and "data sets where best" in plain


def test_two_losses_across_data_sets_have_no_diagram(tmp_path, three_losses, fake_suite_class):
    suite = fake_suite_class(["mse", "mae"], {"iris": three_losses[0].study}, shifts=(0.0, 0.02))
    assert "Wilcoxon" in suite.across().decided_by
    text = write_suite_report(suite, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<img" not in text and "Critical-difference" not in text
    assert "class='verdict'" in text and "<h2>Results" in text
