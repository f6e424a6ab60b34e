"""experiment.conduct: a planned study estimated, stored, trained, and resumed."""

from __future__ import annotations

import numpy as np
import pandas as pd

import losslab
from losslab.advisor import recommend
from losslab.experiment import conduct


def test_run_study_stores_the_notes_and_resumes(tmp_path):
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(48, 2)), columns=["a", "b"])
    y = pd.Series(X.a - X.b + rng.normal(scale=0.1, size=48), name="y")
    plan = losslab.plan_study(X, y, losses="mse,mae", repeats=2, epochs=2, hidden=(4,), protocol="fixed")
    starts = []
    study = conduct.run_study(plan, recommend(plan.y), out=tmp_path, on_start=lambda p, todo: starts.append(todo))
    assert len(study.results) == 4 and starts == [4] and plan.schedule is not None
    notes = study.info["notes"]
    assert notes[:3] == list(conduct.NOTES) and any(n.startswith("Minibatch: 32 rows") for n in notes)
    assert study.info["rows"] == 48 and study.info["design"]["batch_rule"] == "default"
    again = conduct.run_study(plan, recommend(plan.y), out=tmp_path, on_start=lambda p, todo: starts.append(todo))
    assert starts == [4, 0] and again.trials().equals(study.trials())  # resumed: nothing left to train
