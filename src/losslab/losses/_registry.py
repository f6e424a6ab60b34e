"""The catalog's registry: canonical names, aliases, lookup and the catalog table."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from ._spec import LossSpec

_SPECS: dict[str, LossSpec] = {}
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


def names() -> list[str]:
    """Canonical names of every loss in the catalog, sorted."""
    return sorted(_SPECS)


def specs() -> list[LossSpec]:
    return [_SPECS[n] for n in names()]


def get(loss: str | LossSpec, **params: Any) -> LossSpec:
    """The :class:`LossSpec` for a name, alias or spec; ``params`` override its hyperparameters.

    Lookup ignores case, underscores, hyphens and spaces, so Keras strings (``"mse"``,
    ``"kld"``, ``"kullback_leibler_divergence"``), Keras and PyTorch class names
    (``"MeanSquaredError"``, ``"BCEWithLogitsLoss"``) and our names all work.

    Examples
    --------
    >>> from losslab import losses
    >>> losses.get("KLD").name
    'kl_divergence'
    >>> losses.get("BCEWithLogitsLoss").takes_logits
    True
    """
    if isinstance(loss, LossSpec):
        return loss.with_params(**params) if params else loss
    if not isinstance(loss, str):
        raise TypeError(f"expected loss to be a name (str) or a LossSpec. Received: loss of type {type(loss).__name__}.")
    hit = _ALIASES.get(_key(loss))
    if hit is None:
        close = difflib.get_close_matches(_key(loss), list(_ALIASES), n=3, cutoff=0.6)
        suggest = {_ALIASES[c][0] for c in close}
        hint = f" Did you mean {', '.join(sorted(suggest))}?" if suggest else ""
        raise ValueError(f"unknown loss {loss!r}.{hint} Run `losslab losses` for the catalog.")
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
