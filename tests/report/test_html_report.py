"""Tests for losslab.report.html: one self-contained file that reads like a results section,
read as text and rendered by a real browser (headless Chromium, Debian's ``chromium`` package)."""

from __future__ import annotations

import base64
import html
import io
import re
import warnings
from html.parser import HTMLParser

import pandas as pd
import pytest
from PIL import Image

import losslab
from losslab.experiment.spec import Candidate
from losslab.report.display import display_names, readable
from losslab.report.html import write_report


class _Page(HTMLParser):
    """The parts of a page the tests look at: images, the verdict's text, external references."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str]] = []
        self.references: list[str] = []
        self.verdict = ""
        self._in_verdict = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.images.append(a)
        for key in ("src", "href"):
            if a.get(key) and not a[key].startswith("data:"):
                self.references.append(f"<{tag} {key}={a[key][:60]}>")
        if tag == "p" and "verdict" in (a.get("class") or "").split():
            self._in_verdict = True

    def handle_endtag(self, tag):
        if tag == "p":
            self._in_verdict = False

    def handle_data(self, data):
        if self._in_verdict:
            self.verdict += data


def parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def png_of(img: dict[str, str]) -> Image.Image:
    prefix = "data:image/png;base64,"
    assert img["src"].startswith(prefix)
    return Image.open(io.BytesIO(base64.b64decode(img["src"][len(prefix):], validate=True)))


WEIGHTED = Candidate("sparse_categorical_crossentropy", (("class_weight", (0.8421052631578947, 1.2345678901234567, 1.4871794871794872)),))


def shown_verdict(study) -> str:
    """The verdict as the report prints it: loss labels by their display names."""
    labels = [r.loss for r in study.results]
    pairs = study.comparison().pairwise[["loss_a", "loss_b"]].to_numpy().ravel().tolist()
    from losslab.report.html import _split_verdict

    return _split_verdict(readable(study.verdict(), display_names(labels + [str(p) for p in pairs])))[0]


# ---------------------------------------------------------------------- the file
def test_report_is_self_contained(three_losses, two_losses):
    for study, path in (three_losses, two_losses):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("<!doctype html>") and text.rstrip().endswith("</html>")
        assert "http://" not in text and "https://" not in text
        assert not re.search(r"<(script|link|iframe|object|embed)\b", text, re.I)
        assert "url(" not in text and "@import" not in text
        page = parse(text)
        assert page.references == []
        for img in page.images:
            image = png_of(img)
            image.load()  # decodes: a real PNG, not just a prefix
            assert image.width >= 300 and image.height >= 200
            assert img.get("alt", "").strip()


def test_report_reads_like_a_results_section(three_losses):
    study, path = three_losses
    text = path.read_text(encoding="utf-8")
    page = parse(text)
    assert html.unescape(page.verdict) == shown_verdict(study)
    alts = [img["alt"] for img in page.images]
    labels = list(dict.fromkeys(r.loss for r in study.results))
    names = display_names(labels)
    # The forest plot, one learning-curve figure per loss, and (folded) every trial's score.
    assert len(alts) == 2 + len(labels)
    assert alts[0].startswith("Forest plot: each loss's mean accuracy minus that of")
    assert sorted(a.split(": train")[0] for a in alts[1:-1]) == sorted(names.values())
    assert alts[-1].startswith("accuracy per trial and loss")
    # Verdict, forest plot, learning curves, compact table, then the folded details.
    order = [text.index(s) for s in ("class='verdict'", "Forest plot", "<h2>Learning curves", "<h2>Results",
                                     "<details><summary>Which test decided", "Which test and why.", "<summary>Design",
                                     "<summary>Data and problem")]
    assert order == sorted(order)
    assert text.index("<details>") > text.index("<h2>Results")
    # Within one data set: no critical-difference diagram, no Nemenyi picture.
    assert "critical-difference" not in text.lower() and "CD =" not in text
    assert "3 candidate losses x 6 random hold-out splits (0.25 held out) = 6 paired trials per loss" in text


def test_class_weighted_names_are_short_and_counted(three_losses):
    study, path = three_losses
    text = path.read_text(encoding="utf-8").replace("<wbr>", "")  # the table's break opportunities
    visible = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)
    # No number anywhere with more than 4 significant decimals (the weights were 16-digit floats).
    assert not re.findall(r"(?<![\w.])\d+\.\d{5,}", visible)
    labels = list(dict.fromkeys(r.loss for r in study.results))
    weighted = next(label for label in labels if "class_weight" in label)
    short = display_names(labels)[weighted]
    assert re.fullmatch(r"sparse_categorical_crossentropy\(class_weight=[([]0\.842\d?, 1\.23\d?, 1\.4[89]\d?[)\]]\)", short)
    assert short in text
    # The compact table counts the weighted loss's trials (not "0 trials, nan").
    row = re.search(rf"<tr><td class='name' data-label='loss'>{re.escape(html.escape(short))}</td>"
                    r"<td class='num' data-label='trials'>(\d+)</td><td[^>]*>([^<]*)</td>", text)
    assert row and row.group(1) == "6" and " ± " in row.group(2)


def test_drawing_the_report_warns_nothing(three_losses, multi_output, tmp_path):
    for study, _ in (three_losses, multi_output):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            write_report(study.study, tmp_path / "again.html")
        assert [str(w.message) for w in caught] == []


def test_two_losses_say_validation(two_losses):
    study, path = two_losses
    assert path.name == "diabetes.html" and path.exists()
    text = path.read_text(encoding="utf-8")
    page = parse(text)
    alts = [img["alt"] for img in page.images]
    assert len(alts) == 4 and alts[0].startswith("Forest plot: each loss's mean rmse")
    assert all("(orange)" in a and "validation" in a for a in alts[1:3])
    assert "early stopping (patience 2" in text
    head, _, tail = study.verdict().partition("; Bayesian")
    assert page.verdict == head + ". Protocol: " + tail.partition(". Protocol: ")[2] and "rmse" in page.verdict


def test_multi_output_columns_are_headed_per_target(multi_output):
    study, path = multi_output
    text = path.read_text(encoding="utf-8").replace("<wbr>", "")
    for target in ("Weight", "Waist", "Pulse"):
        assert f"<th scope='col' class=num>rmse ({target})</th>" in text
        assert f"<th scope='col' class=num>mae ({target})</th>" in text  # in the folded table of every metric
    assert "rmse[" not in text and "mae[" not in text
    compact = text[text.index("<h2>Results"):text.index("</table>", text.index("<h2>Results"))]
    headings = re.findall(r"<th scope='col'[^>]*>([^<]*)</th>", compact)
    assert headings == ["loss", "trials", "rmse, mean ± 95% interval", "rmse (Pulse)", "rmse (Waist)", "rmse (Weight)", "mae"]


def test_optional_sections_render_when_the_study_has_them(with_extras, three_losses):
    extras, labels, path = with_extras
    text = path.read_text(encoding="utf-8").replace("<wbr>", "")
    names = display_names(labels)
    assert "<h3>Chosen settings</h3>" in text and "<th scope='col'>chosen settings</th>" in text
    assert "lr 0.1, epoch 11" in text and "lr 0.01, epoch 11" in text
    flags = [html.unescape(f) for f in re.findall(r"<li class='flag'>([^<]*)</li>", text)]
    assert flags == [f"{names[labels[0]]}: its best rate 0.1 is the grid's largest: widen the learning-rate grid upwards."]
    alts = [img["alt"] for img in parse(text).images]
    assert any(a.startswith("Validation accuracy against learning rate per loss") for a in alts)
    # Diagnoses under the learning curves; data notes in the data section.
    diagnosis = text.index("CrossEntropyLoss overfits from epoch 3")
    assert text.index("<h2>Learning curves") < diagnosis < text.index("<h2>Results")
    # A sentence naming a loss by its spec label shows the name the tables use.
    shown = display_names(labels + [WEIGHTED.label])[WEIGHTED.label]
    assert f"<li>{html.escape(shown)}: the best epoch was the last one" in text
    assert len(shown) <= len("sparse_categorical_crossentropy(class_weight=(0.8421, 1.235, 1.487))")
    assert text.index("<summary>Data and problem") < text.index("dropped `name`: unique per row")
    assert "imputed 4 missing `age` values" in text
    # The plain study has none of them.
    plain = three_losses[1].read_text(encoding="utf-8")
    assert "Chosen settings" not in plain and "chosen settings" not in plain and "class='flag'" not in plain


def test_a_study_with_bad_tuning_columns_is_refused(three_losses, extras_class, tmp_path):
    class Broken(extras_class):
        def tuning(self):
            return pd.DataFrame({"loss": ["a"], "lr": [0.1]})

    with pytest.raises(ValueError, match=r"study.tuning\(\): expected the columns .* Received: a frame without trial, epoch"):
        write_report(Broken(three_losses[0].study, ["a"]), tmp_path / "r.html")


def test_report_escapes_what_it_shows(tmp_path, three_losses):
    study, _ = three_losses
    study.info["source"] = "<script>alert(1)</script>"
    try:
        text = write_report(study.study, tmp_path / "r.html").read_text(encoding="utf-8")
    finally:
        study.info["source"] = "scikit-learn load_iris"
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_each_losss_interval_is_the_corrected_t_interval_of_its_mean():
    import numpy as np
    from scipy import stats as sps

    from losslab.report.html import _mean_interval

    values = np.array([0.81, 0.84, 0.79, 0.86, 0.83, 0.80])
    # Without overlap: scipy's t interval of the mean.
    low, high = sps.t.interval(0.95, values.size - 1, loc=values.mean(), scale=sps.sem(values))
    assert _mean_interval(values, 0.0, 0.05) == pytest.approx((high - low) / 2)
    # Nadeau-Bengio: the variance of the mean grows from s^2/J to s^2 (1/J + n_test/n_train).
    ratio = 0.25 / 0.75
    assert _mean_interval(values, ratio, 0.05) == pytest.approx((high - low) / 2 * np.sqrt((1 / 6 + ratio) * 6))
    assert np.isnan(_mean_interval(values[:1], ratio, 0.05))


def test_bayesian_table_and_pair_notes_render_when_the_comparison_has_them(three_losses, tmp_path):
    study = three_losses[0].study
    real = study.comparison()
    a, b = real.pairwise.loss_a.iloc[0], real.pairwise.loss_b.iloc[0]

    class Compared:
        def __init__(self):
            self.bayes = pd.DataFrame([(a, b, 0.91, 0.08, 0.01, 0.01)], columns=["loss_a", "loss_b", "p_left", "p_rope", "p_right", "rope"])
            self.pairwise = real.pairwise.assign(note=["the differences have no spread"] + [""] * (len(real.pairwise) - 1))

        def __getattr__(self, name):
            return getattr(real, name)

    class WithBayes:
        def __getattr__(self, name):
            return getattr(study, name)

        def comparison(self):
            return Compared()

    text = write_report(WithBayes(), tmp_path / "r.html").read_text(encoding="utf-8").replace("<wbr>", "")
    assert "Bayesian correlated t-test (Corani &amp; Benavoli 2015" in text
    row = re.search(r"P\(b better\)</th><th[^>]*>rope</th></tr></thead><tbody><tr>(.*?)</tr>", text).group(1)
    assert re.findall(r">([^<]*)</td>", row)[2:] == ["0.91", "0.08", "0.01", "0.01"]
    assert "<th scope='col'>note</th>" in text and "the differences have no spread" in text
    # The plain study's pairs have no notes: no empty column.
    assert "<th scope='col'>note</th>" not in three_losses[1].read_text(encoding="utf-8")


def test_fixed_protocol_tuning_shows_only_what_was_chosen(three_losses, extras_class, tmp_path):
    study = three_losses[0].study
    labels = list(dict.fromkeys(r.loss for r in study.results))

    class Fixed(extras_class):
        """One learning rate and no validation scores (nothing tuned); stopping epochs as given."""

        epochs = (4, 4, 4)

        def tuning(self):
            rows = [(loss, t, 0.01, e, float("nan"), True) for loss in self._labels for t, e in enumerate(self.epochs)]
            return pd.DataFrame(rows, columns=["loss", "trial", "lr", "epoch", "val_score", "chosen"])

        def diagnoses(self):
            return []

    plain = write_report(Fixed(study, labels), tmp_path / "fixed.html").read_text(encoding="utf-8")
    assert "Chosen settings" not in plain and "chosen settings" not in plain

    class Stopped(Fixed):
        epochs = (2, 3, 4)  # early stopping chose an epoch per trial

    text = write_report(Stopped(study, labels), tmp_path / "stopped.html").read_text(encoding="utf-8")
    assert "<h3>Chosen settings</h3>" in text and "3 (2-4)" in text and "lr 0.01, epoch 3" in text
    assert "Validation accuracy against learning rate" not in text and "class='flag'" not in text


def test_a_grid_edge_the_diagnoses_name_is_not_flagged_twice(with_extras, extras_class, tmp_path):
    extras, labels, _ = with_extras

    class Said(extras_class):
        def diagnoses(self):
            return [f"{labels[0]}: the chosen learning rate was the grid's largest (0.1) in 3 of 3 trials, so its best "
                    "rate may lie beyond the grid: widen the learning-rate grid (lr=[0.001, 0.01, 0.1, 1])."]

    text = write_report(Said(extras._study, labels), tmp_path / "said.html").read_text(encoding="utf-8")
    assert text.count("widen the learning-rate grid") == 1 and "class='flag'" not in text


def test_a_data_warning_stands_right_under_the_verdict_not_in_the_diagnoses_list(with_extras, extras_class, tmp_path):
    extras, labels, _ = with_extras
    leak = ("warning: `bwt` alone predicts the target almost exactly (balanced accuracy 1.000, from one threshold at "
            "2509): it may be computed from the target or known only with it, and then the study compares how well each "
            "loss reads it back, not the problem; if it is not known when you predict, exclude=['bwt']")

    class Leaky(extras_class):
        def diagnoses(self):
            return [leak, "CrossEntropyLoss overfits from epoch 3: its test loss rises while its train loss falls."]

    text = write_report(Leaky(extras._study, labels), tmp_path / "leaky.html").read_text(encoding="utf-8")
    verdict = text.index("<p class='verdict'>")
    box = text.index("<p class='warning'><b>Warning:</b> `bwt` alone predicts the target almost exactly")
    assert verdict < box < text.index("<h2>")  # before the first section
    assert text.count("alone predicts the target") == 1 and "warning: `bwt`" not in text
    assert "<li>CrossEntropyLoss overfits from epoch 3" in text


def test_built_report_hands_over_its_figures_as_caption_png_pairs(three_losses, suite_report):
    from losslab.report.html import build_report
    from losslab.report.suite_html import build_suite_report

    for built in (build_report(three_losses[0].study), build_suite_report(suite_report[0])):
        images = parse(built.html).images
        assert [caption for caption, _ in built.figures] == [img["alt"] for img in images]
        for (_, data), img in zip(built.figures, images):
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
            assert base64.b64decode(img["src"].split(",", 1)[1]) == data
    assert built.figures and built.figures[0][0].startswith("Critical-difference diagram")


def test_the_verdict_box_holds_the_decision_and_the_posteriors_sit_beneath(three_losses, tmp_path):
    study = three_losses[0].study
    said = ("no significant difference in accuracy among the 3 losses at alpha=0.05 over 6 trials; Bayesian correlated "
            "t-test: P(a better than b) = 0.91, P(equivalent within 0.01 accuracy) = 0.08; P(a better than c) = 0.99, "
            "P(equivalent within 0.01 accuracy) = 0.00")

    class Said:
        def __getattr__(self, name):
            return getattr(study, name)

        def verdict(self):
            return said

    text = write_report(Said(), tmp_path / "r.html").read_text(encoding="utf-8")
    page = parse(text)
    assert page.verdict == "no significant difference in accuracy among the 3 losses at alpha=0.05 over 6 trials"
    items = re.findall(r"<li>([^<]*)</li>", text[text.index("class='verdict'"):text.index("Forest plot")])
    assert items == ["P(a better than b) = 0.91, P(equivalent within 0.01 accuracy) = 0.08",
                     "P(a better than c) = 0.99, P(equivalent within 0.01 accuracy) = 0.00"]


def test_a_tuned_study_shows_what_each_loss_chose(tmp_path):
    # The default protocol chooses a learning rate per loss and trial: the report says which.
    study = losslab.compare(dataset="iris", losses=["cce", "kld"], repeats=5, epochs=6, hidden=(6,), batch_size=16,
                            lr=[1e-3, 3e-2], patience=2, out=tmp_path / "tuned")
    page = study.report().read_text(encoding="utf-8")
    assert "Chosen settings" in page
    assert "Validation accuracy against learning rate per loss" in page
    tuning = study.tuning()
    assert set(tuning.loc[tuning.chosen, "lr"]) <= {1e-3, 3e-2}


def test_the_verdict_box_keeps_the_protocol_and_lists_the_posteriors_below():
    from losslab.report.html import _split_verdict

    text = ("no significant difference in rmse between a and b at alpha=0.05 over 30 trials (corrected resampled t-test p=0.4); "
            "Bayesian correlated t-test: P(a better) = 0.6, P(equivalent within 0.01 rmse) = 0.3; P(c better) = 0.2. "
            "Protocol: tuned: each loss trained with Adam.")
    head, posteriors = _split_verdict(text)
    assert head.endswith("p=0.4). Protocol: tuned: each loss trained with Adam.")
    assert posteriors == ["P(a better) = 0.6, P(equivalent within 0.01 rmse) = 0.3", "P(c better) = 0.2"]
