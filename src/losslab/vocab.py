"""The one vocabulary: problem kinds, target encodings, output activations and designs.

Every package reads these names from here, so a word means one thing everywhere: the
advisor infers a *problem kind*, the catalog says which *loss problem types* a loss is made
for, :data:`SERVES` joins the two, and the experiment and the statistics share the
*designs*. Nothing here imports anything of losslab's.
"""

from __future__ import annotations

# What the advisor reads in a target (losslab.advisor.infer_problem), and what --kind names.
CLASSIFICATION_KINDS = ("binary", "multiclass", "multilabel", "probability_rows")
REGRESSION_KINDS = ("regression", "counts")
# "ordinal" (ordered levels, e.g. a 7-level survey answer) is never inferred: a user states it.
PROBLEM_KINDS = ("regression", "counts", "binary", "multiclass", "multilabel", "probability_rows", "ordinal")

# How targets are written down (what encode_targets and check start from).
TARGET_FORMS = ("labels", "one_hot", "indicator", "probability_rows", "values")

# The problems a catalog loss is made for (LossSpec.problem_types).
LOSS_PROBLEM_TYPES = ("regression", "binary", "multiclass", "multilabel", "probabilistic")

# Which loss problem types serve each problem kind.
SERVES = {
    "regression": ("regression",), "counts": ("regression",), "binary": ("binary",),
    "multiclass": ("multiclass",), "multilabel": ("multilabel",),
    "probability_rows": ("multiclass", "probabilistic"),
    # Ordered levels: a classifier over the levels, or a regression on the level index.
    "ordinal": ("multiclass", "regression"),
}

# The kind a problem is scored as: counts are scored as regression, probability rows against
# their most probable class, as multiclass ones. Ordered levels are scored as themselves: the
# label metrics on the level predicted, mae / rmse on the level index (losslab.metrics).
SCORED_AS = {"counts": "regression", "probability_rows": "multiclass"}

# The encodings a loss may expect of y_true (LossSpec.target_encoding), in words.
TARGET_ENCODINGS = {
    "real": "real numbers",
    "non_negative": "non-negative real numbers",
    "positive": "positive real numbers",
    "counts": "non-negative counts (0, 1, 2, ...)",
    "binary_01": "binary labels in {0, 1} (or probabilities in [0, 1])",
    "binary_pm1": "binary labels in {-1, 1}",
    "one_hot": "one-hot rows (one column per class)",
    "integer_class": "integer class indices 0 .. n_classes - 1",
    "probability_rows": "probability rows (non-negative, each row sums to 1)",
    "unit_vectors": "real vectors compared by direction",
}
# Encodings whose rows are classes.
CLASS_ENCODINGS = ("one_hot", "integer_class", "probability_rows")

# The engine's layers.
HIDDEN_ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
OUTPUT_ACTIVATIONS = ("linear", "sigmoid", "tanh", "softmax", "softplus", "exponential", "relu",
                      "linear+softplus", "linear+exponential")
# What a user-defined loss may name as its output layer: the engine's single-head layers and
# log_softmax as the catalog uses it.
CUSTOM_OUTPUT_ACTIVATIONS = ("linear", "sigmoid", "tanh", "softmax", "log_softmax", "softplus", "exponential", "relu")

# The start of a note that should stop the reader, not just inform (a data column that gives
# the target away): made by ``data``, kept by ``experiment``, shown apart by ``report`` and ``cli``.
WARNING = "warning: "

# Resampling designs: how trials are drawn (experiment) and which test fits them (stats).
# "independent" is for scores of separate data (no overlap), never produced by compare.
DESIGNS = ("independent", "holdout", "kfold", "repeated_kfold", "5x2cv")


def scored_as(kind: str) -> str:
    """The problem kind ``kind`` is scored as (``counts`` -> ``regression``)."""
    return SCORED_AS.get(kind, kind)
