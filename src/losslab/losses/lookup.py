"""``get()``: one entry point from whatever names a loss to its :class:`LossSpec`.

The only module that imports :mod:`.composite` and :mod:`.custom`: the registry below it
knows catalog names only, so nothing in the catalog depends on expressions or user code, and
composites reach users' files only through the loader passed to them here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import composite as _composite
from . import expression, registry
from .custom import custom, load
from .spec import LossSpec
from .values import coerce

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
    if len(loss) > expression.MAX_LENGTH:  # refused before any lookup or parse spends time on it
        raise ValueError(f"loss {expression.shown(loss)}: expected at most {expression.MAX_LENGTH:,} characters. "
                         "Name fewer losses, or compare the parts as separate candidates.")
    # Characters no catalog name holds: a reference to a user's function, or an expression.
    if _EXPRESSION_CHARS & set(loss) or loss.strip().startswith("-"):
        if _REFERENCE.match(loss.strip()):
            spec = load(loss)
            return spec.with_params(**coerce(spec.name, params, spec.params)) if params else spec
        return composite(loss, **params)
    spec = registry.lookup(loss)
    if spec is None:
        if re.search(r"[-/]|^\s*[\d.]", loss):
            # Not a hyphenated name ("kullback-leibler-divergence") but a difference, a ratio or a bare weight:
            # composite says what is wrong with it.
            return composite(loss, **params)
        return registry.find(loss)  # the unknown-name error, with close names
    return spec.with_params(**params) if params else spec


def composite(expression: str, **values: Any) -> LossSpec:
    """A weighted sum of losses, from an expression such as ``"0.7*mse+0.3*mae"``.

    Parameters
    ----------
    expression : str
        Terms ``[weight *] loss`` joined by ``+`` (the grammar is in
        :mod:`losslab.losses.expression`). Losses are catalog names or aliases with optional arguments
        (``huber(delta=2)``) or references to your functions (``my_losses.py:trimmed_mse``).
    **values
        The value of every symbol in the expression (``w=0.3``).

    Returns
    -------
    LossSpec
        Its ``name`` is the normalized expression (canonical names, symbols replaced by
        their values, ``1*`` dropped), which :func:`losslab.losses.get` reads back; its
        kernels are the weighted sums of the components' kernels (terms of weight 0 are left
        out, so ``"1*mse+0*mae"`` gives exactly ``mse``'s numbers); its output activations
        are those every component accepts. A single term of weight 1 is that loss itself.

    Raises
    ------
    ValueError
        For a syntax error, an unknown loss, a symbol without a value (or a value without a
        symbol), a negative weight, all weights 0, or components that disagree on the
        output layer or the target encoding.

    Examples
    --------
    >>> from losslab import losses
    >>> spec = losses.composite("0.7*mse+0.3*mae")
    >>> spec.name, spec.output_activations
    ('0.7*mean_squared_error+0.3*mean_absolute_error', ('linear',))
    >>> round(spec.numpy([0.0, 0.0], [1.0, 3.0]), 6)   # 0.7 * 5 + 0.3 * 2
    4.1
    >>> losses.composite("mse+w*huber(delta=2)", w=0.5).name
    'mean_squared_error+0.5*huber(delta=2)'
    >>> losses.composite("mse+bce")
    Traceback (most recent call last):
    ...
    ValueError: composite 'mse+bce': mean_squared_error and binary_crossentropy cannot be summed: ...
    """
    return _composite.build(expression, values, load)


def sweep(expression: str, grid: str | Mapping[str, Sequence[Any]], **values: Any) -> list[LossSpec]:
    """One composite loss per value of a symbol: candidates for choosing a weight by comparison.

    Parameters
    ----------
    expression : str
        As in :func:`composite`, with at least one symbol (``"mse+w*mae"``).
    grid : str or mapping
        ``"w=0,0.1,0.3,1"``; several symbols separated by ``;`` give every combination
        (``"w=0,1;d=1,2"``, first symbol slowest); or ``{"w": [0, 0.1, 0.3, 1]}``.
    **values
        Symbols held fixed across the sweep.

    Returns
    -------
    list of LossSpec
        In the order of the grid; each named by its normalized expression.

    Examples
    --------
    >>> from losslab import losses
    >>> [s.name for s in losses.sweep("mse+w*mae", "w=0,0.1,1")]
    ['mean_squared_error+0*mean_absolute_error', 'mean_squared_error+0.1*mean_absolute_error', 'mean_squared_error+mean_absolute_error']
    """
    return _composite.build_sweep(expression, grid, values, load)
