"""Tests for losslab.report.display: readable names, headings, numbers and tables."""

from __future__ import annotations

import pandas as pd

from losslab.report.display import display_names, frame_table, heading, html_table, number, p_value, short_name, wrap_name

WEIGHTED = "sparse_categorical_crossentropy(class_weight=(0.8421052631578947, 1.2345678901234567, 1.4871794871794872))"


def test_long_floats_are_rounded_short_ones_kept():
    assert short_name(WEIGHTED) == "sparse_categorical_crossentropy(class_weight=(0.842, 1.23, 1.49))"
    assert short_name("bce(pos_weight=28.571428571428573)") == "bce(pos_weight=28.6)"
    assert short_name("huber(delta=2.0)") == "huber(delta=2.0)"  # a reader's own number stays as written
    assert short_name("x(w=1.5e-07)") == "x(w=1.5e-07)"
    assert short_name("x(w=1.23456789e-07)") == "x(w=1.23e-07)"
    assert short_name("mse+0.33333333*mae") == "mse+0.333*mae"
    assert short_name("loss_v2.12345") == "loss_v2.12345"  # part of a name, not a number


def test_display_names_stay_distinct():
    a = "bce(pos_weight=1.2341111)"
    b = "bce(pos_weight=1.2342222)"
    names = display_names([a, b, "mse"])
    assert names == {a: "bce(pos_weight=1.2341)", b: "bce(pos_weight=1.2342)", "mse": "mse"}
    # Identical to 8 digits: the full labels.
    c, d = "w(x=0.123456789111)", "w(x=0.123456789222)"
    assert display_names([c, d]) == {c: c, d: d}


def test_wrap_breaks_at_natural_points_and_loses_nothing():
    wrapped = wrap_name(short_name(WEIGHTED), 26)
    assert all(len(line) <= 26 for line in wrapped.split("\n"))
    assert wrapped.replace("\n", "") == short_name(WEIGHTED)
    assert wrap_name("mse") == "mse"


def test_per_target_headings_and_numbers():
    assert heading("rmse[lat]") == "rmse (lat)" and heading("rmse") == "rmse"
    assert number(0.97777777) == "0.9778" and number(5) == "5" and number(float("nan")) == "" and number(True) == "yes"
    assert p_value(3e-6) == "<0.0001" and p_value(0.04321) == "0.043"


def test_tables_escape_and_label_every_cell():
    text = html_table(["loss", "p"], [["<script>x</script>", 0.5]])
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "<td class='num' data-label='p'>0.5</td>" in text and "<th scope='col' class=num>p</th>" in text
    assert "<td class='name' data-label='loss'>&lt;script&gt;x&lt;/script&gt;</td>" in text
    # Names break after their joints first.
    assert "<td class='name' data-label='loss'>a_<wbr>b(<wbr>w=<wbr>1,<wbr> 2)</td>" in html_table(["loss"], [["a_b(w=1, 2)"]])
    df = pd.DataFrame({"rmse[lat]": [1.23456789]}, index=pd.Index([WEIGHTED], name="loss"))
    text = frame_table(df)
    assert "rmse (lat)" in text and "1.235" in text and "0.842" in text and "0.8421052631578947" not in text


def test_floats_of_four_significant_digits_stay_as_written():
    # The spec's own labels print 4 significant digits; those are not rounded further.
    assert short_name("scce(class_weight=(0.8421, 1.235, 1.487))") == "scce(class_weight=(0.8421, 1.235, 1.487))"
    assert short_name("bce(pos_weight=28.57)") == "bce(pos_weight=28.57)"
    assert short_name("bce(pos_weight=28.571)") == "bce(pos_weight=28.6)"
