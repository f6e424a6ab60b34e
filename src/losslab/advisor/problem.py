"""The :class:`Problem` record: the kind of learning problem the targets describe, how they
are written, the evidence and the statistics behind it, and the thresholds that describe it
(imbalanced, heavy-tailed, spanning orders of magnitude, right-skewed).

What each kind means and how it is read from the targets is :mod:`.inference`
(:func:`~.inference.infer_problem`). Imports ``vocab``.

>>> from losslab.advisor import infer_problem
>>> p = infer_problem([0, 1, 1, 0, 1])
>>> p.kind, p.n_classes, p.imbalanced, p.to_dict()["classes"]
('binary', 2, False, [0, 1])
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..vocab import PROBLEM_KINDS, TARGET_FORMS

__all__ = ["FORMS", "KINDS", "Problem"]

KINDS = PROBLEM_KINDS
FORMS = TARGET_FORMS

#: Classes are imbalanced when the smallest class count is below this share of the
#: largest (for two classes: a minority share below 20%).
IMBALANCE_RATIO = 0.25
#: Tails are heavy when the excess kurtosis exceeds this (Gaussian 0, Laplace 3) ...
HEAVY_TAIL_KURTOSIS = 3.0
#: ... or when more than this share of the targets lies beyond OUTLIER_MADS robust
#: standard deviations (1.4826 * MAD) from the median (Gaussian: 0.27%, Laplace: 4.6%).
OUTLIER_SHARE = 0.01
OUTLIER_MADS = 3.0
#: Positive targets "span orders of magnitude" when log10(max / smallest positive) >= this
#: (wages from 1 to 44.5 span 1.65).
MAGNITUDE_ORDERS = 1.5
#: Non-negative targets are right-skewed when their skewness reaches this (|skewness| > 1:
#: "highly skewed", Bulmer, Principles of Statistics, 1979; a log-normal with sigma 0.33 has 1.0).
SKEWNESS = 1.0


@dataclasses.dataclass(frozen=True)
class Problem:
    """The kind of problem the targets describe, with the evidence for it.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    form : str
        How the targets are written, one of :data:`FORMS`: ``"labels"`` (one label per
        sample), ``"one_hot"``, ``"indicator"`` (multi-label 0/1 columns),
        ``"probability_rows"`` or ``"values"`` (numbers to regress on).
    evidence : str
        One sentence saying why, e.g. ``"binary: 2 distinct values {0, 1}, 212 / 357"``.
    n_samples, n_columns : int
        Rows, and columns of the target (1 for a single column).
    n_distinct : int
        Distinct values (distinct rows for one-hot and probability rows).
    classes, class_counts : tuple or None
        Classification only: the class labels (sorted, or in categorical order; column
        labels for one-hot and multi-label targets) and how many samples have each
        (positives per label for multi-label targets).
    minority_share : float or None
        Share of the smallest class (multi-label: of the rarest label, positive or
        negative side).
    imbalance_ratio : float or None
        Smallest over largest class count (multi-label: the smallest over labels of
        min(positives, negatives) / max(positives, negatives)).
    min, max, median : float or None
        Smallest, largest and median target value (numeric targets; with several
        columns the median is the smallest column median).
    std : float or None
        Standard deviation of the targets (with several columns, the largest column's).
    integer_valued : bool or None
        Whether every numeric target is a whole number (1.0 counts).
    skewness, excess_kurtosis, outlier_share, orders_of_magnitude, zero_share : float or None
        Regression and counts: the moments of the targets, the share beyond
        :data:`OUTLIER_MADS` robust standard deviations from the median, log10 of
        max / smallest positive value (None without positive values), the share of
        zeros. With several columns, the most extreme column's value.
    notes : tuple of str
        Ambiguities and hints (``"if these are class labels, pass kind='multiclass'"``).
    """

    kind: str
    form: str
    evidence: str
    n_samples: int
    n_columns: int
    n_distinct: int
    classes: tuple | None = None
    class_counts: tuple[int, ...] | None = None
    minority_share: float | None = None
    imbalance_ratio: float | None = None
    min: float | None = None
    max: float | None = None
    median: float | None = None
    std: float | None = None
    integer_valued: bool | None = None
    skewness: float | None = None
    excess_kurtosis: float | None = None
    outlier_share: float | None = None
    orders_of_magnitude: float | None = None
    zero_share: float | None = None
    notes: tuple[str, ...] = ()

    @property
    def n_classes(self) -> int | None:
        """Number of classes (labels for multi-label targets); None for regression and counts."""
        return None if self.classes is None else len(self.classes)

    @property
    def is_classification(self) -> bool:
        return self.kind in ("binary", "multiclass", "multilabel", "probability_rows")

    @property
    def imbalanced(self) -> bool:
        """Whether the smallest class is under IMBALANCE_RATIO of the largest."""
        return self.imbalance_ratio is not None and self.imbalance_ratio < IMBALANCE_RATIO

    @property
    def heavy_tailed(self) -> bool:
        """Whether the excess kurtosis or the share of far points says outliers."""
        return bool(
            (self.excess_kurtosis is not None and self.excess_kurtosis > HEAVY_TAIL_KURTOSIS)
            or (self.outlier_share is not None and self.outlier_share > OUTLIER_SHARE)
        )

    @property
    def spans_magnitudes(self) -> bool:
        """Whether non-negative targets span MAGNITUDE_ORDERS orders of magnitude or more."""
        return bool(
            self.min is not None and self.min >= 0
            and self.orders_of_magnitude is not None and self.orders_of_magnitude >= MAGNITUDE_ORDERS
        )

    @property
    def right_skewed(self) -> bool:
        """Whether non-negative targets are skewed (skewness >= SKEWNESS) or span MAGNITUDE_ORDERS."""
        if self.min is None or self.min < 0 or not self.max or self.max <= 0:
            return False
        return bool((self.skewness is not None and self.skewness >= SKEWNESS) or self.spans_magnitudes)

    @property
    def looks_like_counts(self) -> bool:
        """Non-negative integers whose smallest value lies within one standard deviation of 0,
        as event counts do; integer measurements far from 0 (weights of 115 .. 164 lb, salaries)
        do not."""
        return bool(self.integer_valued and self.min is not None and self.min >= 0
                    and self.std is not None and self.min < self.std)

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain Python values (JSON-ready)."""
        out = dataclasses.asdict(self)
        for key in ("classes", "class_counts", "notes"):
            if out[key] is not None:
                out[key] = list(out[key])
        return out

    def __str__(self) -> str:
        return self.evidence

