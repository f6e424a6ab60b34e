"""losslab: choose the loss function (and the output layer that goes with it), and show the evidence.

>>> import losslab
>>> losslab.losses.get("bce").name
'binary_crossentropy'
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import losses  # noqa: E402  (NumPy only; torch is imported when first needed)

_API = {"reproduce": "api", "compare": "api", "plan_study": "api", "compare_suite": "api", "load_suite": "api", "load_study": "api", "repair": "api", "landscape": "api", "recommend": "api", "check": "api",
        # @losslab.loss(problem=..., output=...): marks a user's torch function as a loss (losses.custom reads it).
        "loss": "losses"}

__all__ = ["losses", "__version__", *_API]


def __getattr__(name: str):
    # The API's entry points load on first use, so `import losslab` stays light.
    if name in _API:
        import importlib

        return getattr(importlib.import_module(f".{_API[name]}", __name__), name)
    raise AttributeError(f"module 'losslab' has no attribute {name!r}")
