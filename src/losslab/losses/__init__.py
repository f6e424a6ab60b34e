"""The loss catalog: every supervised loss of Keras 3 and PyTorch, under their names too.

>>> from losslab import losses
>>> spec = losses.get("mse")
>>> spec.name, spec.output_activations, spec.target_encoding
('mean_squared_error', ('linear',), 'real')
>>> spec.numpy([0.0, 1.0], [1.0, 1.0])
0.5
"""

from __future__ import annotations

from . import regression  # noqa: F401  (registers its losses)
from ._registry import catalog, get, names, register, specs
from ._spec import PROBLEM_TYPES, TARGET_ENCODINGS, LossSpec

__all__ = ["LossSpec", "PROBLEM_TYPES", "TARGET_ENCODINGS", "catalog", "get", "names", "register", "specs"]
