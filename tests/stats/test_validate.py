"""Tests for losslab.stats.validate: the one argument checker used by within and across.

Each error names the Python argument (never a command-line flag), says what was expected and
what came, and the same check reads the same way from both entry points.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from losslab.stats import validate
from losslab.stats.across import compare_across
from losslab.stats.within import compare_losses


def test_quote_plain_where():
    assert validate.quote(["a", "b"]) == "a, b"
    assert validate.quote(list("abcdef")) == "a, b, c and 3 more"
    assert validate.plain(np.int64(3)) == 3 and type(validate.plain(np.int64(3))) is int
    assert validate.where((np.str_("bce"), np.int64(3), 0), ("loss", "seed", "fold")) == "(loss='bce', seed=3, fold=0)"


@pytest.mark.parametrize(
    "check, args, error, message",
    [
        (validate.check_alpha, (0,), ValueError, r"alpha: expected a significance level strictly between 0 and 1, such as 0.05. Received: alpha=0"),
        (validate.check_alpha, (True,), ValueError, r"Received: alpha=True"),
        (validate.check_metric, ("  ",), ValueError, r"metric: expected the metric's name"),
        (validate.check_higher_is_better, (1, "rmse"), TypeError, r"higher_is_better: expected True or False \(is a larger rmse better\?\). Received: higher_is_better=1"),
        (validate.generator, (-1,), TypeError, r"rng: expected a non-negative integer seed or a numpy.random.Generator"),
        (validate.check_count, ("n_samples", 10.0, 1000, "posterior samples"), ValueError, r"n_samples: expected an integer >= 1000 \(posterior samples\). Received: n_samples=10.0"),
        (validate.check_rope, (float("inf"), "accuracy"), ValueError, r"rope: expected the region of practical equivalence in accuracy units"),
        (validate.check_choice, ("method", "x", ("a", "b")), ValueError, r"method: expected one of 'a', 'b'. Received: method='x'"),
        (validate.check_fraction, ("share", 1.0), ValueError, r"share: expected a fraction strictly between 0 and 1. Received: share=1.0"),
        (validate.check_control, ("z", ("a", "b")), ValueError, r"control: expected None or one of the losses \['a', 'b'\]. Received: control='z'"),
        (validate.check_losses, (("a",),), ValueError, r"scores: expected at least 2 losses to compare. Received: 1 loss\(es\) \['a'\]"),
    ],
)
def test_single_argument_checks(check, args, error, message):
    with pytest.raises(error, match=message):
        check(*args)


def test_accepted_values_pass():
    validate.check_alpha(0.05)
    validate.check_fraction("share", 1.0, closed_high=True)
    assert isinstance(validate.generator(3), np.random.Generator)
    rng = np.random.default_rng(0)
    assert validate.generator(rng) is rng


def test_one_wording_from_both_entry_points():
    within = pd.DataFrame({"loss": ["a", "b"] * 5, "seed": np.repeat(range(5), 2), "fold": 0, "value": np.linspace(0.5, 0.9, 10)})
    across = pd.DataFrame({"dataset": np.repeat(["d0", "d1", "d2"], 2), "loss": ["a", "b"] * 3, "value": np.linspace(0.5, 0.9, 6)})
    for call in (lambda **k: compare_losses(within, design="independent", **k), lambda **k: compare_across(across, **k)):
        with pytest.raises(ValueError, match=r"^alpha: expected a significance level strictly between 0 and 1, such as 0.05. Received: alpha=2\.$"):
            call(higher_is_better=True, alpha=2)
        with pytest.raises(TypeError, match=r"^higher_is_better: expected True or False"):
            call(higher_is_better="no")
        with pytest.raises(ValueError, match=r"^rope: expected the region of practical equivalence in score units"):
            call(higher_is_better=True, rope=-1)
    for frame, call in ((within, lambda f: compare_losses(f, design="independent", higher_is_better=True)), (across, lambda f: compare_across(f, higher_is_better=True))):
        with pytest.raises(ValueError, match=r"scores: expected finite numbers in column 'value'. Received: 1 NaN or infinite value\(s\), at \("):
            call(frame.assign(value=frame["value"].where(frame.index != 1, np.inf)))
        with pytest.raises(ValueError, match=r"scores: expected numbers in column 'value' \(the held-out metric\)"):
            call(frame.assign(value="x"))


def test_no_error_names_a_command_line_flag():
    import inspect

    from losslab.stats import across, design, validate as module, within

    for source in (inspect.getsource(m) for m in (module, within, across, design)):
        assert "--" not in "".join(line for line in source.splitlines() if "raise" in line or "Received" in line)
