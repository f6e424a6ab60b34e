"""Fixtures shared by the experiment tests."""

from __future__ import annotations

import numpy as np
import pytest

from losslab.experiment import trials



@pytest.fixture
def engine_calls(monkeypatch):
    """Every engine call's inputs (X views, members, replicates), then the real training."""
    calls = []
    real = trials.train

    def spy(X, members, replicates, **kwargs):
        calls.append((np.array(X), members, replicates))
        return real(X, members, replicates, **kwargs)

    monkeypatch.setattr(trials, "train", spy)
    return calls
