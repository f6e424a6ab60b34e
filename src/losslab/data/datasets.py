"""Data sets by name: scikit-learn's bundled ones and the tutorials' three test problems.

Nothing here downloads: the bundled sets ship inside scikit-learn, and the tutorial
problems are generated (the ``fetch_*`` loaders, which download, are not offered).
Everything comes raw and unscaled; scaling belongs to the training fold
(:class:`~losslab.data.Preprocessor`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ._dataset import Dataset

# name -> (scikit-learn loader, one line about it)
_BUNDLED: dict[str, tuple[str, str]] = {
    "iris": ("load_iris", "Iris flowers: 4 measurements, 3 species (multiclass)."),
    "wine": ("load_wine", "Wines: 13 chemical measurements, 3 cultivars (multiclass)."),
    "breast_cancer": ("load_breast_cancer", "Breast tumours: 30 cell-nucleus features, malignant (0) or benign (1) (binary)."),
    "digits": ("load_digits", "Handwritten digits: 8x8 pixel intensities 0-16, digits 0-9 (multiclass)."),
    "diabetes": ("load_diabetes", "Diabetes patients: 10 baseline variables (already centred and scaled by scikit-learn), disease progression after one year (regression)."),
    "linnerud": ("load_linnerud", "Linnerud fitness: 3 exercises, 3 physiological targets Weight, Waist, Pulse (multi-output regression, 20 rows)."),
}

# The tutorials' test problems, exactly as "How to Choose Loss Functions When Training
# Deep Learning Neural Networks" generates them (before its scaling step).
_TUTORIAL: dict[str, tuple[str, dict[str, object], str]] = {
    "regression": ("make_regression", {"n_samples": 1000, "n_features": 20, "noise": 0.1, "random_state": 1},
                   "The tutorial's regression problem: 20 features, a linear target with noise 0.1."),
    "circles": ("make_circles", {"n_samples": 1000, "noise": 0.1, "random_state": 1},
                "The tutorial's binary problem: two concentric circles in 2-D, noise 0.1."),
    "blobs": ("make_blobs", {"n_samples": 1000, "centers": 3, "n_features": 2, "cluster_std": 2, "random_state": 2},
              "The tutorial's multiclass problem: 3 Gaussian blobs in 2-D, standard deviation 2."),
}


def dataset_names() -> list[str]:
    """Names :func:`load_dataset` knows, sorted.

    >>> dataset_names()[:4]
    ['blobs', 'breast_cancer', 'circles', 'diabetes']
    """
    return sorted([*_BUNDLED, *_TUTORIAL])


def _call(func: str, kwargs: dict[str, object]) -> str:
    return f"{func}({', '.join(f'{k}={v}' for k, v in kwargs.items())})"


def load_dataset(name: str) -> Dataset:
    """A bundled or tutorial data set by name (see :func:`dataset_names`).

    Parameters
    ----------
    name : str
        ``iris``, ``wine``, ``breast_cancer``, ``digits``, ``diabetes``, ``linnerud``
        (scikit-learn's bundled data) or ``regression``, ``circles``, ``blobs`` (the
        tutorial's problems). Case, hyphens and spaces do not matter.

    Returns
    -------
    Dataset
        Raw features in a DataFrame and the target as a Series (a DataFrame of three
        columns for ``linnerud``). Tutorial problems name their features ``x0, x1, ...``
        and the target ``y``; they equal scikit-learn's generators' arrays exactly.

    Examples
    --------
    >>> ds = load_dataset("blobs")
    >>> ds.X.shape, ds.y.name, ds.source
    ((1000, 2), 'y', 'scikit-learn make_blobs(n_samples=1000, centers=3, n_features=2, cluster_std=2, random_state=2)')
    """
    if not isinstance(name, str):
        raise TypeError(f"load_dataset: expected name to be a str. Received: name of type {type(name).__name__}.")
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key in _BUNDLED:
        return _load_bundled(key)
    if key in _TUTORIAL:
        return _load_tutorial(key)
    known = dataset_names()
    close = difflib.get_close_matches(key, known, n=2, cutoff=0.6)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    if Path(name).suffix:
        # The shell command beside the Python call on purpose: a file name here is often a CLI user's.
        hint += " For a file of your own, use load_table(path, target) (`losslab compare FILE --target COLUMN`)."
    raise ValueError(f"load_dataset: unknown data set name={name!r}.{hint} Known names: {', '.join(known)}.")


def _load_bundled(key: str) -> Dataset:
    import sklearn.datasets  # lazy: scikit-learn takes a second to import

    loader_name, about = _BUNDLED[key]
    loader: Callable[..., object] = getattr(sklearn.datasets, loader_name)
    bunch = loader(as_frame=True)
    X: pd.DataFrame = bunch.data.reset_index(drop=True)
    y = bunch.target.reset_index(drop=True)
    if isinstance(y, pd.DataFrame) and y.shape[1] == 1:
        y = y.iloc[:, 0]
    targets = ", ".join(map(str, y.columns)) if isinstance(y, pd.DataFrame) else str(y.name)
    description = f"{about} {len(X)} rows, {X.shape[1]} features, target {targets}."
    return Dataset(key, X, y, f"scikit-learn {loader_name}", description)


def _load_tutorial(key: str) -> Dataset:
    import sklearn.datasets

    func, kwargs, about = _TUTORIAL[key]
    X, y = getattr(sklearn.datasets, func)(**kwargs)
    frame = pd.DataFrame(np.asarray(X), columns=[f"x{j}" for j in range(X.shape[1])])
    return Dataset(key, frame, pd.Series(np.asarray(y), name="y"), f"scikit-learn {_call(func, kwargs)}",
                   f"{about} {len(frame)} rows, unscaled.")
