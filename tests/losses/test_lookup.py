"""losslab.losses.lookup.get: one entry point for every way of naming a loss; the registry's public API below it."""

from __future__ import annotations

import doctest
import importlib

import pytest

from losslab import losses
from losslab.losses import registry
from losslab.losses.families import family

FILE = "def my_abs(y_true, y_pred, *, scale=1.0):\n    return (y_pred - y_true).abs().mean(dim=-1) * scale\n"


def test_get_takes_every_form(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.py").write_text(FILE)
    spec = losses.get("huber", delta=2)
    assert losses.get(spec) is spec and losses.get("HuberLoss").name == "huber"
    assert losses.get("mine.py:my_abs", scale=2).params["scale"] == 2.0  # the parameter made the type of its default
    assert losses.get("losslab.losses.regression:_mae_torch").title == "_mae_torch"
    assert losses.get("0.5*mse+0.5*mine.py:my_abs(scale=3)").name == "0.5*mean_squared_error+0.5*mine.py:my_abs(scale=3)"

    def half(y_true, y_pred):
        return 0.5 * (y_pred - y_true).abs().mean(dim=-1)

    assert losses.get(half).name == "half"


def test_the_registry_answers_by_name_only():
    assert registry.key("Mean_Squared-Error") == "meansquarederror"
    assert registry.canonical("MSELoss") == "mean_squared_error" and registry.canonical("0.5*mse") is None
    assert registry.lookup("BCEWithLogitsLoss").takes_logits and registry.lookup("nope") is None
    assert registry.find("mse").name == "mean_squared_error"
    with pytest.raises(ValueError, match=r"unknown loss 'mse\+mae'"):
        registry.find("mse+mae")  # expressions are lookup's, one floor up


def test_register_refuses_a_name_or_alias_taken():
    mse = registry.lookup("mse")
    with pytest.raises(ValueError, match=r"loss 'mean_squared_error' is registered twice"):
        registry.register(mse)
    import dataclasses

    with pytest.raises(ValueError, match=r"alias 'mse' of 'other_mse' is already taken by 'mean_squared_error'"):
        family(aliases=("mse",))(**{f.name: getattr(mse, f.name) for f in dataclasses.fields(mse) if f.name not in ("aliases", "name", "title")},
                                 name="other_mse", title="Other MSE")
    assert "other_mse" not in losses.names()  # a refused spec leaves nothing behind


def test_docstring_examples_run():
    for name in ("losslab.losses.lookup", "losslab.losses.registry", "losslab.losses.families"):
        result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
        assert result.attempted >= 2 and result.failed == 0
