"""``get()``: one entry point from whatever names a loss to its :class:`LossSpec`.

The only module that imports :mod:`.composite` and :mod:`.custom`: the registry below it
knows catalog names only, so nothing in the catalog depends on expressions or user code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import expression, registry
from .composite import composite
from .custom import custom, load
from .spec import LossSpec

_EXPRESSION_CHARS = set("*+:()=[]")
# "file.py:function" or "package.module:function", and nothing else around it.
_REFERENCE = re.compile(r"^[^*+()=\[\]]+:[A-Za-z_]\w*$")


def get(loss: str | LossSpec | Callable, **params: Any) -> LossSpec:
    """The :class:`LossSpec` for a name, alias, spec, function, reference or expression.

    Lookup ignores case, underscores, hyphens and spaces, so Keras strings (``"mse"``,
    ``"kld"``, ``"kullback_leibler_divergence"``), Keras and PyTorch class names
    (``"MeanSquaredError"``, ``"BCEWithLogitsLoss"``) and our names all work. Beyond the
    catalog, ``get`` takes what users write anywhere a loss is named:

    - a function ``(y_true, y_pred) -> per-sample loss``: :func:`losslab.losses.custom`;
    - ``"file.py:function"`` or ``"package.module:function"``: :func:`losslab.losses.load`
      (these two forms, and only these, run a user's code);
    - an expression such as ``"0.7*mse+0.3*mae"`` or ``"mse+w*huber(delta=2)"``:
      :func:`losslab.losses.composite`, with ``params`` giving the symbols' values.

    ``params`` override the hyperparameters of a name, function or reference.

    Examples
    --------
    >>> from losslab import losses
    >>> losses.get("KLD").name
    'kl_divergence'
    >>> losses.get("BCEWithLogitsLoss").takes_logits
    True
    >>> losses.get("mse+w*mae", w=0.3).name
    'mean_squared_error+0.3*mean_absolute_error'
    """
    if isinstance(loss, LossSpec):
        return loss.with_params(**params) if params else loss
    if callable(loss) and not isinstance(loss, type):
        spec = custom(loss)
        return spec.with_params(**params) if params else spec
    if not isinstance(loss, str):
        raise TypeError(f"expected loss to be a name (str), a LossSpec or a function. Received: loss of type {type(loss).__name__}.")
    # Characters no catalog name holds: a reference to a user's function, or an expression.
    if _EXPRESSION_CHARS & set(loss) or loss.strip().startswith("-"):
        if len(loss) <= expression.MAX_LENGTH and _REFERENCE.match(loss.strip()):
            spec = load(loss)
            return spec.with_params(**expression.coerce(spec.name, params, spec.params)) if params else spec
        return composite(loss, **params)
    spec = registry.lookup(loss)
    if spec is None:
        if re.search(r"[-/]|^\s*[\d.]", loss):
            # Not a hyphenated name ("kullback-leibler-divergence") but a difference, a ratio or a bare weight:
            # composite says what is wrong with it.
            return composite(loss, **params)
        return registry.find(loss)  # the unknown-name error, with close names
    return spec.with_params(**params) if params else spec
