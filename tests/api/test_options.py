"""The API's argument checks (:mod:`losslab.api.options`): each refusal names the Python
argument, what was expected and what came; the command line reads the same refusal with its flag."""

from __future__ import annotations

import math

import numpy as np
import pytest

from losslab.api.options import MAX_EPOCHS, MAX_REPEATS, OptionError, check_device, check_options

VALID = dict(repeats=30, epochs=None, batch_size=None, patience=None, seed=0, max_retries=2, lr=None, momentum=0.9,
             test_size=0.25, validation_split=None, weight_decay=None, cpus_per_task=1, gpus_per_task=0, hidden=(50,))


def test_the_defaults_pass():
    check_options(**VALID)
    check_options(**{**VALID, "lr": [1e-3, 3e-2], "epochs": MAX_EPOCHS, "repeats": MAX_REPEATS, "hidden": (np.int64(8), 4)})


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("repeats", 0, "an integer >= 1 and <= 10,000"),
    ("repeats", MAX_REPEATS + 1, "an integer >= 1 and <= 10,000"),
    ("repeats", True, "an integer >= 1 and <= 10,000"),
    ("epochs", 2.5, "an integer >= 1 and <= 100,000"),
    ("patience", -1, "an integer >= 0"),
    ("lr", math.nan, "a finite number > 0"),
    ("lr", [1e-3, 0.0], "a finite number > 0"),
    ("lr", [], "a finite number > 0, or a non-empty list of them"),
    ("momentum", 1.5, "a finite number >= 0 and < 1"),
    ("test_size", 1.0, "a finite number > 0 and < 1"),
    ("validation_split", 0.5, "a finite number > 0 and < 0.5"),
    ("weight_decay", -0.1, "a finite number >= 0"),
    ("weight_decay", math.inf, "a finite number >= 0"),
    ("hidden", (), "positive layer widths, e.g. (64, 32)"),
    ("hidden", 8, "positive layer widths, e.g. (64, 32)"),
])
def test_a_bad_value_is_refused_by_name(name, value, expected):
    with pytest.raises(OptionError) as caught:
        check_options(**{**VALID, name: value})
    err = caught.value
    assert (err.argument, err.expected) == (name, expected)
    assert str(err).startswith(f"expected {name} to be {expected}. Received: {name}=")
    flag = "--" + name.replace("_", "-")
    assert err.for_flag(flag).startswith(f"expected {flag} to be {expected}. Received: {flag} ")


def test_a_device_torch_cannot_use_is_refused_before_anything_loads():
    check_device(None)
    check_device("cpu")
    with pytest.raises(OptionError, match=r"expected device to be cpu or cuda \(or cuda:N\). Received: device='gpu'"):
        check_device("gpu")
    with pytest.raises(OptionError, match="Received: device='mps'"):
        check_device("mps")
