"""Imputation, scaling and encoding, fitted on the training fold only.

The tutorials scale the whole data set before splitting it into train and test
("for simplicity, we will scale all of the data together before splitting"), so the
test rows' mean and variance leak into training. losslab does not: a
:class:`Preprocessor` is fitted on each training fold and only *applied* to its test
fold, so a test row is scaled with the training fold's mean and standard deviation, and
a missing value is filled with the training fold's median or most frequent level.
(To reproduce the tutorial exactly, fit one Preprocessor on all rows, as it does.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._dataset import column_kinds

# A training fold with at least this many numeric cells (rows x numeric columns) has its numeric
# statistics computed one column at a time (see Preprocessor.fit): scikit-learn's pipeline
# would hold several float64 copies of the whole fold at once (~600 MB for 750,000 x 20).
LEAN_CELLS = 4_000_000


class Preprocessor:
    """Features to a float64 matrix: numbers imputed and standardized, text imputed and one-hot encoded.

    A scikit-learn ``ColumnTransformer``, fitted on a training fold:

    - numeric columns: ``SimpleImputer(strategy="median")`` then ``StandardScaler``;
    - object, string, category and bool columns: ``SimpleImputer(strategy="most_frequent")``
      then ``OneHotEncoder(handle_unknown="ignore")`` (a level first seen in a test fold
      encodes as all zeros);
    - a ``MissingIndicator`` column (1 where the value was missing) for each column in
      ``indicate``.

    Imputers keep a column that is empty in a training fold (filled with 0), so the
    width never depends on the fold. A large training fold (at least :data:`LEAN_CELLS`
    numeric cells) has its numeric columns' median, mean and scale fitted one column at a
    time, with the same ``SimpleImputer`` median and ``StandardScaler`` on each column alone,
    and applied with NumPy: the fold is never copied whole, and the statistics equal the
    whole-fold ones to float64 rounding (the sums run in another order). With ``levels`` (the categories of each text
    column, read from the whole column) and ``indicate`` fixed for a table, every fold
    of it gives the same columns in the same order. With ``scale_target=True`` a
    regression target is standardized too, with a ``StandardScaler`` fitted on the
    training fold's target; predictions go back to the target's units with
    :meth:`inverse_transform_target`.

    Parameters
    ----------
    levels : dict, optional
        Text column -> its categories, in order. Default: the levels seen in ``fit``.
    indicate : list of str, optional
        Columns that get a missing-indicator column. Default: those with a missing
        value in ``fit``.
    scale_target : bool
        Standardize the target (regression only). When False, :meth:`transform_target`
        returns the target as float64, unchanged.

    Examples
    --------
    >>> import pandas as pd
    >>> train = pd.DataFrame({"size": [1.0, 3.0], "colour": ["red", "blue"]})
    >>> prep = Preprocessor()
    >>> prep.fit_transform(train)
    array([[-1.,  0.,  1.],
           [ 1.,  1.,  0.]])
    >>> prep.get_feature_names_out()
    ['size', 'colour_blue', 'colour_red']
    >>> prep.transform(pd.DataFrame({"size": [2.0], "colour": ["green"]}))
    array([[0., 0., 0.]])
    """

    def __init__(self, *, levels: dict[str, Sequence[Any]] | None = None, indicate: Sequence[str] | None = None,
                 scale_target: bool = False) -> None:
        self.levels = None if levels is None else {str(k): [str(v) for v in vs] for k, vs in levels.items()}
        self.indicate = None if indicate is None else [str(c) for c in indicate]
        self.scale_target = scale_target
        self._columns: list[str] | None = None
        self._lean: np.ndarray | None = None  # median, mean, scale per numeric column (a large fold)

    # ------------------------------------------------------------------ features
    def fit(self, X: Any, y: Any = None, *, rows: Any = None) -> Preprocessor:
        """Learn the imputation, scaling and categories from the training fold ``X`` (and ``y`` if ``scale_target``).

        ``rows`` (positions): fit on those rows of ``X`` only, the same as
        ``fit(X.iloc[rows], y)`` without a copy of them (``y`` is then the rows' target).
        """
        # lazy: scikit-learn is slow to import
        from sklearn.compose import ColumnTransformer
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        if rows is not None:
            rows = np.asarray(rows)
            if isinstance(X, pd.DataFrame) and len(X.columns) and len(column_kinds(X)["numeric"]) * len(rows) >= LEAN_CELLS:
                return self._fit_lean(X, y, rows)
            X = X.iloc[rows] if isinstance(X, pd.DataFrame) else np.asarray(X)[rows]
        frame = _frame(X, "X")
        self._lean = None
        indicate = self._columns_of(frame, None)
        parts = []
        if self.numeric_columns_:
            imputer = SimpleImputer(strategy="median", keep_empty_features=True)
            parts.append(("numeric", make_pipeline(imputer, StandardScaler()), self.numeric_columns_))
        parts += self._other_parts(indicate)
        self._transformer = ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0, verbose_feature_names_out=False)
        self._transformer.fit(self._prepared(frame))
        self._columns = list(frame.columns)
        try:
            self._names = [str(n) for n in self._transformer.get_feature_names_out()]
        except ValueError:  # a numeric column named like a one-hot column ('colour_red'): keep them apart
            self._transformer.set_params(verbose_feature_names_out=True)
            self._names = [str(n) for n in self._transformer.get_feature_names_out()]
        return self._fit_target(y)

    def transform(self, X: Any) -> np.ndarray:
        """Apply the fitted scaling and encoding to ``X`` (a test fold, or the training fold)."""
        self._check_fitted()
        frame = _frame(X, "X")
        missing = [c for c in self._columns if c not in frame.columns]
        extra = [c for c in frame.columns if c not in self._columns]
        if missing or extra:
            raise ValueError(f"Preprocessor: expected the columns seen in fit, {self._columns}. Received: missing {missing}, unexpected {extra}.")
        if self._lean is not None:
            return self._transform_lean(frame)
        return np.asarray(self._transformer.transform(self._prepared(frame[self._columns])), dtype=np.float64)

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        """:meth:`fit` on ``X`` (and ``y``), then :meth:`transform` ``X``: the training fold's features."""
        return self.fit(X, y).transform(X)

    def get_feature_names_out(self) -> list[str]:
        """Names of the output columns: numeric names as they were, one-hot ones as ``column_category``."""
        self._check_fitted()
        return list(self._names)

    # ------------------------------------------------------------------ target
    def transform_target(self, y: Any) -> np.ndarray:
        """The target as float64, standardized with the training fold's mean and scale if ``scale_target``.

        Shape ``(n,)`` for one target column, ``(n, k)`` for several.
        """
        self._check_fitted()
        target = _target_array(y)
        if self._target_scaler is None:
            return target
        return self._target_scaler.transform(target.reshape(len(target), -1)).reshape(target.shape)

    def inverse_transform_target(self, y_scaled: Any) -> np.ndarray:
        """Predictions in the scaled target's units back to the target's own units."""
        self._check_fitted()
        scaled = _target_array(y_scaled)
        if self._target_scaler is None:
            return scaled
        return self._target_scaler.inverse_transform(scaled.reshape(len(scaled), -1)).reshape(scaled.shape)

    # ------------------------------------------------------------------ large folds
    def _fit_lean(self, X: pd.DataFrame, y: Any, rows: np.ndarray) -> Preprocessor:
        """:meth:`fit` on ``X.iloc[rows]`` with the numeric columns fitted one at a time (see the class)."""
        from sklearn.compose import ColumnTransformer
        from sklearn.impute import SimpleImputer
        from sklearn.preprocessing import StandardScaler

        frame = _frame(X, "X", copy=False)
        indicate = self._columns_of(frame, rows)
        stats = np.empty((3, len(self.numeric_columns_)))  # median, mean, scale of each numeric column
        for j, c in enumerate(self.numeric_columns_):
            values = _numbers(frame[c].iloc[rows])
            # scikit-learn's own estimators on this one column: the same median (keep_empty_features:
            # an empty column is filled with 0), the same constant-column rule for the scale.
            imputer = SimpleImputer(strategy="median", keep_empty_features=True).fit(values[:, None])
            stats[0, j] = imputer.statistics_[0]
            values[np.isnan(values)] = stats[0, j]
            scaler = StandardScaler().fit(values[:, None])
            stats[1, j], stats[2, j] = scaler.mean_[0], scaler.scale_[0]
        self._lean = stats
        # Text columns and missing indicators: scikit-learn's transformers as in fit, on those columns only.
        parts = self._other_parts(indicate)
        self._rest = list(dict.fromkeys([*self.categorical_columns_, *indicate]))
        self._transformer = None
        names = [str(c) for c in self.numeric_columns_]
        if parts:
            self._transformer = ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0, verbose_feature_names_out=False)
            self._transformer.fit(self._prepared(frame[self._rest].iloc[rows]))
            try:
                rest = [str(n) for n in self._transformer.get_feature_names_out()]
                if len(set(names + rest)) < len(names) + len(rest):
                    raise ValueError("duplicate names")
            except ValueError:  # as fit names them when a numeric name equals a one-hot one
                self._transformer.set_params(verbose_feature_names_out=True)
                rest = [str(n) for n in self._transformer.get_feature_names_out()]
                names = [f"numeric__{n}" for n in names]
            names += rest
        self._names = names
        self._columns = list(frame.columns)
        return self._fit_target(y)

    def _transform_lean(self, frame: pd.DataFrame) -> np.ndarray:
        """The numeric columns imputed and scaled with NumPy (as SimpleImputer and StandardScaler
        transform: fill, subtract the mean, divide by the scale), then the other parts."""
        median, mean, scale = self._lean
        out = np.empty((len(frame), len(self._names)), dtype=np.float64)
        for j, c in enumerate(self.numeric_columns_):
            values = _numbers(frame[c])
            values[np.isnan(values)] = median[j]
            values -= mean[j]
            values /= scale[j]
            out[:, j] = values
        if self._transformer is not None:
            out[:, len(self.numeric_columns_):] = self._transformer.transform(self._prepared(frame[self._rest]))
        return out

    # ------------------------------------------------------------------ helpers
    def _fit_target(self, y: Any) -> Preprocessor:
        """The target's scaler (``scale_target``), fitted on the training fold's target ``y``."""
        from sklearn.preprocessing import StandardScaler

        self._target_scaler = None
        if self.scale_target:
            if y is None:
                raise ValueError("Preprocessor: expected y, the training fold's target, with scale_target=True. Received: y=None.")
            target = _target_array(y)
            self._target_scaler = StandardScaler().fit(target.reshape(len(target), -1))
        return self

    def _columns_of(self, frame: pd.DataFrame, rows: np.ndarray | None) -> list[str]:
        """Sort the columns into numeric and categorical (refusing others), check ``levels`` and
        ``indicate``; return the columns that get a missing indicator (``rows``: of the fold)."""
        kinds = column_kinds(frame)
        if kinds["other"]:
            raise ValueError(
                f"Preprocessor: expected numeric or categorical feature columns. Received: column(s) {kinds['other']} of dtype "
                f"{[str(frame[c].dtype) for c in kinds['other']]}. Convert them to numbers (e.g. a date to days since an origin) or text."
            )
        self.numeric_columns_, self.categorical_columns_ = kinds["numeric"], kinds["categorical"]
        if self.indicate is not None:
            indicate = list(self.indicate)
        else:  # (one column of the fold at a time: a large fold is not copied for this)
            indicate = [c for c in frame.columns if (frame[c] if rows is None else frame[c].iloc[rows]).isna().any()]
        unknown = [c for c in [*indicate, *(self.levels or {})] if c not in frame.columns]
        if unknown:
            raise ValueError(f"Preprocessor: expected levels and indicate to name columns of X. Received: {sorted(set(unknown))}, not in {list(frame.columns)}.")
        return indicate

    def _other_parts(self, indicate: list[str]) -> list[tuple]:
        """The ColumnTransformer's parts for text columns (imputed, one-hot) and missing indicators."""
        from sklearn.impute import MissingIndicator, SimpleImputer
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder

        parts = []
        if self.categorical_columns_:
            categories: Any = "auto"
            if self.levels is not None:
                missing = [c for c in self.categorical_columns_ if c not in self.levels]
                if missing:
                    raise ValueError(f"Preprocessor: expected levels for every text column. Received: none for {missing}.")
                categories = [np.array(self.levels[c], dtype=object) for c in self.categorical_columns_]
            imputer = SimpleImputer(strategy="most_frequent", keep_empty_features=True)
            encoder = OneHotEncoder(categories=categories, handle_unknown="ignore", sparse_output=False, dtype=np.float64)
            parts.append(("categorical", make_pipeline(imputer, encoder), self.categorical_columns_))
        if indicate:
            parts.append(("missing", MissingIndicator(features="all", missing_values=np.nan), list(indicate)))
        return parts

    def _check_fitted(self) -> None:
        if self._columns is None:
            raise ValueError("Preprocessor: expected a fitted preprocessor. Received: one that was never fitted. Call fit(X_train) first.")

    def _prepared(self, frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        for c in self.numeric_columns_:
            if c in frame.columns:  # (the lean path passes the text and indicated columns only)
                frame[c] = frame[c].astype(np.float64)  # pandas' NA becomes NaN, which the imputer knows
        for c in self.categorical_columns_:
            # Mixed values (1 and "1", True and "yes") sort badly in the encoder; text compares.
            # Missing ones (None, NaN, pd.NA) all become NaN, the imputer's missing value.
            missing = frame[c].isna()
            text = frame[c].astype(str).astype(object)
            text[missing] = np.nan
            frame[c] = text
        return frame

    def __repr__(self) -> str:
        state = "unfitted" if self._columns is None else f"{len(self._columns)} columns -> {len(self._names)} features"
        return f"Preprocessor(scale_target={self.scale_target}, {state})"


def _numbers(column: pd.Series) -> np.ndarray:
    """One column as a new float64 array, pandas' NA as NaN (as ``_prepared`` converts it)."""
    return np.array(column.astype(np.float64).to_numpy(), dtype=np.float64, copy=True)


def _frame(X: Any, arg: str, copy: bool = True) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        frame = X.copy(deep=copy)  # shallow: the lean path only reads columns
    else:
        array = np.asarray(X)
        if array.ndim != 2:
            raise ValueError(f"Preprocessor: expected {arg} to be a DataFrame or a 2-D array. Received: shape {array.shape}.")
        frame = pd.DataFrame(array, columns=[f"x{j}" for j in range(array.shape[1])])
    frame.columns = [str(c) for c in frame.columns]
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise ValueError(f"Preprocessor: expected {arg} with at least one row and one column. Received: shape {frame.shape}.")
    return frame


def _target_array(y: Any) -> np.ndarray:
    array = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"Preprocessor: expected a numeric target. Received: dtype {array.dtype}. Target scaling is for regression; encode class labels instead.")
    if array.ndim not in (1, 2):
        raise ValueError(f"Preprocessor: expected a target of shape (n,) or (n, k). Received: shape {array.shape}.")
    return array.astype(np.float64)
