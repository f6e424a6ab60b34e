"""Data for a study: named data sets, the user's files, train/test splits, scaling.

- :func:`load_dataset` / :func:`dataset_names`: scikit-learn's bundled data sets and the
  tutorials' three problems (regression, circles, blobs), raw and unscaled;
- :func:`load_table`: the user's CSV, TSV, Parquet or NumPy file;
- :func:`make_splits`: holdout, k-fold, repeated k-fold and 5x2 splits, stratified on
  request, the same for the same seed;
- :func:`choose_columns`: which feature columns a study uses (row names, IDs, constants
  and dates left out, high-cardinality text capped), one note per decision;
- :func:`target_leaks`: feature columns that alone predict the target almost exactly, one
  warning each;
- :class:`Preprocessor`: imputation, standardization and one-hot encoding fitted on a
  training fold only (the tutorials scale before splitting; losslab does not).

This layer imports NumPy, pandas and scikit-learn only (scikit-learn lazily, when a
function needs it), never other losslab modules.
"""

from __future__ import annotations

from ._dataset import Dataset, column_kinds
from .columns import MAX_LEVELS, Selection, choose_columns
from .datasets import dataset_names, load_dataset
from .files import SUPPORTED_EXTENSIONS, load_table
from .leaks import target_leaks
from .preprocess import Preprocessor
from .splits import METHODS, Split, make_splits

__all__ = [
    "Dataset", "MAX_LEVELS", "METHODS", "Preprocessor", "SUPPORTED_EXTENSIONS", "Selection", "Split", "choose_columns",
    "column_kinds", "dataset_names", "load_dataset", "load_table", "make_splits", "target_leaks",
]
