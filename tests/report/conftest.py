"""Studies the report tests share: drawn once per session (each trains for a few seconds)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab.experiment.spec import Candidate
from losslab.report.html import write_report

# Class weights as a program computes them: 16-digit floats that once blew up tables and figures.
WEIGHTS = (0.8421052631578947, 1.2345678901234567, 1.4871794871794872)
WEIGHTED = Candidate("sparse_categorical_crossentropy", (("class_weight", WEIGHTS),))
CLASSIFICATION = ["sparse_categorical_crossentropy", WEIGHTED, "CrossEntropyLoss"]
LONG_NAME = "sparse_categorical_crossentropy(class_weight=(0.8421052631578947, 1.2345678901234567, 1.4871794871794872))"


@pytest.fixture(scope="session")
def three_losses(tmp_path_factory):
    """An iris study of three losses, one class-weighted, and its report."""
    folder = tmp_path_factory.mktemp("iris")
    study = losslab.compare(dataset="iris", losses=CLASSIFICATION, repeats=6, epochs=4, protocol="fixed", hidden=(6,), batch_size=16, out=folder)
    return study, study.report()


@pytest.fixture(scope="session")
def two_losses(tmp_path_factory):
    """A diabetes regression study of two losses with early stopping, and its report."""
    folder = tmp_path_factory.mktemp("diabetes")
    study = losslab.compare(dataset="diabetes", losses=["mse", "huber(delta=2.0)"], repeats=6, epochs=4, protocol="fixed", hidden=(6,),
                            patience=2, out=folder)
    return study, study.report(folder / "elsewhere" / "diabetes.html")


@pytest.fixture(scope="session")
def multi_output(tmp_path_factory):
    """A three-target regression study (Linnerud: Weight, Waist, Pulse) with a second metric."""
    folder = tmp_path_factory.mktemp("linnerud")
    study = losslab.compare(dataset="linnerud", losses=["mse", "mae"], extra_metrics=["mae"], repeats=6, epochs=4, protocol="fixed",
                            hidden=(6,), out=folder)
    return study, study.report()


class Extras:
    """A study with the optional sections other steps add: tuning, diagnoses, data notes."""

    def __init__(self, study, labels):
        self._study, self._labels = study, labels

    def __getattr__(self, name):
        return getattr(self._study, name)

    def tuning(self) -> pd.DataFrame:
        # The first loss does best at the grid's largest rate, the second in its middle.
        rows = []
        for i, loss in enumerate(self._labels[:2]):
            for trial in range(3):
                for lr, score in zip((1e-3, 1e-2, 1e-1), ((0.6, 0.7, 0.8), (0.6, 0.9, 0.7))[i]):
                    best = lr == (1e-1 if i == 0 else 1e-2)
                    rows.append((loss, trial, lr, 10 + trial, score + 0.01 * trial, best))
        return pd.DataFrame(rows, columns=["loss", "trial", "lr", "epoch", "val_score", "chosen"])

    def diagnoses(self) -> list[str]:
        return ["CrossEntropyLoss overfits from epoch 3: its test loss rises while its train loss falls.",
                f"{WEIGHTED.label}: the best epoch was the last one (4) in 6 of 6 trials."]

    def data_notes(self) -> list[str]:
        return ["dropped `name`: unique per row, looks like an ID", "imputed 4 missing `age` values with each fold's median"]


@pytest.fixture(scope="session")
def extras_class():
    """The `Extras` wrapper, for tests that vary it."""
    return Extras


@pytest.fixture(scope="session")
def with_extras(three_losses, tmp_path_factory):
    study, _ = three_losses
    labels = list(dict.fromkeys(r.loss for r in study.study.results))
    extras = Extras(study.study, labels)
    return extras, labels, write_report(extras, tmp_path_factory.mktemp("extras") / "report.html")




class FakeSuite:
    """What the suite report reads from a suite: its metric, losses, studies and `across()`."""

    def __init__(self, losses, studies, shifts, n_datasets=8, seed=0):
        from losslab.stats.across import compare_across

        rng = np.random.default_rng(seed)
        rows = [(f"set{d}", loss, 0.8 + shift + rng.normal(0, 0.01)) for d in range(n_datasets) for loss, shift in zip(losses, shifts)]
        self.metric, self.losses, self.studies = "accuracy", list(losses), studies
        self._across = compare_across(pd.DataFrame(rows, columns=["dataset", "loss", "value"]), higher_is_better=True,
                                      metric="accuracy")

    def across(self):
        return self._across


@pytest.fixture(scope="session")
def fake_suite_class():
    """The `FakeSuite` class, for tests that build their own."""
    return FakeSuite


@pytest.fixture(scope="session")
def suite_report(three_losses, tmp_path_factory):
    """A suite of 8 data sets and 3 losses (one class-weighted), and its report."""
    from losslab.report.suite_html import write_suite_report

    # A name with 16-digit floats, as an older store (or a hand-written loss) may hold it.
    losses = ["mse", LONG_NAME, "huber"]
    suite = FakeSuite(losses, {"iris": three_losses[0].study}, shifts=(0.0, 0.03, 0.01))
    return suite, write_suite_report(suite, tmp_path_factory.mktemp("suite") / "report.html")
