"""Targets as a loss wants them, and network outputs back as the user's labels.

:func:`encode_targets` turns ``y`` into the encoding named by the loss's
``target_encoding`` (see :data:`losslab.losses.TARGET_ENCODINGS`):

==================  ==========================================================
binary_01           two labels -> 0.0 / 1.0 (classes sorted, the second positive);
                    0/1 columns (multi-label) pass through; soft targets in [0, 1] too
binary_pm1          two labels -> -1.0 / +1.0; 0/1 columns -> 2*y - 1
one_hot             labels -> one-hot float rows; one-hot or probability rows pass through
integer_class       labels -> int64 indices 0 .. k-1; one-hot rows -> their argmax
probability_rows    labels -> one-hot rows; one-hot or probability rows pass through
real, unit_vectors  float64, unchanged
non_negative,       float64, checked: >= 0 (counts, non_negative) or > 0 (positive)
counts, positive
==================  ==========================================================

:meth:`EncodedTargets.decode` reads outputs the way the loss's output layer writes
them: a sigmoid unit is positive above 0.5; a logit (``from_logits=True``), a tanh or
linear unit trained on {-1, 1} targets, above 0; softmax outputs and logits alike by
their argmax. Single-label targets decode to labels in the user's label space (for
one-hot input: the column labels, or 0 .. k-1); multi-label targets to 0/1 columns of
the input's dtype.

The one-line instructions for doing the same by hand are :mod:`.how_to`. Imports
``losses`` and the advisor's ``inference``, ``problem`` and ``targets``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .. import losses
from ..losses import LossSpec
from .inference import infer_problem
from .problem import Problem
from .targets import Targets, form_2d, plain, read_targets, show

CLASS_ENCODINGS = ("binary_01", "binary_pm1", "one_hot", "integer_class", "probability_rows")
VALUE_ENCODINGS = ("real", "non_negative", "positive", "counts", "unit_vectors")


# ---------------------------------------------------------------- encoded targets
def _softmax(z: np.ndarray) -> np.ndarray:
    # Subtracting the row maximum keeps exp finite for logits up to +-1e308.
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # exp(-|z|) never overflows; the two branches are the same function.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


@dataclasses.dataclass(frozen=True, eq=False)
class EncodedTargets:
    """``y`` encoded for one loss, and the way back from that loss's outputs.

    Attributes
    ----------
    values : np.ndarray
        Targets ready for the loss: float64, or int64 class indices.
    classes : tuple or None
        Class labels in order (the order of output units; for binary encodings the
        second is the positive class); None for regression targets.
    output_units : int
        Units the output layer needs.
    loss : str
        Canonical name of the loss.
    target_encoding : str
        The encoding of ``values`` (the loss's ``target_encoding``).
    from_logits : bool
        Whether the loss reads outputs as logits (decoding thresholds at 0, not 0.5).
    multilabel : bool
        Whether the user's targets were 0/1 columns (decode returns 0/1 columns).
    """

    values: np.ndarray
    classes: tuple | None
    output_units: int
    loss: str
    target_encoding: str
    from_logits: bool = False
    multilabel: bool = False
    _labels: np.ndarray | None = dataclasses.field(default=None, repr=False)
    _label_dtype: Any = dataclasses.field(default=None, repr=False)
    _mean_var: bool = dataclasses.field(default=False, repr=False)

    def _outputs(self, outputs: Any, arg: str = "outputs") -> np.ndarray:
        if hasattr(outputs, "detach") and hasattr(outputs, "cpu"):
            outputs = outputs.detach().cpu().numpy()
        z = np.asarray(outputs, dtype=np.float64)
        if z.ndim == 1 and self.output_units == 1:
            z = z[:, None]
        if z.ndim != 2 or z.shape[1] != self.output_units:
            raise ValueError(
                f"{self.loss}: expected {arg} of shape (n, {self.output_units}), one column per output unit. Received: {arg}.shape={z.shape}."
            )
        return z

    def _binary_probability(self, z: np.ndarray) -> np.ndarray:
        if self.target_encoding == "binary_pm1":
            raise ValueError(
                f"{self.loss}: outputs trained on {{-1, 1}} targets are margins, not probabilities. "
                "Use positive_scores(outputs) for ROC AUC; for log loss train with binary_crossentropy."
            )
        return _sigmoid(z) if self.from_logits else z

    def decode(self, outputs: Any) -> np.ndarray:
        """Predicted labels, in the user's label space, from the network's outputs.

        Parameters
        ----------
        outputs : array-like of shape (n, output_units) (or (n,) for one unit)

        Returns
        -------
        np.ndarray
            Labels of shape (n,) (multi-label: 0/1 columns of shape (n, k)); regression:
            the outputs as floats (the mean columns for a mean/variance loss).
        """
        z = self._outputs(outputs)
        enc = self.target_encoding
        if self._labels is None:  # regression
            z = z[:, : self.output_units // 2] if self._mean_var else z
            return z[:, 0] if z.shape[1] == 1 else z
        if enc in ("binary_01", "binary_pm1"):
            # Sigmoid outputs are probabilities (cut at 0.5); logits, tanh and linear margins cut at 0.
            threshold = 0.0 if (self.from_logits or enc == "binary_pm1") else 0.5
            positive = z > threshold
            if self.multilabel:
                return positive.astype(self._label_dtype)
            return self._labels[positive[:, 0].astype(np.int64)]
        # softmax outputs and logits have the same argmax
        return self._labels[np.argmax(z, axis=1)]

    def probabilities(self, outputs: Any) -> np.ndarray:
        """Class probabilities from the outputs, for log loss: shape (n, k) in class order
        (binary: columns P(negative), P(positive); multi-label: P(label) per column)."""
        z = self._outputs(outputs)
        enc = self.target_encoding
        if self._labels is None:
            raise ValueError(f"{self.loss}: a regression loss has no class probabilities.")
        if enc in ("binary_01", "binary_pm1"):
            p = self._binary_probability(z)
            return p if self.multilabel else np.column_stack([1.0 - p[:, 0], p[:, 0]])
        return _softmax(z) if self.from_logits else z

    def positive_scores(self, outputs: Any) -> np.ndarray:
        """A score that grows with the positive class (the second), for ROC AUC: shape (n,).

        Sigmoid units give P(positive); margins trained on {-1, 1} targets are returned as
        they are (a monotone score); two softmax units give the second probability.
        """
        z = self._outputs(outputs)
        if self._labels is None or self.multilabel or len(self._labels) != 2:
            raise ValueError(f"{self.loss}: positive_scores is for binary targets (two classes). Use probabilities(outputs).")
        if self.target_encoding == "binary_pm1":
            return z[:, 0]
        if self.target_encoding == "binary_01":
            return self._binary_probability(z)[:, 0]
        return self.probabilities(z)[:, 1]

    def class_indices(self) -> np.ndarray | None:
        """The class index (position in ``classes``) of every row, int64; None for
        regression and multi-label targets."""
        if self.classes is None or self.multilabel:
            return None
        v = self.values
        if self.target_encoding == "binary_01":
            return (v.reshape(-1) > 0.5).astype(np.int64)
        if self.target_encoding == "binary_pm1":
            return (v.reshape(-1) > 0).astype(np.int64)
        if v.ndim == 2:
            return v.argmax(axis=1).astype(np.int64)
        return v.astype(np.int64)

    def perfect_outputs(self) -> np.ndarray:
        """Outputs that a perfect network would produce for these targets (for tests and
        sanity checks): ``decode(perfect_outputs())`` gives back the user's labels."""
        v = self.values
        if self._labels is None:
            return v if not self._mean_var else np.column_stack([v.reshape(v.shape[0], -1), np.ones((v.shape[0], self.output_units // 2))])
        if self.target_encoding == "integer_class":
            onehot = np.eye(self.output_units)[v]
            return 20.0 * onehot - 10.0 if self.from_logits else onehot
        if self.target_encoding in ("binary_01",) and self.from_logits:
            return np.where(v > 0.5, 10.0, -10.0)
        if self.target_encoding in ("one_hot", "probability_rows") and self.from_logits:
            return 20.0 * v - 10.0
        return v

    def to_dict(self) -> dict[str, Any]:
        return {"loss": self.loss, "target_encoding": self.target_encoding, "output_units": self.output_units,
                "classes": None if self.classes is None else list(self.classes), "from_logits": self.from_logits,
                "multilabel": self.multilabel, "shape": list(self.values.shape), "dtype": str(self.values.dtype)}


# ---------------------------------------------------------------- encoding
def _label_array(values: list[Any]) -> np.ndarray:
    """Class labels as an array: ints stay ints, strings strings; mixed types stay objects."""
    if len({type(v) for v in values}) > 1:
        arr = np.empty(len(values), dtype=object)
        arr[:] = values
        return arr
    return np.array(values)


def _class_order(t: Targets, name: str, classes: Any) -> tuple[tuple, np.ndarray]:
    """The class labels in order: given, or observed (sorted, or in categorical order)."""
    a = t.array
    if classes is None:
        if t.categories is not None:
            present = set(a.tolist())
            order = [c for c in t.categories if c in present]
        else:
            order = [plain(v) for v in np.unique(a)]
    else:
        order = [plain(c) for c in (classes.tolist() if hasattr(classes, "tolist") else list(classes))]
        if len(set(order)) != len(order):
            raise ValueError(f"{name}: expected distinct classes. Received: classes={order!r}.")
        unknown = sorted({plain(v) for v in np.unique(a)} - set(order), key=str)
        if unknown:
            raise ValueError(f"{name}: y holds labels that are not in classes: {show(unknown)}. Received: classes={show(order)}. Add them to classes.")
    return tuple(order), _label_array(order)


def _indices(a: np.ndarray, labels: list[Any]) -> np.ndarray:
    lookup = {lab: i for i, lab in enumerate(labels)}
    return np.fromiter((lookup[plain(v)] for v in a), dtype=np.int64, count=a.shape[0])


def _check_kind(name: str, problem: Problem | None, encoding: str) -> None:
    if problem is not None and problem.kind in ("regression", "counts"):
        raise ValueError(
            f"{name}: expected class labels for a {encoding} encoding. Received: y that reads as {problem.evidence}. "
            "Use a regression loss, or pass classes=[...] if these are class labels."
        )


def encode_targets(y: Any, loss: str | LossSpec, *, classes: Any = None) -> EncodedTargets:
    """Encode ``y`` the way ``loss`` expects its targets.

    Parameters
    ----------
    y : array-like of shape (n,) or (n, k)
        Labels (numbers, strings, booleans, categoricals), 0/1 columns, one-hot or
        probability rows, or real targets.
    loss : str or LossSpec
        The loss (any name ``losses.get`` knows, e.g. ``"hinge"``, ``"BCEWithLogitsLoss"``).
    classes : sequence, optional
        The class labels in order (binary: the second is positive). Fixes the order and
        the number of output units across folds of a study, where a fold may lack a
        class. For one-hot input: the column labels.

    Returns
    -------
    EncodedTargets

    Examples
    --------
    >>> enc = encode_targets(["no", "yes", "yes"], "hinge")
    >>> enc.values, enc.classes
    (array([-1.,  1.,  1.]), ('no', 'yes'))
    >>> enc.decode([-0.3, 0.8, 2.0]).tolist()
    ['no', 'yes', 'yes']
    """
    spec = losses.get(loss)
    name, enc = spec.name, spec.target_encoding
    t = read_targets(y)
    a = t.array
    common = {"loss": name, "target_encoding": enc, "from_logits": spec.takes_logits}
    if enc in VALUE_ENCODINGS:
        return _encode_values(t, spec, common)
    problem = infer_problem(y) if classes is None else None
    if a.ndim == 2:
        return _encode_columns(t, spec, classes, common)
    if enc == "binary_01" and not t.labels and problem is not None and problem.kind == "regression" \
            and problem.min >= 0 and problem.max <= 1:
        # Soft targets: probabilities of the positive class pass through.
        labels = np.array([0.0, 1.0])
        return EncodedTargets(a.astype(np.float64), (0.0, 1.0), 1, _labels=labels, **common)
    _check_kind(name, problem, enc)
    order, labels = _class_order(t, name, classes)
    index = _indices(a, list(order))
    k = len(order)
    if enc in ("binary_01", "binary_pm1"):
        if k != 2:
            raise ValueError(
                f"{name}: expected two classes for {enc} targets. Received: {k} classes {show(order)}. "
                "Use sparse_categorical_crossentropy (softmax) for more than two classes."
            )
        values = index.astype(np.float64) if enc == "binary_01" else 2.0 * index - 1.0
        return EncodedTargets(values, order, 1, _labels=labels, **common)
    if enc == "integer_class":
        return EncodedTargets(index, order, k, _labels=labels, **common)
    return EncodedTargets(np.eye(k)[index], order, k, _labels=labels, **common)  # one_hot, probability_rows


def _encode_columns(t: Targets, spec: LossSpec, classes: Any, common: dict) -> EncodedTargets:
    name, enc = spec.name, spec.target_encoding
    if t.labels and t.array.dtype.kind != "b":
        raise ValueError(f"{name}: expected one column of labels or numeric columns. Received: {t.array.shape[1]} columns of labels.")
    x = t.array.astype(np.float64)
    n, k = x.shape
    if classes is not None:
        order = tuple(plain(c) for c in classes)
        if len(order) != k:
            raise ValueError(f"{name}: expected one class per column ({k}). Received: {len(order)} classes.")
    else:
        order = t.columns if t.columns is not None else tuple(range(k))
    labels = _label_array(list(order))
    form = form_2d(x)
    if enc in ("binary_01", "binary_pm1"):
        if enc == "binary_01" and (x.min() < 0 or x.max() > 1):
            raise ValueError(f"{name}: expected 0/1 columns (or probabilities in [0, 1]). Received: values in [{x.min():g}, {x.max():g}].")
        if enc == "binary_pm1" and form not in ("indicator", "one_hot"):
            raise ValueError(f"{name}: expected 0/1 label columns to map to {{-1, 1}}. Received: values {show(np.unique(x))}.")
        values = x if enc == "binary_01" else 2.0 * x - 1.0
        return EncodedTargets(values, order, k, multilabel=True, _labels=labels, _label_dtype=t.array.dtype, **common)
    if form == "indicator":
        raise ValueError(f"{name}: expected one class per row. Received: rows with several 1s (multi-label). Use binary_crossentropy with {k} sigmoid units.")
    if form == "values":
        raise ValueError(
            f"{name}: expected one-hot or probability rows. Received: {k} columns that are neither (negative values, or rows not summing to 1)."
        )
    if enc == "integer_class":
        if form != "one_hot":
            raise ValueError(f"{name}: expected class indices or one-hot rows. Received: soft probability rows. Use kl_divergence or categorical_crossentropy.")
        return EncodedTargets(np.argmax(x, axis=1).astype(np.int64), order, k, _labels=labels, **common)
    return EncodedTargets(x, order, k, _labels=labels, **common)  # one_hot, probability_rows


def _encode_values(t: Targets, spec: LossSpec, common: dict) -> EncodedTargets:
    name, enc = spec.name, spec.target_encoding
    if t.labels:
        raise ValueError(f"{name}: expected numeric targets for a regression loss. Received: labels of dtype {t.array.dtype} ({show(np.unique(t.array).tolist())}).")
    x = t.array.astype(np.float64)
    if enc in ("non_negative", "counts") and x.min() < 0:
        raise ValueError(f"{name}: expected targets >= 0. Received: {int((x < 0).sum())} negative value(s), e.g. {x[x < 0].ravel()[0]:g}.")
    if enc == "positive" and x.min() <= 0:
        raise ValueError(f"{name}: expected targets > 0. Received: {int((x <= 0).sum())} value(s) <= 0, e.g. {x[x <= 0].ravel()[0]:g}.")
    k = 1 if x.ndim == 1 else x.shape[1]
    mean_var = spec.shape_rule == "mean_var"
    return EncodedTargets(x, None, 2 * k if mean_var else k, _mean_var=mean_var, **common)
