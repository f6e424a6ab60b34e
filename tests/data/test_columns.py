"""choose_columns: row names, IDs, constants and dates left out with one note each;
high-cardinality text capped; exclude / include override."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from losslab.data import MAX_LEVELS, choose_columns

N = 40


def table(**extra) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"size": rng.normal(size=N), "colour": rng.choice(["red", "blue"], size=N), **extra})


@pytest.mark.parametrize(("name", "values", "reason"), [
    ("rownames", np.arange(1, N + 1), "row names (unique per row)"),
    ("Unnamed: 0", np.arange(N), "row names (unique per row)"),
    ("row.names", [f"r{i}" for i in range(N)], "row names (unique per row)"),
    ("name", [f"person {i}" for i in range(N)], "unique per row, looks like an ID"),
    ("id", np.arange(N), "counts the rows (0 .. n-1 or 1 .. n in row order), looks like an index"),
    ("serial", np.arange(1, N + 1).astype(float), "counts the rows (0 .. n-1 or 1 .. n in row order), looks like an index"),
    ("site", ["north"] * N, "constant (every value is north)"),
    ("blank", [np.nan] * N, "constant (every value missing)"),
    ("when", pd.date_range("2021-01-01", periods=N), "dates/times"),
    ("day", pd.date_range("2021-01-01", periods=N).strftime("%Y-%m-%d"), "dates/times"),
    ("stamp", pd.date_range("2021-01-01", periods=N, freq="h").strftime("%d/%m/%Y %H:%M"), "dates/times"),
    ("z", np.arange(N) * (1 + 1j), "dtype complex128, which losslab cannot encode"),
    # vcd's Arthritis: patient numbers in no order; COUNT's rwm5yr: subjects repeated over years.
    ("ID", np.random.default_rng(2).permutation(N) + 1, f"integer codes named like an ID ({N} distinct values in {N} rows)"),
    ("patient_id", np.r_[np.arange(100, 130), np.arange(100, 110)], f"integer codes named like an ID (30 distinct values in {N} rows)"),
    ("PatientID", (np.arange(N) * 7919) % 10007, f"integer codes named like an ID ({N} distinct values in {N} rows)"),
])
def test_each_rule_leaves_a_column_out_with_one_note(name, values, reason):
    sel = choose_columns(table(**{name: values}))
    assert sel.used == ["size", "colour"]
    assert sel.dropped == {name: reason}
    note, = sel.notes
    assert note.startswith(f"dropped `{name}`: {reason}") and "\n" not in note


@pytest.mark.parametrize(("name", "values"), [
    ("index", np.random.default_rng(1).normal(size=N)),  # a row-name name, but real numbers: a feature (a price index)
    ("rank", np.arange(N)[::-1]),  # 0 .. n-1 backwards: not the row order
    ("year", np.arange(1980, 1980 + N)),  # consecutive, but not a row count
    ("town", [f"t{i % 8}" for i in range(N)]),
    ("flag", [True, False] * (N // 2)),
    ("StoreID", np.arange(N) % 5 + 1),  # OJ's five stores: a few codes, a category worth learning
    ("humid", np.arange(N) * 3 % 97),  # ends in 'id' but is no ID name
    ("grid_id", np.random.default_rng(3).normal(size=N)),  # named like an ID, but real numbers
])
def test_real_features_are_kept(name, values):
    assert name in choose_columns(table(**{name: values})).used


def test_small_tables_keep_distinct_values():
    # Below MIN_ID_ROWS rows, values unique per row may be chance.
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "city": ["lyon", "paris", "nice"], "n": [0, 1, 2]})
    assert choose_columns(frame).used == ["x", "city", "n"]


def test_high_cardinality_text_is_capped_with_a_note():
    rng = np.random.default_rng(2)
    n = 400
    towns = np.array([f"town{i:02d}" for i in range(60)])
    frame = pd.DataFrame({"x": rng.normal(size=n), "town": rng.choice(towns, size=n, p=np.r_[np.full(10, 0.08), np.full(50, 0.004)])})
    sel = choose_columns(frame)
    levels = sel.X["town"].value_counts()
    counts = frame["town"].value_counts()
    assert len(levels) == MAX_LEVELS + 1 and "other" in levels.index
    kept = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_LEVELS]
    assert set(levels.index) - {"other"} == {k for k, _ in kept}
    assert levels["other"] == n - sum(c for _, c in kept)
    note, = sel.notes
    assert note.startswith(f"capped `town`: {len(counts)} levels; kept the 20 most frequent")
    assert f"pooled {len(counts) - MAX_LEVELS} rare level(s) into 'other'" in note


def test_nearly_unique_text_reads_as_an_id():
    names = [f"passenger {i}" for i in range(N - 2)] + ["passenger 0", "passenger 1"]
    sel = choose_columns(table(name=names))
    assert sel.dropped == {"name": f"{N - 2} distinct values in {N} rows, looks like an ID"}


def test_exclude_and_include_override_the_rules():
    frame = table(rownames=np.arange(1, N + 1), day=pd.date_range("2021-01-01", periods=N).strftime("%Y-%m-%d"))
    sel = choose_columns(frame, exclude="colour", include=["day"])
    assert sel.used == ["size", "day"]
    assert sel.dropped == {"colour": "excluded (exclude=)", "rownames": "row names (unique per row)"}
    # An included date column is used as days since 1970-01-01 (2021-01-01 is day 18628).
    assert sel.X["day"].iloc[0] == 18628.0 and sel.X["day"].diff().iloc[1] == 1.0
    assert any(n.startswith("kept `day` as asked (include=), though dates/times") for n in sel.notes)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"exclude": ["colr"]}, r"unknown feature column 'colr'\. Did you mean 'colour'\? Received: exclude=\['colr'\]"),
    ({"include": "nope"}, r"unknown feature column 'nope'\. Received: include=\['nope'\]"),
    ({"exclude": ["size"], "include": ["size"]}, r"expected a column in exclude or include, not both"),
])
def test_errors_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        choose_columns(table(), **kwargs)
    with pytest.raises(TypeError, match="expected X to be a pandas DataFrame"):
        choose_columns(np.zeros((3, 2)))
