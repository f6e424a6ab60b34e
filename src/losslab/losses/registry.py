"""The catalog's registry: canonical names, aliases, lookup by name and the catalog table.

It imports only :mod:`.spec`: expressions, references to users' functions and functions
themselves are resolved one floor up, by :func:`losslab.losses.lookup.get`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from .spec import LossSpec

_SPECS: dict[str, LossSpec] = {}
# key(alias) -> (canonical name, parameter overrides)
_ALIASES: dict[str, tuple[str, Mapping[str, Any]]] = {}


def key(name: str) -> str:
    """The form names are compared in: 'mean_squared_error', 'MeanSquaredError' and
    'Mean squared error' are one name.

    >>> key("Mean_Squared-Error")
    'meansquarederror'
    """
    return "".join(ch for ch in name.lower() if ch.isalnum())


def register(spec: LossSpec, *, param_aliases: Mapping[str, Mapping[str, Any]] | None = None) -> LossSpec:
    """Add ``spec`` under its name and aliases; ``param_aliases`` maps a name to parameter
    overrides (``{"BCEWithLogitsLoss": {"from_logits": True}}``)."""
    if spec.name in _SPECS:
        raise ValueError(f"loss {spec.name!r} is registered twice")
    entries = [(spec.name, {}), (spec.title, {})] + [(a, {}) for a in spec.aliases]
    entries += [(a, dict(p)) for a, p in (param_aliases or {}).items()]
    for alias, overrides in entries:
        taken = _ALIASES.get(key(alias))
        if taken is not None and taken != (spec.name, overrides):
            raise ValueError(f"alias {alias!r} of {spec.name!r} is already taken by {taken[0]!r}")
    _SPECS[spec.name] = spec
    for alias, overrides in entries:
        _ALIASES[key(alias)] = (spec.name, overrides)
    return spec


def lookup(name: str) -> LossSpec | None:
    """The catalog spec a name or alias stands for (with the alias's parameters), or ``None``.

    >>> lookup("BCEWithLogitsLoss").takes_logits, lookup("no such loss")
    (True, None)
    """
    hit = _ALIASES.get(key(name))
    if hit is None:
        return None
    canonical, overrides = hit
    spec = _SPECS[canonical]
    return spec.with_params(**overrides) if overrides else spec


def canonical(name: str) -> str | None:
    """The canonical name of a catalog name or alias, or ``None``."""
    hit = _ALIASES.get(key(name))
    return None if hit is None else hit[0]


def suggest(name: str) -> str:
    """`` Did you mean ...?`` with up to three close catalog names, or ``""``."""
    close = difflib.get_close_matches(key(name), list(_ALIASES), n=3, cutoff=0.6)
    hits = {_ALIASES[c][0] for c in close}
    return f" Did you mean {', '.join(sorted(hits))}?" if hits else ""


def names() -> list[str]:
    """Canonical names of every loss in the catalog, sorted."""
    return sorted(_SPECS)


def specs() -> list[LossSpec]:
    return [_SPECS[n] for n in names()]


def find(name: str, **params: Any) -> LossSpec:
    """The catalog loss called ``name`` (any alias), with ``params`` overriding its hyperparameters.

    Raises
    ------
    ValueError
        For a name the catalog does not hold, with close names.
    """
    spec = lookup(name)
    if spec is None:
        raise ValueError(f"unknown loss {name!r}.{suggest(name)} Run `losslab losses` for the catalog.")
    return spec.with_params(**params) if params else spec


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
