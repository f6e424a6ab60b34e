"""`LossSpec`: one loss, its metadata, its NumPy reference and its training implementation.

A loss is written twice, as *kernels* that return one value per sample:

- ``numpy_kernel(y_true, y_pred, **params)``: float64 reference, the docstring's formula;
- ``torch_kernel(y_true, y_pred, **params)``: the training implementation (autograd).

Kernels see normalized shapes and never validate: ``y_pred`` is ``(..., k)`` and
``y_true`` is ``(..., k)`` (``shape_rule="same"``), ``(...)`` holding class indices
(``"class_index"``), or ``(..., k)`` against ``y_pred`` ``(..., 2k)`` holding means then
variances (``"mean_var"``). Leading dimensions are free so that the engine can call the
torch kernel on ``(replicates, batch, k)`` tensors directly.

The public methods ``numpy`` and ``torch`` validate, normalize shapes, call the kernel
and reduce: ``"mean"`` is the sum of (weighted) per-sample losses divided by the number
of samples (Keras' ``sum_over_batch_size``), ``"sum"`` their sum, ``"none"`` the vector.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from ..vocab import LOSS_PROBLEM_TYPES, TARGET_ENCODINGS
from . import validation as v

# The closed vocabularies the advisor reads (losslab.vocab).
PROBLEM_TYPES = LOSS_PROBLEM_TYPES
SHAPE_RULES = ("same", "class_index", "mean_var")


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclasses.dataclass(frozen=True, eq=False)
class LossSpec:
    """A loss with its metadata, NumPy reference and torch implementation.

    Attributes
    ----------
    name : str
        Canonical name, e.g. ``"binary_crossentropy"``.
    title : str
        Human name, e.g. ``"Binary cross-entropy"``.
    problem_types : tuple of str
        Problems the loss is made for, from :data:`PROBLEM_TYPES`.
    target_encoding : str
        Encoding expected of ``y_true``, a key of :data:`TARGET_ENCODINGS`.
    target_domain, prediction_domain : str
        The values ``y_true`` and ``y_pred`` may take, in words (``"[0, 1]"``).
    formula : str
        The per-sample formula in LaTeX.
    summary : str
        When to use it, one or two sentences.
    references : tuple of str
        Author, title, year.
    aliases : tuple of str
        Other names (Keras strings and class names, PyTorch class names).
    params : Mapping
        Hyperparameters with their defaults (``delta``, ``from_logits``, ...).
    origin : str
        Where a user-defined loss comes from and a hash of its source
        (``"my_losses.py:trimmed_mse sha256:1a2b..."``); ``""`` for catalog losses.
    sources : Mapping
        The hash of each part that ``origin``'s hash covers (each file of the user's code,
        the function's values), so a refused resume can say which one changed.
    """

    name: str
    title: str
    problem_types: tuple[str, ...]
    activations: tuple[str, ...]
    target_encoding: str
    target_domain: str
    prediction_domain: str
    formula: str
    summary: str
    numpy_kernel: Callable[..., np.ndarray]
    torch_kernel: Callable[..., Any]
    references: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    shape_rule: str = "same"
    # Output activations when the loss is told ``from_logits=True``.
    logits_activations: tuple[str, ...] = ("linear",)
    # Output activations that a truthy parameter allows instead (MSLE's ``keras_compat``
    # clips negative outputs, so it also fits a linear output layer).
    activations_when: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    # The parameter that switches y_pred to raw scores: ``from_logits``, or Poisson's ``log_input``.
    logits_param: str = "from_logits"
    # Extra value checks on normalized NumPy arrays: validate(spec, y_true, y_pred, params).
    validate: Callable[..., None] | None = None
    # Builders of the matching object in the user's framework, or None where there is none.
    keras_factory: Callable[[Mapping[str, Any]], Any] | None = None
    torch_factory: Callable[[Mapping[str, Any]], Any] | None = None
    # Convention notes (differences from Keras / PyTorch), shown by `losslab losses show`.
    notes: tuple[str, ...] = ()
    # User-defined losses: "reference sha256:hash", so a resumed study cannot mix two versions.
    origin: str = ""
    sources: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", _frozen(self.params))
        object.__setattr__(self, "sources", _frozen(self.sources))
        object.__setattr__(self, "activations_when", _frozen(self.activations_when))
        unknown = set(self.problem_types) - set(PROBLEM_TYPES)
        if unknown:
            raise ValueError(f"LossSpec {self.name}: unknown problem types {sorted(unknown)}; expected a subset of {PROBLEM_TYPES}.")
        if self.target_encoding not in TARGET_ENCODINGS:
            raise ValueError(f"LossSpec {self.name}: unknown target_encoding {self.target_encoding!r}; expected one of {sorted(TARGET_ENCODINGS)}.")
        if self.shape_rule not in SHAPE_RULES:
            raise ValueError(f"LossSpec {self.name}: unknown shape_rule {self.shape_rule!r}; expected one of {SHAPE_RULES}.")

    # ------------------------------------------------------------------ metadata
    @property
    def takes_logits(self) -> bool:
        """Whether ``y_pred`` is read as logits (raw scores) with the current parameters."""
        return bool(self.params.get(self.logits_param, False))

    @property
    def output_activations(self) -> tuple[str, ...]:
        """Output-layer activations that fit this loss with the current parameters."""
        if self.takes_logits:
            return self.logits_activations
        for param, allowed in self.activations_when.items():
            if self.params.get(param):
                return allowed
        return self.activations

    def with_params(self, **params: Any) -> LossSpec:
        """A copy of this spec with hyperparameters changed (``spec.with_params(delta=2.0)``)."""
        merged = self._merge(params)
        return dataclasses.replace(self, params=merged)

    def _merge(self, params: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(params) - set(self.params)
        if unknown:
            known = ", ".join(sorted(self.params)) or "none"
            raise TypeError(f"{self.name}: unexpected parameter(s) {sorted(unknown)}. Expected one of: {known}.")
        return {**self.params, **params}

    def __repr__(self) -> str:
        extra = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"LossSpec({self.name!r}{', ' + extra if extra else ''})"

    # ------------------------------------------------------------------ shapes
    def _normalize_numpy(self, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
        """Validate shapes and values; return float64 arrays in kernel shape and the output shape."""
        t = v.to_numpy(self.name, "y_true", y_true)
        p = v.to_numpy(self.name, "y_pred", y_pred)
        v.check_finite(self.name, "y_true", t)
        v.check_finite(self.name, "y_pred", p)
        v.check_ndim(self.name, "y_pred", p, (1, 2) if self.shape_rule == "same" else (2,))
        if self.shape_rule == "same":
            v.check_same_shape(self.name, t, p)
            out_shape = t.shape[:1]
            if t.ndim == 1:
                t, p = t[:, None], p[:, None]
        elif self.shape_rule == "class_index":
            v.check_class_index_shape(self.name, t, p)
            if t.shape[0] != p.shape[0]:
                raise ValueError(f"{self.name}: expected one class index per row of y_pred. Received: y_true.shape={t.shape}, y_pred.shape={p.shape}.")
            out_shape = t.shape
        else:  # mean_var
            v.check_ndim(self.name, "y_true", t, (1, 2))
            k = 1 if t.ndim == 1 else t.shape[1]
            if p.shape != (t.shape[0], 2 * k):
                raise ValueError(
                    f"{self.name}: expected y_pred of shape ({t.shape[0]}, {2 * k}): {k} mean column(s) then {k} variance column(s). "
                    f"Received: y_true.shape={t.shape}, y_pred.shape={p.shape}."
                )
            out_shape = t.shape[:1]
            if t.ndim == 1:
                t = t[:, None]
        if self.validate is not None:
            self.validate(self, t, p)
        return t.astype(np.float64, copy=False), p.astype(np.float64, copy=False), out_shape

    # ------------------------------------------------------------------ computing
    def numpy(self, y_true: Any, y_pred: Any, *, reduction: str = "mean", sample_weight: Any = None, **params: Any) -> np.ndarray | float:
        """The float64 NumPy reference.

        Parameters
        ----------
        y_true, y_pred : array-like
            Targets and predictions, shapes as the loss's ``shape_rule`` says.
        reduction : {"mean", "sum", "none"}
            ``"mean"``: sum of per-sample losses (times ``sample_weight``) over n.
        sample_weight : array-like of shape (n,), optional
        **params
            Hyperparameters overriding the spec's (``delta=2.0``).
        """
        v.check_reduction(self.name, reduction)
        spec = self.with_params(**params) if params else self
        t, p, out_shape = spec._normalize_numpy(y_true, y_pred)
        w = v.check_sample_weight(self.name, sample_weight, out_shape[0])
        per_sample = np.asarray(spec.numpy_kernel(t, p, **spec.params), dtype=np.float64).reshape(out_shape)
        if w is not None:
            per_sample = per_sample * w
        if reduction == "none":
            return per_sample
        total = float(per_sample.sum())
        return total / per_sample.shape[0] if reduction == "mean" else total

    def torch(self, y_true: Any, y_pred: Any, *, reduction: str = "mean", sample_weight: Any = None, **params: Any):
        """The training implementation, on torch tensors (autograd flows through ``y_pred``).

        Takes the same arguments as :meth:`numpy` and gives the same numbers; the dtype
        is ``y_pred``'s (float32 or float64).
        """
        import torch

        v.check_reduction(self.name, reduction)
        spec = self.with_params(**params) if params else self
        # Validate on a detached copy so both paths refuse the same inputs.
        _, _, out_shape = spec._normalize_numpy(y_true, y_pred)
        pred = y_pred if isinstance(y_pred, torch.Tensor) else torch.as_tensor(np.asarray(y_pred))
        if not pred.is_floating_point():
            pred = pred.to(torch.get_default_dtype())
        true = y_true if isinstance(y_true, torch.Tensor) else torch.as_tensor(np.asarray(y_true))
        true = true.to(pred.device)
        if spec.shape_rule == "class_index":
            true = true.long()
        else:
            true = true.to(pred.dtype)
            if true.ndim == 1:
                true = true[:, None]
            if pred.ndim == 1:
                pred = pred[:, None]
        per_sample = spec.torch_kernel(true, pred, **spec.params).reshape(out_shape)
        w = v.check_sample_weight(self.name, sample_weight, out_shape[0])
        if w is not None:
            per_sample = per_sample * torch.as_tensor(w, dtype=per_sample.dtype, device=per_sample.device)
        if reduction == "none":
            return per_sample
        total = per_sample.sum()
        return total / per_sample.shape[0] if reduction == "mean" else total

    # ------------------------------------------------------------------ frameworks
    def to_torch_module(self, **params: Any):
        """The matching ``torch.nn`` loss (e.g. ``nn.BCEWithLogitsLoss``), or a module running losslab's kernel.

        Where PyTorch has no such class (hinge, MSLE, KL on probabilities, ...), the result is a
        :class:`losslab.losses.LossModule` calling :meth:`torch` (validating its inputs).
        """
        spec = self.with_params(**params) if params else self
        if spec.torch_factory is not None:
            return spec.torch_factory(spec.params)
        from .module import LossModule

        return LossModule(spec)

    def to_keras(self, **params: Any):
        """The matching ``keras.losses`` object; raises ``ValueError`` where Keras has none."""
        spec = self.with_params(**params) if params else self
        if spec.keras_factory is None:
            raise ValueError(f"{self.name}: Keras 3 has no built-in loss for it. Use spec.to_torch_module() with PyTorch, or train it with losslab.")
        return spec.keras_factory(spec.params)
