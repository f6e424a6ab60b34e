"""The API's entry points translate arguments into calls: ``plan_study`` checks what
``compare`` checks and returns its plan; ``compare`` returns one type."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab import api
from losslab.experiment.planning import Plan

TINY = dict(repeats=2, epochs=2, hidden=(4,), protocol="fixed")


def regression(n: int = 60, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    return X, pd.Series(X.a * 2 - X.b + rng.normal(scale=0.1, size=n), name="y")


# ---------------------------------------------------------------------- plan_study
def test_plan_study_is_the_plan_compare_runs_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    X, y = regression(40)  # 30 training rows a split
    plan = losslab.plan_study(X, y, losses="mse,huber(delta=2)", **TINY)
    assert isinstance(plan, Plan) and plan.schedule is None
    assert list(tmp_path.iterdir()) == []  # nothing trained, timed or written
    assert [c.label for c in plan.spec.candidates] == ["mean_squared_error", "huber(delta=2.0)"]
    assert plan.spec.model.batch_size == 30  # capped to the smallest training fold, as compare caps it
    study = losslab.compare(X, y, losses="mse,huber(delta=2)", out=tmp_path / "s", **TINY)
    assert study.spec == plan.spec
    assert len(study.results) == len(plan.trials) == 4


def test_plan_study_refuses_what_compare_refuses():
    X, y = regression()
    with pytest.raises(ValueError, match="protocol='tuned' or 'fixed'"):
        losslab.plan_study(X, y, losses="mse", protocol="slow")
    with pytest.raises(api.OptionError, match=r"expected device to be cpu or cuda \(or cuda:N\). Received: device='gpu'"):
        losslab.plan_study(X, y, losses="mse", device="gpu")
    with pytest.raises(ValueError, match="expected exactly one of X .*Received: more than one"):
        losslab.plan_study(X, y, dataset="iris")
    with pytest.raises(TypeError, match="out"):  # what only a run needs is compare's
        losslab.plan_study(X, y, out="somewhere")


def test_compare_returns_one_type(tmp_path):
    X, y = regression()
    assert type(losslab.compare(X, y, losses="mse,mae", out=tmp_path, **TINY)) is api.StudyResult
    assert "_validate_only" not in api.compare.__code__.co_varnames


def test_landscape_names_the_sources_it_received():
    with pytest.raises(ValueError, match=r"exactly one of problem, data and dataset\. Received: none of them\.$"):
        losslab.landscape()
    with pytest.raises(ValueError, match=r"Received: problem='circles' and dataset='wine'\.$"):
        losslab.landscape("circles", dataset="wine")


def test_the_landscape_entry_point_is_not_shadowed_by_its_package():
    # Importing a subpackage sets it as an attribute of `losslab`: were the package named like
    # the entry point, `losslab.landscape` would become a module after the first call.
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(losslab.__path__):  # every subpackage, as the entry points import them
        if module.name != "cli":
            importlib.import_module(f"losslab.{module.name}")
    assert callable(losslab.landscape) and losslab.landscape is api.landscape
    for name in losslab._API:
        assert callable(getattr(losslab, name)), name
