"""tutorial.reproduction: which setups run despite a refusal (the tutorial's own), and which stop."""

from __future__ import annotations

import dataclasses

import pytest

from losslab.tutorial import reproduction
from losslab.tutorial.experiments import EXPERIMENTS, select


def test_only_the_tutorials_keras_compatible_setup_runs_despite_its_refusal():
    refused = reproduction.refusals(select(None))
    assert set(refused) == {e.name for e in EXPERIMENTS if e.spec.params.get("keras_compat")} == {"msle"}
    # The output layer's refusal and the targets' own, each once.
    assert "mean_squared_logarithmic_error" in refused["msle"] and "negative" in refused["msle"]


def test_a_refused_setup_without_compatibility_mode_stops_before_training():
    msle = next(e for e in EXPERIMENTS if e.name == "msle")
    plain = dataclasses.replace(msle, loss_params=())
    with pytest.raises(ValueError, match="softplus or exponential or relu output"):
        reproduction.refusals([plain])


def test_run_trains_the_selected_experiments_with_consecutive_seeds():
    result = reproduction.run("mse", repeats=2, seed=5, processes=1)
    assert [e.name for e in result.experiments] == ["mse"] and result.seeds == [5, 6]
    assert result.refusals == {} and result.seconds > 0
    assert result.final("mse")["metric_test"].shape == (2,)
