"""The catalog's registry: canonical names, aliases, lookup and the catalog table."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from ._spec import LossSpec

_SPECS: dict[str, LossSpec] = {}
_EXPRESSION_CHARS = set("*+:()=[]")
# "file.py:function" or "package.module:function", and nothing else around it.
_REFERENCE = re.compile(r"^[^*+()=\[\]]+:[A-Za-z_]\w*$")
# normalized alias -> (canonical name, parameter overrides)
_ALIASES: dict[str, tuple[str, Mapping[str, Any]]] = {}


def _key(name: str) -> str:
    # 'mean_squared_error', 'MeanSquaredError' and 'Mean squared error' are one name.
    return "".join(ch for ch in name.lower() if ch.isalnum())


def register(spec: LossSpec, *, param_aliases: Mapping[str, Mapping[str, Any]] | None = None) -> LossSpec:
    """Add ``spec`` under its name and aliases; ``param_aliases`` maps a name to parameter
    overrides (``{"BCEWithLogitsLoss": {"from_logits": True}}``)."""
    if spec.name in _SPECS:
        raise ValueError(f"loss {spec.name!r} is registered twice")
    _SPECS[spec.name] = spec
    entries = [(spec.name, {}), (spec.title, {})] + [(a, {}) for a in spec.aliases]
    entries += [(a, dict(p)) for a, p in (param_aliases or {}).items()]
    for alias, overrides in entries:
        key = _key(alias)
        if key in _ALIASES and _ALIASES[key] != (spec.name, overrides):
            raise ValueError(f"alias {alias!r} of {spec.name!r} is already taken by {_ALIASES[key][0]!r}")
        _ALIASES[key] = (spec.name, overrides)
    return spec


def suggest(name: str) -> str:
    """`` Did you mean ...?`` with up to three close catalog names, or ``""``."""
    close = difflib.get_close_matches(_key(name), list(_ALIASES), n=3, cutoff=0.6)
    hits = {_ALIASES[c][0] for c in close}
    return f" Did you mean {', '.join(sorted(hits))}?" if hits else ""


def names() -> list[str]:
    """Canonical names of every loss in the catalog, sorted."""
    return sorted(_SPECS)


def specs() -> list[LossSpec]:
    return [_SPECS[n] for n in names()]


def get(loss: str | LossSpec, **params: Any) -> LossSpec:
    """The :class:`LossSpec` for a name, alias, spec, function, reference or expression.

    Lookup ignores case, underscores, hyphens and spaces, so Keras strings (``"mse"``,
    ``"kld"``, ``"kullback_leibler_divergence"``), Keras and PyTorch class names
    (``"MeanSquaredError"``, ``"BCEWithLogitsLoss"``) and our names all work. Beyond the
    catalog, ``get`` takes what users write anywhere a loss is named:

    - a function ``(y_true, y_pred) -> per-sample loss``: :func:`losslab.losses.custom`;
    - ``"file.py:function"`` or ``"package.module:function"``: :func:`losslab.losses.load`;
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
        from .custom import custom

        spec = custom(loss)
        return spec.with_params(**params) if params else spec
    if not isinstance(loss, str):
        raise TypeError(f"expected loss to be a name (str), a LossSpec or a function. Received: loss of type {type(loss).__name__}.")
    # Characters no catalog name holds: a reference to a user's function, or an expression.
    if _EXPRESSION_CHARS & set(loss) or loss.strip().startswith("-"):
        if _REFERENCE.match(loss.strip()):
            from .custom import load

            spec = load(loss)
            return spec.with_params(**params) if params else spec
        from .composite import composite

        return composite(loss, **params)
    hit = _ALIASES.get(_key(loss))
    if hit is None:
        if re.search(r"[-/]|^\s*[\d.]", loss):
            # Not a hyphenated name ("kullback-leibler-divergence") but a difference, a ratio or a bare weight:
            # composite says what is wrong with it.
            from .composite import composite

            return composite(loss, **params)
        raise ValueError(f"unknown loss {loss!r}.{suggest(loss)} Run `losslab losses` for the catalog.")
    name, overrides = hit
    spec = _SPECS[name]
    merged = {**overrides, **params}
    return spec.with_params(**merged) if merged else spec


def catalog():
    """Every loss and its metadata as a pandas DataFrame, one row per loss."""
    import pandas as pd

    rows = []
    for spec in specs():
        rows.append(
            {
                "name": spec.name,
                "title": spec.title,
                "problem_types": ", ".join(spec.problem_types),
                "output_activations": ", ".join(spec.activations),
                "target_encoding": spec.target_encoding,
                "target_domain": spec.target_domain,
                "prediction_domain": spec.prediction_domain,
                "takes_logits": spec.takes_logits,
                "params": ", ".join(f"{k}={v!r}" for k, v in spec.params.items()),
                "keras": spec.keras_factory is not None,
                "pytorch": spec.torch_factory is not None,
                "aliases": ", ".join(spec.aliases),
            }
        )
    return pd.DataFrame(rows).set_index("name")
