"""`Dataset`: raw features and targets with where they came from."""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd


def column_kinds(X: pd.DataFrame) -> dict[str, list[str]]:
    """Split the columns of ``X`` into ``numeric``, ``categorical`` and ``other``.

    Numeric: integer and float dtypes (not bool). Categorical: object, string, category
    and bool dtypes, which :class:`~losslab.data.Preprocessor` one-hot encodes. Other:
    everything else (dates, durations, complex numbers), which losslab cannot use as is.
    """
    kinds: dict[str, list[str]] = {"numeric": [], "categorical": [], "other": []}
    for name, dtype in X.dtypes.items():
        if pd.api.types.is_bool_dtype(dtype):
            kinds["categorical"].append(name)
        elif pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
            kinds["numeric"].append(name)
        elif (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
              or isinstance(dtype, pd.CategoricalDtype)):
            kinds["categorical"].append(name)
        else:
            kinds["other"].append(name)
    return kinds


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """Raw (unscaled) features and targets of one data set.

    Attributes
    ----------
    name : str
        Short name: ``"wine"``, ``"circles"``, or a file's stem (``"houses"``).
    X : pandas.DataFrame
        Features, one row per example, as read (no scaling, no encoding).
    y : pandas.Series or pandas.DataFrame
        The target: a Series for one target column, a DataFrame for several.
    source : str
        Where it came from: a path, or ``"scikit-learn load_wine"``.
    description : str
        One line for people.
    dropped_rows : int
        Rows dropped for missing values (``load_table(..., dropna=True)``).
    """

    name: str
    X: pd.DataFrame
    y: pd.Series | pd.DataFrame
    source: str
    description: str
    dropped_rows: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.X, pd.DataFrame):
            raise TypeError(f"Dataset {self.name!r}: expected X to be a pandas DataFrame. Received: {type(self.X).__name__}.")
        if not isinstance(self.y, (pd.Series, pd.DataFrame)):
            raise TypeError(f"Dataset {self.name!r}: expected y to be a pandas Series or DataFrame. Received: {type(self.y).__name__}.")
        if len(self.X) != len(self.y):
            raise ValueError(f"Dataset {self.name!r}: expected one target row per feature row. Received: {len(self.X)} rows in X, {len(self.y)} in y.")

    @property
    def target_columns(self) -> list[str]:
        """The target column name(s), as a list."""
        return [str(c) for c in self.y.columns] if isinstance(self.y, pd.DataFrame) else [str(self.y.name)]

    def summary(self) -> dict[str, Any]:
        """Counts for a table or a report.

        >>> from losslab.data import load_dataset
        >>> s = load_dataset("linnerud").summary()
        >>> s["rows"], s["features"], s["numeric_features"], s["targets"]
        (20, 3, 3, ['Weight', 'Waist', 'Pulse'])
        """
        kinds = column_kinds(self.X)
        return {
            "name": self.name,
            "rows": len(self.X),
            "features": self.X.shape[1],
            "numeric_features": len(kinds["numeric"]),
            "categorical_features": len(kinds["categorical"]),
            "other_features": len(kinds["other"]),
            "targets": self.target_columns,
            "dropped_rows": self.dropped_rows,
            "source": self.source,
        }

    def __repr__(self) -> str:
        return f"Dataset({self.name!r}, rows={len(self.X)}, features={self.X.shape[1]}, targets={self.target_columns})"
