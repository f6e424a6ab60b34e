"""A held-out metric: the :class:`Metric` record and its one calling convention.

:meth:`Metric.score` reads what the caller passed (labels, scores, probabilities or
predictions, see :mod:`losslab.metrics`), checks shapes and values, and words every error
under the metric's name; the computation itself is the metric's ``compute`` (see
:mod:`.compute`). Imports only ``vocab``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from ..vocab import PROBLEM_KINDS

INPUTS = {
    "labels": "predicted class labels",
    "scores": "decision scores (logits or margins)",
    "probabilities": "class probabilities",
    "predictions": "real-valued predictions",
}


@dataclasses.dataclass(frozen=True)
class Metric:
    """A held-out metric.

    Attributes
    ----------
    name : str
        Registry name (``"rmse"``, or a scikit-learn scorer name).
    title : str
        Human name.
    higher_is_better : bool
    problem_kinds : tuple of str
        Problems it applies to, from :data:`PROBLEM_KINDS`.
    needs : tuple of str
        The inputs it reads, from :data:`INPUTS`, in order of preference: the first one
        passed to :meth:`score` is used.
    sklearn : str
        The scikit-learn function (and arguments) that computes it: the provenance.
    sign : int
        ``-1`` for scikit-learn's ``neg_*`` scorers: :meth:`score` returns ``sign * value``.
    same_as : str or None
        The losslab metric that gives the same number up to ``sign``.
    """

    name: str
    title: str
    higher_is_better: bool
    problem_kinds: tuple[str, ...]
    needs: tuple[str, ...]
    sklearn: str
    compute: Callable[..., float] = dataclasses.field(repr=False, compare=False)
    sign: int = 1
    same_as: str | None = None

    def applies_to(self, problem_kind: str) -> bool:
        return check_kind(problem_kind) in self.problem_kinds

    def score(self, y_true: Any, *, labels: Any = None, scores: Any = None, probabilities: Any = None,
              predictions: Any = None, classes: Any = None) -> float:
        """The metric of a model's outputs on held-out rows.

        Parameters
        ----------
        y_true : array-like, shape (n,) or (n, k)
            True targets of the held-out rows.
        labels, scores, probabilities, predictions : array-like, optional
            What the model produced (see the module docstring); pass what you have.
        classes : array-like, optional
            The sorted class labels, in the column order of ``scores`` / ``probabilities``.
            Pass it whenever a test fold may miss a class.
        """
        given = {"labels": labels, "scores": scores, "probabilities": probabilities, "predictions": predictions}
        given = {k: v for k, v in given.items() if v is not None}
        chosen = next((k for k in self.needs if k in given), None)
        if chosen is None:
            wanted = " or ".join(f"{k}= ({INPUTS[k]})" for k in self.needs)
            received = ", ".join(f"{k}=" for k in given) or "nothing but y_true"
            raise ValueError(f"metric {self.name!r}: expected {wanted}. Received: {received}.")
        y = _to_array(self.name, "y_true", y_true)
        value = _to_array(self.name, chosen, given[chosen])
        if chosen != "labels":
            if value.dtype == bool or not np.issubdtype(value.dtype, np.number):
                raise ValueError(f"metric {self.name!r}: expected {chosen} to hold numbers. Received: dtype {value.dtype}.")
            if not np.issubdtype(value.dtype, np.floating):
                value = value.astype(np.float64)  # integer 0/1 probabilities and the like
            bad = int(np.size(value) - np.isfinite(value).sum())
            if bad:
                raise ValueError(f"metric {self.name!r}: expected finite {chosen}. Received: {bad} NaN or infinite value(s) (did training diverge?).")
        if value.shape[0] != y.shape[0]:
            raise ValueError(f"metric {self.name!r}: expected one row of {chosen} per row of y_true. Received: y_true.shape={y.shape}, {chosen}.shape={value.shape}.")
        if chosen in ("labels", "predictions"):
            # (n, 1) and (n,) hold the same column; anything else must match exactly.
            y, value = _squeeze(y), _squeeze(value)
            if y.shape != value.shape:
                raise ValueError(f"metric {self.name!r}: expected {chosen} of the same shape as y_true. Received: y_true.shape={y.shape}, {chosen}.shape={value.shape}.")
        elif y.ndim == 2 and y.shape[1] == 1:
            y = y.reshape(-1)
        try:
            result = self.compute(y, value, chosen, classes)
        except ValueError as err:
            raise ValueError(f"metric {self.name!r}: {err}") from None
        if np.isnan(result):
            raise ValueError(f"metric {self.name!r}: undefined for these rows (scikit-learn gives NaN). Check that the held-out rows hold every class.")
        return float(self.sign * result)


def _squeeze(a: np.ndarray) -> np.ndarray:
    return a.reshape(-1) if a.ndim == 2 and a.shape[1] == 1 else a


def _to_array(metric: str, arg: str, value: Any) -> np.ndarray:
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor, possibly on a GPU or requiring grad
        value = value.detach().cpu().numpy()
    array = np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value)
    if array.ndim not in (1, 2) or array.shape[0] == 0:
        raise ValueError(f"metric {metric!r}: expected {arg} of shape (n,) or (n, k) with n >= 1. Received: {arg}.shape={array.shape}.")
    return array


def check_kind(problem_kind: str) -> str:
    if problem_kind not in PROBLEM_KINDS:
        raise ValueError(f"expected problem_kind in {PROBLEM_KINDS}. Received: problem_kind={problem_kind!r}.")
    return problem_kind
