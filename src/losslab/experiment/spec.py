"""What a study runs: frozen dataclasses, validated on construction.

A :class:`StudySpec` is everything that decides a study's numbers: the data (by name
or path and target), the candidate losses, the metric, the resampling and the model. Two
runs with equal specs on equal data give equal numbers, which is what lets the store
resume a study and refuse to mix two different ones.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
from collections.abc import Sequence
from typing import Any

from .. import losses
from ..losses.values import canonical, coerce, short

OPTIMIZERS = ("sgd", "adam")
SPLITS = ("holdout", "kfold", "repeated_kfold", "5x2")


@dataclasses.dataclass(frozen=True)
class Candidate:
    """A candidate loss: a catalog name (or expression, or ``file.py:function``) and its
    parameters (``huber`` with ``delta=2.0``). ``origin`` holds a user-defined function's
    source hash, so a resumed study cannot silently mix two versions of it, and ``sources``
    the hash of each file (and of the function's values) behind it.

    Parameters are held in one canonical form (sorted, lists as tuples, NumPy numbers as
    Python ones), so a candidate read back from a stored study equals the one that wrote it
    and has the same label."""

    name: str
    params: tuple[tuple[str, Any], ...] = ()
    origin: str = ""
    # The LossSpec of user code (a function, a file, a composite with either): kept as given, the version hashed.
    given: Any = dataclasses.field(default=None, compare=False, repr=False)
    sources: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", tuple(sorted((str(k), canonical(v)) for k, v in self.params)))
        object.__setattr__(self, "sources", tuple(sorted((str(k), str(v)) for k, v in dict(self.sources).items())))

    @classmethod
    def parse(cls, text: str | losses.LossSpec | Candidate) -> Candidate:
        """``"huber"``, ``"huber(delta=2)"``, ``"BCEWithLogitsLoss"``, an expression, a reference or a LossSpec.

        The text is read by :mod:`losslab.losses.expression`, the one parser of loss text.
        """
        if isinstance(text, Candidate):
            return text
        spec = losses.get(text.strip() if isinstance(text, str) else text)
        sources = tuple(spec.sources.items())
        if spec.origin:
            # User code: keep the very spec whose code was hashed, so the trials run the version the study
            # records (reading the file again could find another), and compare with the function's own defaults.
            defaults = _defaults(spec.torch_kernel)
            changed = {k: v for k, v in spec.params.items() if canonical(defaults.get(k, _NONE)) != canonical(v)}
            return cls(spec.name, tuple(coerce(spec.name, changed, defaults).items()), spec.origin, spec, sources)
        base = losses.get(spec.name)
        changed = {k: v for k, v in spec.params.items() if canonical(base.params.get(k)) != canonical(v)}
        return cls(spec.name, tuple(coerce(spec.name, changed, base.params).items()), spec.origin, sources=sources)

    @property
    def spec(self) -> losses.LossSpec:
        if self.given is not None:
            return self.given
        return losses.get(self.name, **dict(self.params))

    @property
    def label(self) -> str:
        """How reports name it: ``huber`` or ``huber(delta=2.0)``, floats to 4 significant
        digits (``binary_crossentropy(pos_weight=28.57)``)."""
        if not self.params:
            return self.name
        return f"{self.name}({', '.join(f'{k}={short(v)}' for k, v in self.params)})"


_NONE = object()


def _defaults(fn: Any) -> dict[str, Any]:
    """The hyperparameters of a user's loss function as it defines them: parameters after
    (y_true, y_pred) with their defaults (a composite's kernel has none)."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())[2:]
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


PROTOCOLS = ("tuned", "fixed")
# The tuned protocol's learning-rate grid: log-spaced, a factor of about 3 apart.
DEFAULT_LR_GRID = (1e-3, 3e-3, 1e-2, 3e-2)


@dataclasses.dataclass(frozen=True)
class Model:
    """The MLP trained for every trial and how it trains.

    ``protocol="fixed"`` (this class's default, and a study stored before protocols
    existed): every loss trains with one learning rate for ``epochs`` epochs (early
    stopping only with ``patience``). ``protocol="tuned"``: inside each trial a
    ``validation_split`` share of the training rows chooses, per loss, the learning rate
    from ``lr`` (a grid; :data:`DEFAULT_LR_GRID` when not given) and, with ``patience``, the
    stopping epoch; the held-out rows only score the chosen model. ``losslab.compare``
    defaults to the tuned protocol with Adam, ``patience=10`` and 200 epochs at most.

    ``weight_decay`` turns Adam into AdamW (decoupled weight decay, 0: off). ``refit`` (tuned
    protocol only): once the validation rows have chosen a loss's rate and stopping epoch, that
    loss trains again on all of the trial's training rows (validation rows included) with the
    chosen rate for the chosen number of epochs, and that model is scored, as scikit-learn's
    ``GridSearchCV(refit=True)``. Both default to off here (what a study stored without them
    ran); ``losslab.compare`` sets its own defaults.
    """

    hidden: tuple[int, ...] = (50,)
    hidden_activation: str = "relu"
    epochs: int = 100
    batch_size: int = 32
    optimizer: str = "sgd"
    # One learning rate, or with protocol="tuned" a grid of them; None: the default.
    lr: float | tuple[float, ...] | None = None
    momentum: float = 0.9
    # Early stopping on a validation share of each training fold (Keras' EarlyStopping
    # with restore_best_weights=True); 0 turns it off.
    patience: int = 0
    validation_split: float = 0.1
    protocol: str = "fixed"
    weight_decay: float = 0.0
    refit: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if not self.hidden or any(h < 1 for h in self.hidden):
            raise ValueError(f"Model: expected hidden to be positive layer widths, e.g. (64, 32). Received: hidden={self.hidden}.")
        if self.epochs < 1:
            raise ValueError(f"Model: expected epochs >= 1. Received: epochs={self.epochs!r}.")
        if self.batch_size < 1:
            raise ValueError(f"Model: expected batch_size >= 1. Received: batch_size={self.batch_size!r}.")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"Model: expected optimizer in {OPTIMIZERS}. Received: optimizer={self.optimizer!r}.")
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"Model: expected protocol in {PROTOCOLS}. Received: protocol={self.protocol!r}.")
        if self.lr is not None:
            rates = (self.lr,) if isinstance(self.lr, (int, float)) else tuple(self.lr)
            if not rates or any(isinstance(r, bool) or not isinstance(r, (int, float)) or not r > 0 or r != r or r == float("inf")
                                for r in rates):
                raise ValueError(f"Model: expected lr to be one learning rate > 0 or several, e.g. [1e-3, 1e-2]. Received: lr={self.lr!r}.")
            if len(set(rates)) != len(rates):
                raise ValueError(f"Model: expected distinct learning rates. Received: lr={list(rates)}.")
            if len(rates) > 1 and self.protocol == "fixed":
                raise ValueError(f"Model: expected one learning rate with protocol='fixed' (a grid needs protocol='tuned'). Received: lr={list(rates)}.")
            object.__setattr__(self, "lr", float(rates[0]) if len(rates) == 1 else tuple(float(r) for r in rates))
        if self.patience < 0:
            raise ValueError(f"Model: expected patience >= 0 (0: no early stopping). Received: patience={self.patience!r}.")
        if isinstance(self.weight_decay, bool) or not isinstance(self.weight_decay, (int, float)) or not 0 <= self.weight_decay < float("inf"):
            raise ValueError(f"Model: expected weight_decay >= 0 (0: off). Received: weight_decay={self.weight_decay!r}.")
        object.__setattr__(self, "weight_decay", float(self.weight_decay))
        if self.weight_decay and self.optimizer != "adam":
            raise ValueError("Model: expected weight_decay with optimizer='adam' (AdamW), or weight_decay=0. "
                             f"Received: optimizer={self.optimizer!r}, weight_decay={self.weight_decay!r}.")
        if self.refit and self.protocol != "tuned":
            raise ValueError("Model: expected refit=True with protocol='tuned' (it trains again what the validation "
                             f"rows chose). Received: protocol={self.protocol!r}.")
        if (self.patience or self.protocol == "tuned") and not 0 < self.validation_split < 0.5:
            raise ValueError(f"Model: expected validation_split in (0, 0.5) with early stopping or protocol='tuned'. "
                             f"Received: validation_split={self.validation_split!r}.")

    @property
    def learning_rates(self) -> tuple[float, ...]:
        """The learning rates each loss trains with: the tuned grid, or the one rate."""
        if self.lr is None:
            return DEFAULT_LR_GRID if self.protocol == "tuned" else (self.learning_rate,)
        return self.lr if isinstance(self.lr, tuple) else (self.lr,)

    @property
    def learning_rate(self) -> float:
        """The one learning rate of the fixed protocol (the grid's first with the tuned one)."""
        if self.lr is None:
            return 0.01 if self.optimizer == "sgd" else 0.001
        return self.lr if isinstance(self.lr, float) else self.lr[0]

    @property
    def validates(self) -> bool:
        """Whether a validation share of each training fold is held back (tuning or early stopping)."""
        return bool(self.patience) or self.protocol == "tuned"


@dataclasses.dataclass(frozen=True)
class Resampling:
    """How trials are drawn: ``repeats`` seeds x the folds of ``method``.

    ``holdout``: each seed draws its own random split (``test_size`` held out);
    ``kfold``/``repeated_kfold``: ``repeats`` k-fold cross-validations; ``5x2``:
    Dietterich's five 2-fold cross-validations.
    """

    method: str = "holdout"
    repeats: int = 30
    k: int | None = None
    test_size: float = 0.25

    def __post_init__(self) -> None:
        if self.method not in SPLITS:
            raise ValueError(f"Resampling: expected method in {SPLITS}. Received: method={self.method!r}.")
        if self.repeats < 1:
            raise ValueError(f"Resampling: expected repeats >= 1. Received: repeats={self.repeats!r}.")
        if self.method in ("kfold", "repeated_kfold") and (self.k is None or self.k < 2):
            raise ValueError(f"Resampling: expected cv >= 2 folds. Received: cv={self.k!r}.")
        if not 0 < self.test_size < 1:
            raise ValueError(f"Resampling: expected test_size in (0, 1). Received: test_size={self.test_size!r}.")

    @classmethod
    def from_cli(cls, *, repeats: int, cv: str | int | None, test_size: float = 0.25) -> Resampling:
        """``cv`` None or 1: hold-out repeats; ``cv=5``: repeated 5-fold; ``cv="5x2"``: Dietterich's 5x2."""
        if cv in (None, "", 0, 1, "0", "1"):
            return cls("holdout", repeats, None, test_size)
        if str(cv).lower() == "5x2":
            return cls("5x2", 5, 2, 0.5)
        try:
            k = int(cv)
        except ValueError:
            raise ValueError(f"Resampling: expected cv to be a number of folds (e.g. 5) or '5x2'. Received: cv={cv!r}.") from None
        return cls("kfold" if repeats == 1 else "repeated_kfold", repeats, k, test_size)

    @property
    def n_trials(self) -> int:
        return self.repeats * (self.k or 1) if self.method != "holdout" else self.repeats

    def design(self, *, train_fraction: float = 1.0):
        """The statistics' :class:`~losslab.stats.design.Design` for these trials.

        ``train_fraction``: the share of each training split the model is fitted on (1 - the
        validation share with early stopping); the correction for overlapping trials uses it.
        """
        from ..stats.design import Design

        if self.method == "holdout":
            return Design("holdout", repeats=self.repeats, test_fraction=self.test_size, train_fraction=train_fraction)
        if self.method == "5x2":
            return Design("5x2cv", train_fraction=train_fraction)
        if self.method == "kfold":
            return Design("kfold", k=self.k, train_fraction=train_fraction)
        return Design("repeated_kfold", k=self.k, repeats=self.repeats, train_fraction=train_fraction)


@dataclasses.dataclass(frozen=True)
class StudySpec:
    """A study: data, candidates, metrics, resampling, model, seed."""

    data: str  # "dataset:wine", "file:/abs/path.csv", or "arrays"
    target: tuple[str, ...]
    candidates: tuple[Candidate, ...]
    metric: str
    extra_metrics: tuple[str, ...] = ()
    resampling: Resampling = Resampling()
    model: Model = Model()
    seed: int = 0
    dropna: bool = False
    # The problem kind as the user set it (None: read from the target), and whether class
    # targets are split stratified: both change the numbers (experiment.prepare).
    kind: str | None = None
    stratify: bool = True

    def __post_init__(self) -> None:
        if len(self.candidates) < 1:
            raise ValueError("StudySpec: expected at least one candidate loss. Received: candidates=().")
        labels = [c.label for c in self.candidates]
        dupes = sorted({x for x in labels if labels.count(x) > 1})
        if dupes:
            raise ValueError(f"StudySpec: expected distinct candidate losses. Received: {', '.join(dupes)} more than once.")
        if self.seed < 0:
            raise ValueError(f"StudySpec: expected seed >= 0. Received: seed={self.seed!r}.")

    @property
    def metrics(self) -> tuple[str, ...]:
        return (self.metric, *[m for m in self.extra_metrics if m != self.metric])

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "candidates"}
        d["resampling"], d["model"] = dataclasses.asdict(self.resampling), dataclasses.asdict(self.model)
        # Options added later are stored only when on: a study without them keeps the stored form it always had.
        for key, off in (("weight_decay", 0.0), ("refit", False)):
            if d["model"][key] == off:
                del d["model"][key]
        d["target"], d["extra_metrics"] = list(self.target), list(self.extra_metrics)
        # "sources" only where there are any: a catalog-only study keeps the stored form it always had.
        d["candidates"] = [{"name": c.name, "params": dict(c.params), "origin": c.origin, **({"sources": dict(c.sources)} if c.sources else {})}
                           for c in self.candidates]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StudySpec:
        return cls(
            data=d["data"], target=tuple(d["target"]),
            candidates=tuple(Candidate(c["name"], tuple(c["params"].items()), c.get("origin", ""), sources=tuple(c.get("sources", {}).items()))
                             for c in d["candidates"]),
            metric=d["metric"], extra_metrics=tuple(d["extra_metrics"]),
            resampling=Resampling(**d["resampling"]), model=Model(**{**d["model"], "hidden": tuple(d["model"]["hidden"]),
                                                                  "lr": tuple(d["model"]["lr"]) if isinstance(d["model"].get("lr"), list) else d["model"].get("lr")}),
            seed=d["seed"], dropna=d["dropna"], kind=d.get("kind"), stratify=d.get("stratify", True),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, default=str)

    def differences(self, other: StudySpec, *, ignore: Sequence[str] = ()) -> list[str]:
        """Fields that differ, as ``name: stored -> new``."""
        a, b = self.to_dict(), other.to_dict()
        out = []
        for key in a:
            if key in ignore:
                continue
            if json.dumps(a[key], sort_keys=True, default=str) != json.dumps(b[key], sort_keys=True, default=str):
                out.append(f"{key}: {a[key]} -> {b[key]}")
        return out


def fingerprint(X, y) -> str:
    """A hash of the data's values, columns and dtypes: the same data gives the same text."""
    import pandas as pd

    h = hashlib.sha256()
    for part in (X, y):
        frame = part if isinstance(part, (pd.DataFrame, pd.Series)) else pd.DataFrame(part)
        h.update(pd.util.hash_pandas_object(frame, index=True).values.tobytes())
        if isinstance(frame, pd.DataFrame):
            names, dtypes = list(frame.columns), [str(t) for t in frame.dtypes]
        else:
            names, dtypes = [frame.name], [str(frame.dtype)]
        h.update(repr((names, dtypes)).encode())
    return h.hexdigest()[:20]
