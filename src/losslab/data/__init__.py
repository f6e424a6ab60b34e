"""Data for a study: named data sets, the user's files, train/test splits, scaling.

- :func:`load_dataset` / :func:`dataset_names`: scikit-learn's bundled data sets and the
  tutorials' three problems (regression, circles, blobs), raw and unscaled;
- :func:`load_table`: the user's CSV, TSV, Parquet or NumPy file;
- :func:`make_splits`: holdout, k-fold, repeated k-fold and 5x2 splits, stratified on
  request, the same for the same seed;
- :class:`Preprocessor`: standardization and one-hot encoding fitted on a training fold
  only (the tutorials scale before splitting; losslab does not).

This layer imports NumPy, pandas and scikit-learn only (scikit-learn lazily, when a
function needs it), never other losslab modules.
"""

from __future__ import annotations

from ._dataset import Dataset, column_kinds
from .datasets import dataset_names, load_dataset
from .files import SUPPORTED_EXTENSIONS, load_table
from .preprocess import Preprocessor
from .splits import METHODS, Split, make_splits

__all__ = [
    "Dataset", "METHODS", "Preprocessor", "SUPPORTED_EXTENSIONS", "Split", "column_kinds", "dataset_names",
    "load_dataset", "load_table", "make_splits",
]
