"""The loss catalog: every supervised loss of Keras 3 and PyTorch, under their names too.

>>> from losslab import losses
>>> spec = losses.get("mse")
>>> spec.name, spec.output_activations, spec.target_encoding
('mean_squared_error', ('linear',), 'real')
>>> spec.numpy([0.0, 1.0], [1.0, 1.0])
0.5

Beyond the catalog: :func:`custom` (your torch function, checked), :func:`load`
(``"file.py:function"``), :func:`composite` (``"0.7*mse+0.3*mae"``) and :func:`sweep`
(``"mse+w*mae"`` over ``w=0,0.1,0.3,1``); :func:`get` accepts all of them.
"""

from __future__ import annotations

from . import (  # noqa: F401  (register their losses)
           binary,
           multiclass,
           multiclass_margin,
           multiclass_robust,
           overlap,
           probabilistic,
           regression,
)
from .checks import check_custom
from .custom import custom, load, loss
from .lookup import composite, get, sweep
from .registry import catalog, names, register, specs
from .spec import PROBLEM_TYPES, TARGET_ENCODINGS, LossSpec

__all__ = ["LossSpec", "PROBLEM_TYPES", "TARGET_ENCODINGS", "catalog", "check_custom", "composite", "custom", "get", "load",
           "loss", "names", "register", "specs", "sweep"]
