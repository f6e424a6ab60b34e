"""The pre-training check of a user-defined loss: small random batches through the function.

Refuses what cannot train (a reduction over the batch, NaN, no gradient) with a message
that says how to fix it, and gives up after a time limit (a loss that never returns).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from ..vocab import CLASS_ENCODINGS as _CLASS_ENCODINGS
from .identity import where
from .spec import LossSpec

# The check runs the function on 8 small batches: well under a second for any loss that can train.
TIME_LIMIT = 30.0


def check_custom(spec: LossSpec, *, n_outputs: int = 1, time_limit: float = TIME_LIMIT) -> None:
    """Run ``spec.torch_kernel`` on small random batches and refuse what cannot train.

    The batches are consistent with the spec's metadata (targets in its encoding,
    predictions from its first output activation), drawn from a fixed seed, in float32 and
    float64, of shapes ``(8, k)`` and ``(3, 8, k)`` (the engine's replicates x batch).
    Checks, in order: the call works; it returns a tensor; of shape ``(8,)`` / ``(3, 8)``,
    one loss per sample; finite; with a finite gradient with respect to ``y_pred`` that is
    not zero everywhere (refusing ``.detach()``, ``.item()``, NumPy calls and constants).

    Parameters
    ----------
    spec : LossSpec
    n_outputs : int, default 1
        k, the number of output units (class encodings and softmax use at least 3).
    time_limit : float, default 30
        Seconds the whole check may take. A function still running then is reported (it
        keeps running in a background thread until it returns, as Python cannot stop it).

    Raises
    ------
    ValueError
        Naming the function and its file:line, the check that failed, what came and how to fix it;
        or saying that the check did not finish within ``time_limit`` seconds.

    Examples
    --------
    >>> from losslab import losses
    >>> losses.check_custom(losses.get("mae"))
    >>> def mean_error(y_true, y_pred):
    ...     return (y_true - y_pred).detach().mean(dim=-1)
    >>> losses.custom(mean_error)
    Traceback (most recent call last):
    ...
    ValueError: custom loss 'mean_error' (...): the gradient check failed: ...
    """
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or not time_limit > 0:
        raise ValueError(f"check_custom: expected time_limit > 0 seconds. Received: time_limit={time_limit!r}.")
    label = f"custom loss {spec.title!r} ({where(spec.torch_kernel)})"
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            _run_checks(spec, label, n_outputs)
            outcome.append(None)
        except BaseException as exc:  # handed to the caller's thread, which raises it
            outcome.append(exc)

    worker = threading.Thread(target=run, name=f"losslab-check-{spec.title}", daemon=True)
    worker.start()
    worker.join(time_limit)
    if worker.is_alive():
        raise ValueError(
            f"{label}: the pre-training check did not finish within {time_limit:g} s (time_limit={time_limit:g}): it runs "
            "the function on 4 batches of 8 rows, so it loops forever or is far too slow to train. Fix the function, "
            "or pass a larger time_limit."
        )
    if outcome[0] is not None:
        raise outcome[0]


def _run_checks(spec: LossSpec, label: str, n_outputs: int) -> None:
    import torch

    fn = spec.torch_kernel
    k = max(n_outputs, 3) if spec.target_encoding in _CLASS_ENCODINGS or "softmax" in spec.output_activations[0] else n_outputs
    generator = torch.Generator().manual_seed(0)
    for dtype in (torch.float32, torch.float64):
        for lead in ((8,), (3, 8)):
            y_true, y_pred = _batch(spec, lead, k, dtype, generator)
            shapes = (f"y_true of shape {tuple(y_true.shape)} and y_pred of shape {tuple(y_pred.shape)}"
                      if y_true.shape != y_pred.shape else f"y_true and y_pred of shape {tuple(y_pred.shape)}")
            shapes += f" ({str(dtype).removeprefix('torch.')})"
            y_pred.requires_grad_(True)
            try:
                with torch.enable_grad():
                    out = fn(y_true, y_pred, **spec.params)
            except Exception as exc:
                raise ValueError(f"{label}: the call check failed: it raised {type(exc).__name__}: {exc} on {shapes}. {_call_hint(exc)}") from exc
            _check_result(label, out, lead, shapes, y_true, y_pred)


def _check_result(label, out, lead, shapes, y_true, y_pred) -> None:
    import torch

    if not isinstance(out, torch.Tensor):
        if isinstance(out, (float, int)):
            got, fix = f"a Python {type(out).__name__}", "A number from .item() or float() has no gradient: return the tensor, one value per sample."
        elif isinstance(out, (np.ndarray, np.generic)):
            got, fix = "a NumPy array", "NumPy cuts the gradient: write it with torch operations (torch.mean, .abs(), .clamp(), torch.where)."
        else:
            got, fix = f"a {type(out).__name__}", "Return a torch tensor with one value per sample."
        raise ValueError(f"{label}: the tensor check failed: it returned {got} for {shapes}. {fix}")
    shape = tuple(out.shape)
    if shape != lead:
        if not shape:
            what = "it reduced over the batch"
        elif shape == tuple(y_pred.shape):
            what = "one value per output, not per sample"
        else:
            what = f"expected {lead}, one loss per sample"
        raise ValueError(
            f"{label}: the shape check failed: it returned shape {shape} for {shapes} — {what}. "
            "Return one value per sample: reduce with dim=-1 only, e.g. ((y_pred - y_true) ** 2).mean(dim=-1)."
            + ("" if len(lead) == 1 else " The engine calls it on (replicates, batch, k) tensors, where dim=1 or dim=0 mean something else.")
        )
    finite = torch.isfinite(out.detach())
    if not finite.all():
        i = int((~finite).reshape(-1).nonzero()[0])
        t, p = y_true.reshape(-1, *y_true.shape[len(lead):])[i], y_pred.detach().reshape(-1, y_pred.shape[-1])[i]
        raise ValueError(
            f"{label}: the finiteness check failed: it returned {int((~finite).sum())} non-finite value(s) of {finite.numel()} "
            f"for {shapes}, e.g. {float(out.detach().reshape(-1)[i])} at y_true={_rounded(t)}, y_pred={_rounded(p)}. "
            "Guard logs and divisions (torch.log(x.clamp(min=1e-7)), torch.log1p, softplus), and check that output and "
            "target_encoding describe what it receives."
        )
    if not out.requires_grad:
        raise ValueError(
            f"{label}: the gradient check failed: its result does not depend on y_pred through autograd (requires_grad=False) "
            f"for {shapes}: it ignores y_pred, or cuts the graph (.detach(), .item(), .numpy(), torch.tensor(...) of computed "
            "values, torch.no_grad()). Write it with torch operations on y_pred."
        )
    (grad,) = torch.autograd.grad(out.sum(), y_pred, allow_unused=True)
    if grad is None or not (grad != 0).any():
        raise ValueError(
            f"{label}: the gradient check failed: its gradient with respect to y_pred is zero for every sample of a random batch "
            f"({shapes}): the loss is constant in y_pred, or flat (round, sign, argmax, comparisons), so training cannot move it. "
            "Use a loss whose value changes smoothly with y_pred."
        )
    if not torch.isfinite(grad).all():
        raise ValueError(
            f"{label}: the gradient check failed: its gradient with respect to y_pred is not finite for {shapes} "
            f"({int((~torch.isfinite(grad)).sum())} of {grad.numel()} entries), although the loss is. sqrt at 0 and x / |x| "
            "are the usual causes: use x.abs(), (x * x + eps).sqrt() or torch.where with a safe branch."
        )


def _rounded(x) -> Any:
    values = x.tolist()
    return [round(v, 4) for v in values] if isinstance(values, list) else round(values, 4)


def _call_hint(exc: Exception) -> str:
    message = str(exc)
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_filename.replace("\\", "/"))
        tb = tb.tb_next
    if "numpy()" in message or "requires grad" in message or any("/numpy/" in f for f in frames):
        return "NumPy cannot see through autograd: use torch operations (torch.mean, .abs(), .clamp()) instead of np.*."
    if "dimension" in message.lower() or "index" in message.lower() or "size" in message.lower():
        return ("It receives y_true and y_pred with any leading dimensions, (n, k) or (replicates, batch, k): index and "
                "reduce from the end (y_pred[..., 0], dim=-1), and pass n_outputs= if it needs k > 1.")
    return "It is called as fn(y_true, y_pred) on torch tensors (..., k)."


def _batch(spec: LossSpec, lead: tuple[int, ...], k: int, dtype, generator):
    """A random (y_true, y_pred) in the spec's target encoding and output activation."""
    import torch

    shape = (*lead, k)
    z = torch.randn(shape, generator=generator, dtype=dtype)
    activation = spec.output_activations[0]
    pred = {
        "sigmoid": torch.sigmoid, "tanh": torch.tanh, "softmax": lambda x: x.softmax(-1),
        "log_softmax": lambda x: x.log_softmax(-1), "softplus": torch.nn.functional.softplus, "exponential": torch.exp,
        # A ReLU output is 0 for half the batch; the check draws strictly positive values instead.
        "relu": lambda x: x.abs() + 0.1,
    }.get(activation, lambda x: x)(z)
    u = torch.rand(shape, generator=generator, dtype=dtype)
    encoding = spec.target_encoding
    if encoding == "integer_class":
        true = torch.randint(0, k, lead, generator=generator)
    elif encoding == "one_hot":
        true = torch.eye(k, dtype=dtype)[torch.randint(0, k, lead, generator=generator)]
    elif encoding == "probability_rows":
        true = torch.randn(shape, generator=generator, dtype=dtype).softmax(-1)
    elif encoding == "binary_01":
        true = (u < 0.5).to(dtype)
    elif encoding == "binary_pm1":
        true = 2.0 * (u < 0.5).to(dtype) - 1.0
    elif encoding == "counts":
        true = torch.floor(5.0 * u)
    elif encoding == "non_negative":
        true = 2.0 * u
    elif encoding == "positive":
        true = 2.0 * u + 0.1
    else:  # real, unit_vectors
        true = torch.randn(shape, generator=generator, dtype=dtype)
    return true, pred.detach().clone()
