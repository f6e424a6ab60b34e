"""scikit-learn baselines for the real tables: what an ordinary pipeline reaches without the
columns that should be left out (IDs, row names, dates).

Each baseline imputes (median and a missing indicator for numbers, the most frequent level
for categories), standardises numbers, one-hot encodes categories (rare levels pooled), and
fits a linear model (ridge; logistic regression) and histogram gradient boosting, on a few
hold-out splits (stratified for classes). The result is the mean held-out metric of each
model and the best of them: the number a losslab study should not beat by an implausible
margin (if it does, a leaking column is the likely cause).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .tables import RealTable


@dataclasses.dataclass(frozen=True)
class Baseline:
    """Mean held-out metrics of the baseline models on one table."""

    metric: str
    higher_is_better: bool
    scores: dict[str, float]  # model -> mean held-out metric

    @property
    def best(self) -> float:
        values = list(self.scores.values())
        return max(values) if self.higher_is_better else min(values)


def _features(table: RealTable, frame: pd.DataFrame) -> pd.DataFrame:
    X = frame.drop(columns=[*table.target, *table.drop])
    for col in X.columns:
        if pd.api.types.is_datetime64_any_dtype(X[col]):
            X = X.drop(columns=col)
    return X


def _preprocess(X: pd.DataFrame):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])]
    categorical = [c for c in X.columns if c not in numeric]
    return ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), numeric),
        ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                              OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=5, sparse_output=False)), categorical),
    ])


def _models(metric: str, outputs: int) -> dict:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.multioutput import MultiOutputRegressor

    if metric in ("accuracy", "balanced_accuracy"):
        # Chosen by balanced accuracy, the baselines weigh the classes as losslab's weighted candidate does.
        weight = "balanced" if metric == "balanced_accuracy" else None
        return {"logistic": LogisticRegression(max_iter=2000, class_weight=weight),
                "hgb": HistGradientBoostingClassifier(random_state=0, class_weight=weight)}
    hgb = HistGradientBoostingRegressor(random_state=0)
    return {"ridge": Ridge(alpha=1.0), "hgb": MultiOutputRegressor(hgb) if outputs > 1 else hgb}


def _score(metric: str, y_true: np.ndarray, pred: np.ndarray) -> float:
    from sklearn import metrics

    if metric == "accuracy":
        return float(metrics.accuracy_score(y_true, pred))
    if metric == "balanced_accuracy":
        return float(metrics.balanced_accuracy_score(y_true, pred))
    if metric == "rmse":  # mean over columns of per-column RMSE, as losslab's rmse
        return float(np.mean(np.sqrt(metrics.mean_squared_error(y_true, pred, multioutput="raw_values"))))
    raise ValueError(f"no baseline scorer for {metric!r}")


def _table_xy(table: RealTable, metric: str, columns: list[str] | None = None):
    """Features, target and whether it is classification: rows without a target dropped (as
    losslab's preparation drops them), ``columns`` or the table's features minus IDs and dates."""
    frame = table.frame().dropna(subset=list(table.target)).reset_index(drop=True)
    X = frame[list(columns)] if columns is not None else _features(table, frame)
    y = frame[list(table.target)].to_numpy()
    classification = metric in ("accuracy", "balanced_accuracy")
    y = y.ravel() if y.shape[1] == 1 else y
    if classification:
        y = y.astype(str)
    return X, y, classification


def baseline(table: RealTable, metric: str | None = None, *, splits: int = 3, test_size: float = 0.25) -> Baseline:
    """The scikit-learn baselines of ``table`` on ``splits`` hold-out splits (seeds 0, 1, ...)."""
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from threadpoolctl import threadpool_limits

    metric = metric or table.metric
    X, y, classification = _table_xy(table, metric)
    scores: dict[str, list[float]] = {}
    # One thread: gradient boosting's OpenMP pool would fight the test workers for the cores.
    with threadpool_limits(1):
        for seed in range(splits):
            X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, random_state=seed,
                                                      stratify=y if classification else None)
            for name, model in _models(metric, 1 if y.ndim == 1 else y.shape[1]).items():
                pipe = make_pipeline(_preprocess(X_tr), model).fit(X_tr, y_tr)
                scores.setdefault(name, []).append(_score(metric, y_te, pipe.predict(X_te)))
    return Baseline(metric, classification, {k: float(np.mean(v)) for k, v in scores.items()})


def baseline_on_splits(table: RealTable, splits, metric: str | None = None, *,
                       columns: list[str] | None = None) -> dict[str, list[float]]:
    """The baselines' held-out metric on given splits: ``model -> [score per split]``.

    ``splits`` are a losslab study's own (``Split.train`` / ``Split.test`` row positions of
    the table after rows without a target are dropped, as losslab's preparation numbers them),
    so that a baseline and the study are scored on the same held-out rows, trial by trial.
    ``columns`` are the feature columns to use (a study's ``columns_used``; default: the
    table's columns minus its target, IDs, row names and dates). The baselines fit on all of a
    split's training rows (they have no validation share to set aside).
    """
    from sklearn.pipeline import make_pipeline
    from threadpoolctl import threadpool_limits

    metric = metric or table.metric
    X, y, classification = _table_xy(table, metric, columns)
    scores: dict[str, list[float]] = {}
    with threadpool_limits(1):
        for s in splits:
            X_tr, X_te = X.iloc[s.train], X.iloc[s.test]
            for name, model in _models(metric, 1 if y.ndim == 1 else y.shape[1]).items():
                pipe = make_pipeline(_preprocess(X_tr), model).fit(X_tr, y[s.train])
                scores.setdefault(name, []).append(_score(metric, y[s.test], pipe.predict(X_te)))
    return scores
