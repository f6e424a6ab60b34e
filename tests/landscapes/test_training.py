"""What a landscape trains (``losslab.landscapes.training``): the tutorial's setups and
prepared data, the losslab way."""

import numpy as np
import pytest

from losslab.landscapes import training as T


def test_tutorial_defaults_and_encodings():
    t = T.tutorial_training("circles", epochs=1)
    assert t.labels == ["binary_crossentropy", "hinge", "squared_hinge"]
    assert [m.output_activation for m in t.members] == ["sigmoid", "tanh", "tanh"]
    assert set(np.unique(t.members[1].targets)) == {-1.0, 1.0}
    # The tutorial's MSLE setup (linear output, standardized targets) is refused, so not a default.
    assert T.tutorial_training("regression", epochs=1).labels == ["mean_squared_error", "mean_absolute_error"]
    blobs = T.tutorial_training("blobs", "kld,sparse_categorical_crossentropy", epochs=1)
    assert blobs.members[0].targets.shape == (1000, 3) and blobs.members[1].targets.shape == (1000,)
    assert blobs.networks[0].n_outputs == 3 and blobs.epochs == 1


def test_dataset_training_the_losslab_way():
    t = T.dataset_training("wine", seed=1, epochs=2)
    assert t.labels == ["sparse_categorical_crossentropy"]  # advisor.recommend; its label-smoothed neighbour has parameters
    assert len(t.train_rows) + len(t.test_rows) == 178 and len(t.test_rows) == 45
    assert not set(t.train_rows) & set(t.test_rows)
    np.testing.assert_allclose(t.X[t.train_rows].mean(0), 0.0, atol=1e-12)  # scaled on the training rows only
    assert t.networks[0].hidden == (50,) and t.networks[0].n_outputs == 3 and t.metric == "accuracy"
    d = T.dataset_training("diabetes", "mse,poisson", epochs=2)
    mse, poisson = d.members
    assert np.asarray(mse.targets)[d.train_rows].mean() == pytest.approx(0.0, abs=1e-12)
    assert np.asarray(poisson.targets).min() > 0 and d.metric == "rmse"
