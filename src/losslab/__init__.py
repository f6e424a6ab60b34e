"""losslab: choose the loss function (and the output layer that goes with it), and show the evidence."""

from __future__ import annotations

__version__ = "0.1.0"

from . import losses  # noqa: E402  (NumPy only; torch is imported when first needed)

__all__ = ["losses", "__version__"]
