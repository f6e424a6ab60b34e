"""Validated arguments and the advisor's recommendation, made into a :class:`StudySpec`.

The choices a study makes when the user leaves them open live here: the candidates (the
advisor's primary loss and alternatives, with their parameters), a swept weight expanded
into one candidate per value, duplicates dropped, the metric (the advisor's, else the
problem's default) and the extra metrics worth reporting beside it, and each protocol's
model defaults.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..losses import get as get_loss
from ..losses import sweep as sweep_expression
from ..losses.expression import split, symbols
from ..metrics import default_metric
from .prepare import Prepared
from .spec import Candidate, Model, Resampling, StudySpec

PROTOCOLS = ("tuned", "fixed")


def candidate_names(losses: Sequence[Any] | str | None, recommendation: Any) -> list:
    """The losses to compare: ``losses`` (a comma list is read by the one parser,
    :func:`losslab.losses.expression.split`), or the advisor's primary choice and alternatives
    with their parameters (a class-weighted cross-entropy is a candidate of its own)."""
    if losses is None:
        return [get_loss(c.loss, **dict(c.params)) for c in (recommendation.primary, *recommendation.alternatives)]
    names = split(losses) if isinstance(losses, str) else list(losses)
    if not names:
        raise ValueError(f"expected losses to name at least one loss. Received: losses={losses!r}.")
    return names


def expand_sweep(names: list, sweep: str) -> list:
    """Each expression that uses the swept symbol becomes one candidate per value
    (``sweep="w=0,0.5"`` on ``"mse+w*mae"``: ``mse+0*mae`` and ``mse+0.5*mae``)."""
    symbol = sweep.split("=", 1)[0].strip()
    if "=" not in sweep or not symbol:
        raise ValueError(f"expected sweep as symbol=values, e.g. w=0,0.1,0.3,1. Received: sweep={sweep!r}.")
    out, used = [], False
    for n in names:
        if isinstance(n, str) and symbol in symbols(n):
            out += sweep_expression(n, sweep)
            used = True
        else:
            out.append(n)
    if not used:
        raise ValueError(f"sweep {symbol}=...: no loss in losses uses the symbol {symbol!r}; write it into one, e.g. \"mse+{symbol}*mae\".")
    return out


def candidates(names: Sequence[Any]) -> tuple[Candidate, ...]:
    """Each distinct candidate once, in the order first named (a later spelling of the same
    loss and parameters wins, so its user code is the version that trains)."""
    parsed = [Candidate.parse(n) for n in names]
    last = {c.label: c for c in reversed(parsed)}
    return tuple(last[label] for label in dict.fromkeys(c.label for c in parsed))


def metrics(metric: str | None, extra_metrics: Sequence[str], recommendation: Any) -> tuple[str, tuple[str, ...]]:
    """The metric that decides (the advisor's by default, else the problem's) and the extra ones:
    with the advisor's metric and none asked for, those it says are worth reporting beside it
    (e.g. balanced accuracy and F1 for imbalanced classes)."""
    metric = metric or recommendation.primary.metric or default_metric(recommendation.problem.kind)
    if not extra_metrics and metric == recommendation.primary.metric:
        extra_metrics = tuple(recommendation.also_report)
    return metric, tuple(extra_metrics)


def model(*, protocol: str, hidden: Sequence[int], epochs: int | None, batch_size: int | None, optimizer: str | None,
          lr: float | Sequence[float] | None, momentum: float, patience: int | None,
          validation_split: float | None, weight_decay: float | None = None, refit: bool | None = None) -> Model:
    """The study's model with each protocol's defaults filled in: ``tuned`` Adam with weight
    decay ``TUNED_WEIGHT_DECAY`` (AdamW), at most 200 epochs, patience 10, a 20% validation
    share, no refit; ``fixed`` SGD, 100 epochs, no early stopping, 10%, no decay (see
    :func:`losslab.api.compare`). A batch of ``None`` starts at 32; the plan caps it."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"compare: expected protocol='tuned' or 'fixed'. Received: protocol={protocol!r}.")
    tuned = protocol == "tuned"
    if lr is not None and not isinstance(lr, (int, float)):
        lr = tuple(lr)
    optimizer = ("adam" if tuned else "sgd") if optimizer is None else optimizer
    if weight_decay is None:  # AdamW's decay by default with the tuned protocol's Adam, none otherwise
        weight_decay = TUNED_WEIGHT_DECAY if tuned and optimizer == "adam" else 0.0
    return Model(hidden=tuple(hidden), epochs=(200 if tuned else 100) if epochs is None else epochs,
                 batch_size=32 if batch_size is None else batch_size,
                 optimizer=optimizer, lr=lr, momentum=momentum,
                 patience=(10 if tuned else 0) if patience is None else patience,
                 validation_split=(0.2 if tuned else 0.1) if validation_split is None else validation_split,
                 protocol=protocol, weight_decay=weight_decay,
                 refit=(REFIT_DEFAULT and tuned) if refit is None else refit)


# Whether the tuned protocol trains the chosen configuration again on all training rows (``refit``).
REFIT_DEFAULT = False
# The tuned protocol's AdamW weight decay: each step shrinks every weight by lr x this of itself,
# which holds Adam's weights to about 1 / TUNED_WEIGHT_DECAY in size (inputs are standardized).
# Chosen on the real-data suite (docs/quality.md): 1.0 brings the small tables level with ridge.
TUNED_WEIGHT_DECAY = 1.0


def study_spec(prepared: Prepared, recommendation: Any, *, losses: Sequence[Any] | str | None = None,
               sweep: str | None = None, metric: str | None = None, extra_metrics: Sequence[str] = (),
               repeats: int = 30, cv: int | str | None = None, test_size: float = 0.25, protocol: str = "tuned",
               hidden: Sequence[int] = (50,), epochs: int | None = None, batch_size: int | None = None,
               optimizer: str | None = None, lr: float | Sequence[float] | None = None, momentum: float = 0.9,
               patience: int | None = None, validation_split: float | None = None, weight_decay: float | None = None,
               refit: bool | None = None, seed: int = 0, dropna: bool = False, kind: str | None = None,
               stratify: bool = True) -> StudySpec:
    """The :class:`StudySpec` of a study on ``prepared`` data, from the arguments of
    :func:`losslab.api.compare` (already checked) and the advisor's ``recommendation`` for its target."""
    names = candidate_names(losses, recommendation)
    if sweep:
        names = expand_sweep(names, sweep)
    metric, extra = metrics(metric, extra_metrics, recommendation)
    y = prepared.y
    return StudySpec(
        data=prepared.data, target=tuple(str(c) for c in y.columns) if y.ndim == 2 else (str(y.name),),
        candidates=candidates(names), metric=metric, extra_metrics=extra,
        resampling=Resampling.from_cli(repeats=repeats, cv=cv, test_size=test_size),
        model=model(protocol=protocol, hidden=hidden, epochs=epochs, batch_size=batch_size, optimizer=optimizer, lr=lr,
                    momentum=momentum, patience=patience, validation_split=validation_split,
                    weight_decay=weight_decay, refit=refit),
        seed=seed, dropna=dropna, kind=kind, stratify=stratify,
    )


def trial_bytes(plan: Any) -> int:
    """One stored trial's size: its learning curves (loss, and accuracy for classes; train and
    held-out) and its metrics (per target column too)."""
    from .space import trial_bytes as stored_bytes

    classes = getattr(plan.problem, "classes", None) is not None
    columns = plan.y.shape[1] if getattr(plan.y, "ndim", 1) == 2 else 1
    n_metrics = len(plan.metrics) * (1 + (columns if columns > 1 else 0))
    return stored_bytes(plan.spec.model.epochs, 4 if classes else 2, n_metrics)
