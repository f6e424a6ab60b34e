"""What the losses of one family share, written once.

Each helper registers a :class:`LossSpec` with its family's fields filled in; a loss gives
only what is its own (name, formula, kernels, references) and any field it differs in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .registry import register
from .spec import LossSpec

REAL = "(-inf, inf)"
PROBABILITY_ROWS = "one-hot or probability rows (non-negative, each sums to 1)"
CLASS_INDICES = "integer class indices 0 .. k-1"
SOFTMAX_OR_LOGITS = "probability rows (softmax); any real logits with from_logits=True"


def family(**shared: Any) -> Callable[..., LossSpec]:
    """A register function whose specs start from ``shared`` fields.

    >>> regression_loss = family(problem_types=("regression",), target_encoding="real")
    >>> callable(regression_loss)
    True
    """

    def add(*, param_aliases: Mapping[str, Mapping[str, Any]] | None = None, **fields: Any) -> LossSpec:
        return register(LossSpec(**{**shared, **fields}), param_aliases=param_aliases)

    return add


# Regression: real targets, a linear output; element-wise losses averaged over the k outputs.
regression = family(problem_types=("regression",), activations=("linear",), target_encoding="real",
                    target_domain=REAL, prediction_domain=REAL)
# Binary and multi-label with a sigmoid output (or logits).
sigmoid = family(problem_types=("binary", "multilabel"), activations=("sigmoid",), target_encoding="binary_01",
                 target_domain="[0, 1] (labels 0 and 1, or probabilities)",
                 prediction_domain="[0, 1] probabilities; any real logit with from_logits=True")
# Binary margins: labels -1 and 1, scores.
margin = family(problem_types=("binary", "multilabel"), activations=("tanh", "linear"), target_encoding="binary_pm1",
                target_domain="{-1, 1}", prediction_domain="(-inf, inf) scores (tanh keeps them in [-1, 1])")
# Multi-label rows of 0 and 1 against linear scores (PyTorch's multi-label losses).
multilabel = family(activations=("linear",), target_encoding="binary_01")
# Multi-class with a softmax output (or logits): one-hot / probability rows, or class indices.
softmax_rows = family(problem_types=("multiclass",), activations=("softmax",), target_encoding="one_hot",
                      target_domain=PROBABILITY_ROWS, prediction_domain=SOFTMAX_OR_LOGITS)
softmax_indices = family(problem_types=("multiclass",), activations=("softmax",), target_encoding="integer_class",
                         target_domain=CLASS_INDICES, prediction_domain=SOFTMAX_OR_LOGITS, shape_rule="class_index")
# Multi-class losses on other outputs (log-probabilities, scores, probability targets).
multiclass = family(problem_types=("multiclass",))
class_indices = family(problem_types=("multiclass",), target_encoding="integer_class", target_domain=CLASS_INDICES,
                       shape_rule="class_index")
# Overlap of rows of probabilities with multi-hot or one-hot rows (segmentation).
overlap = family(problem_types=("multilabel", "multiclass"), activations=("sigmoid", "softmax"), target_encoding="binary_01",
                 target_domain="[0, 1] (multi-hot or one-hot rows)", prediction_domain="[0, 1] probabilities")
# Likelihoods of distributions over the targets.
probabilistic = family(problem_types=("regression",))
