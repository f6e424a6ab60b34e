"""Results hold their object (``.study``, ``.suite``, ``.reproduction``, ``.landscape``) and
pass through only the attributes they name (:mod:`losslab.api.results`)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab import api
from losslab.api.results import Held
from losslab.experiment.results import Study
from losslab.experiment.suite import Suite
from losslab.landscapes.slices import Landscape
from losslab.tutorial.reproduction import Reproduction

TINY = dict(repeats=2, epochs=2, hidden=(4,), protocol="fixed")


def regression(n: int = 60, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    return X, pd.Series(X.a * 2 - X.b + rng.normal(scale=0.1, size=n), name="y")


# ---------------------------------------------------------------------- results by composition
RESULTS = [(api.StudyResult, "study", Study), (api.SuiteResult, "suite", Suite),
           (api.ReproduceResult, "reproduction", Reproduction), (api.LandscapeResult, "landscape", Landscape)]


@pytest.mark.parametrize("result, holder, held", RESULTS)
def test_results_hold_their_object_and_pass_through_only_what_they_name(result, holder, held):
    assert "__getattr__" not in vars(result) and not issubclass(result, held)
    names = {n for n, v in vars(result).items() if isinstance(v, Held)}
    assert names, result
    fields = {f.name for f in dataclasses.fields(held)}
    for name in names:
        assert vars(result)[name].holder == holder
        # Each name is a real attribute of the held class: a rename there fails here.
        assert name in fields or hasattr(held, name), f"{result.__name__}.{name}: no such attribute of {held.__name__}"


def test_a_study_result_reads_through_to_its_study_and_no_further(tmp_path):
    X, y = regression()
    result = losslab.compare(X, y, losses="mse,mae", out=tmp_path, **TINY)
    assert isinstance(result.study, Study)
    assert result.spec is result.study.spec and result.results is result.study.results
    pd.testing.assert_frame_equal(result.summary(), result.study.summary())
    assert result.verdict() == result.study.verdict()
    with pytest.raises(AttributeError):
        result._comparisons  # a private attribute of the study is not the result's
    with pytest.raises(AttributeError, match="read-only"):
        result.spec = None  # read through, never shadowed
    loaded = losslab.load_study(tmp_path)
    assert isinstance(loaded, api.StudyResult) and loaded.trials().equals(result.trials())
