"""The learning-rate grid the engine's grid and early-stopping tests train: a small scaled
regression, MSE and MAE members, replicates per (loss, seed, rate) with validation rows."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import make_regression
from sklearn.preprocessing import StandardScaler

from losslab import losses
from losslab.engine import Member, Replicate

RATES = (1e-3, 1e-2, 3e-2, 0.3)


def regression_data() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_regression(n_samples=160, n_features=4, noise=20.0, random_state=3)
    X = StandardScaler().fit_transform(X)
    y = StandardScaler().fit_transform(y[:, None])[:, 0]
    return X, y


def grid_replicates(seeds, rates):
    rows = np.arange(160)
    train_rows, val_rows, test_rows = rows[:100], rows[100:130], rows[130:]
    return [Replicate(j, s, train_rows, test_rows, val=val_rows, lr=lr)
            for j in range(2) for s in seeds for lr in rates]


def members(y):
    return [Member(losses.get("mse"), "linear", y), Member(losses.get("mae"), "linear", y)]
