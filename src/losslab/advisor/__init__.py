"""The advisor: what kind of problem the targets describe, which loss and output layer
fit it, which setups cannot work, and the targets encoded as the loss wants them.

>>> from losslab.advisor import recommend, check
>>> rec = recommend(["spam", "ham", "ham", "spam", "ham"])
>>> rec.primary.loss, rec.primary.output_activation
('binary_crossentropy', 'sigmoid')
>>> rec.primary.encode
"map {'ham', 'spam'} -> {0, 1}: y = (y == 'spam').astype(float)"
"""

from .check import SetupError, check
from .encode import EncodedTargets, encode_targets
from .how_to import how_to_encode
from .inference import COUNTS_MAX_MINIMUM, KIND_ALIASES, MAX_CLASSES, MIN_CLASS_COUNT, infer_problem
from .problem import (
    HEAVY_TAIL_KURTOSIS,
    IMBALANCE_RATIO,
    KINDS,
    MAGNITUDE_ORDERS,
    OUTLIER_MADS,
    OUTLIER_SHARE,
    SKEWNESS,
    Problem,
)
from .choices import Choice, Recommendation
from .recommend import recommend
from .targets import ROW_SUM_ATOL

__all__ = [
    "COUNTS_MAX_MINIMUM", "HEAVY_TAIL_KURTOSIS", "IMBALANCE_RATIO", "KIND_ALIASES", "KINDS", "MAGNITUDE_ORDERS", "MAX_CLASSES",
    "MIN_CLASS_COUNT", "OUTLIER_MADS", "OUTLIER_SHARE", "ROW_SUM_ATOL", "SKEWNESS",
    "Choice", "EncodedTargets", "Problem", "Recommendation", "SetupError",
    "check", "encode_targets", "how_to_encode", "infer_problem", "recommend",
]
