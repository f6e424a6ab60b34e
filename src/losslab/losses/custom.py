"""User-defined losses: a torch function ``(y_true, y_pred) -> per-sample loss``, checked before anything trains.

Write the loss with torch operations and reduce over the last axis only (``dim=-1``), so
that the same function works on ``(n, k)`` tensors and on the engine's
``(replicates, batch, k)`` tensors::

    import torch
    import losslab

    @losslab.loss(problem="regression", output="linear")
    def trimmed_mse(y_true, y_pred):
        \"\"\"Squared error, capped at 9 (errors beyond 3 count as outliers).\"\"\"
        return ((y_pred - y_true) ** 2).clamp(max=9.0).mean(dim=-1)

Then ``losses.custom(trimmed_mse)``, ``losses.get(trimmed_mse)``,
``losses.load("my_losses.py:trimmed_mse")`` or ``losses.get("my_losses.py:trimmed_mse")``
give a :class:`LossSpec` that trains, compares and reports like a catalog loss.
:func:`check_custom` runs first and refuses a function that reduces over the batch,
returns NaN or has no gradient, with a message that says how to fix it.

Nothing here imports torch until a custom loss is built, so ``import losslab`` stays light.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib
import inspect
import linecache
import os
import re
import sys
import types
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..vocab import CUSTOM_OUTPUT_ACTIVATIONS
from .checks import TIME_LIMIT, check_custom
from .identity import identity, where
from .registry import canonical
from .spec import PROBLEM_TYPES, TARGET_ENCODINGS, LossSpec

# The target encoding a custom loss expects unless told otherwise, by problem.
DEFAULT_ENCODINGS = {"regression": "real", "binary": "binary_01", "multiclass": "one_hot", "multilabel": "binary_01"}
OUTPUTS = CUSTOM_OUTPUT_ACTIVATIONS
_META = "__losslab_loss__"
_REF = re.compile(r"^(?P<target>.+):(?P<attr>[A-Za-z_]\w*)$")
_MODULE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


# ---------------------------------------------------------------- the decorator
def loss(fn: Callable | None = None, *, name: str | None = None, problem: str | Sequence[str] | None = None,
         output: str | Sequence[str] | None = None, target_encoding: str | None = None, summary: str | None = None,
         n_outputs: int | None = None):
    """Mark a function as a losslab loss: attach its metadata, leave the function as it is.

    ``losses.custom(fn)``, ``losses.get(fn)`` and ``losses.load("file.py:fn")`` read the
    metadata; arguments given to :func:`custom` override it. Works with and without
    parentheses (``@losslab.loss`` is ``@losslab.loss()``: a regression loss, linear output).

    Parameters
    ----------
    fn : callable, optional
        ``(y_true, y_pred) -> per-sample loss`` on torch tensors, reducing with ``dim=-1`` only.
    name, problem, output, target_encoding, summary, n_outputs
        As in :func:`custom`.

    Examples
    --------
    >>> import losslab
    >>> @losslab.loss(problem="regression", output="linear")
    ... def squared(y_true, y_pred):
    ...     return ((y_pred - y_true) ** 2).mean(dim=-1)
    >>> squared.__losslab_loss__
    {'problem': 'regression', 'output': 'linear'}
    >>> losslab.losses.get(squared).numpy([0.0, 1.0], [1.0, 1.0])
    0.5
    """
    meta = {key: value for key, value in (("name", name), ("problem", problem), ("output", output),
                                          ("target_encoding", target_encoding), ("summary", summary),
                                          ("n_outputs", n_outputs)) if value is not None}
    _metadata(meta, "loss")  # refuse unknown problems, outputs and encodings where they are written

    def mark(f: Callable) -> Callable:
        if not callable(f):
            raise TypeError(f"losslab.loss: expected a function (y_true, y_pred) -> per-sample loss. Received: {type(f).__name__}.")
        setattr(f, _META, dict(meta))
        return f

    return mark(fn) if fn is not None else mark


def _metadata(meta: dict[str, Any], where: str) -> dict[str, Any]:
    """Defaults filled in and every field checked against the catalog's vocabularies."""
    problems = meta.get("problem", "regression")
    problems = (problems,) if isinstance(problems, str) else tuple(problems)
    unknown = [p for p in problems if p not in PROBLEM_TYPES]
    if not problems or unknown:
        raise ValueError(f"{where}: expected problem in {PROBLEM_TYPES}. Received: problem={meta.get('problem')!r}.")
    outputs = meta.get("output", "linear")
    outputs = (outputs,) if isinstance(outputs, str) else tuple(outputs)
    if not outputs or any(o not in OUTPUTS for o in outputs):
        raise ValueError(f"{where}: expected output (the output layer's activation) in {OUTPUTS}. Received: output={meta.get('output')!r}.")
    encoding = meta.get("target_encoding") or DEFAULT_ENCODINGS.get(problems[0])
    if encoding is None:
        raise ValueError(
            f"{where}: problem={problems[0]!r} has no default target encoding. Pass target_encoding=, one of {sorted(TARGET_ENCODINGS)}."
        )
    if encoding not in TARGET_ENCODINGS:
        raise ValueError(f"{where}: expected target_encoding in {sorted(TARGET_ENCODINGS)}. Received: target_encoding={encoding!r}.")
    n_outputs = meta.get("n_outputs", 1)
    if isinstance(n_outputs, bool) or not isinstance(n_outputs, (int, np.integer)) or n_outputs < 1:
        raise ValueError(f"{where}: expected n_outputs >= 1 (the output units the check feeds it). Received: n_outputs={n_outputs!r}.")
    return {"name": meta.get("name"), "problems": problems, "outputs": outputs, "encoding": encoding,
            "summary": meta.get("summary"), "n_outputs": int(n_outputs)}


# ---------------------------------------------------------------- building a spec
def custom(fn: Callable, *, name: str | None = None, problem: str | Sequence[str] | None = None,
           output: str | Sequence[str] | None = None, target_encoding: str | None = None,
           summary: str | None = None, n_outputs: int | None = None, time_limit: float = TIME_LIMIT) -> LossSpec:
    """A :class:`LossSpec` for your own torch function, checked before anything trains.

    Parameters
    ----------
    fn : callable
        ``fn(y_true, y_pred) -> per-sample loss``. It receives torch tensors ``(..., k)``
        (``(...)`` integer indices for ``target_encoding="integer_class"``) with free leading
        dimensions: ``(n, k)`` from :meth:`LossSpec.torch`, ``(replicates, batch, k)`` in the
        engine. Write it with torch operations and reduce with ``dim=-1`` only, returning
        one value per sample. Extra parameters with defaults (``*, q=0.5``) become the
        spec's ``params``, so ``spec.with_params(q=0.9)`` works.
    name : str, optional
        Defaults to the decorator's name, then ``fn.__name__``; catalog names are refused.
    problem : str or sequence of str, default "regression"
        From :data:`PROBLEM_TYPES`.
    output : str or sequence of str, default "linear"
        The output layer's activation(s) the loss expects, from :data:`OUTPUTS`.
    target_encoding : str, optional
        A key of :data:`TARGET_ENCODINGS`; by default ``"real"`` for regression,
        ``"binary_01"`` for binary and multi-label, ``"one_hot"`` for multi-class.
    summary : str, optional
        When to use it; defaults to the first paragraph of ``fn``'s docstring.
    n_outputs : int, default 1
        Output units of the check's random batch (class encodings use at least 3).
    time_limit : float, default 30
        Seconds the pre-training check may take (:func:`check_custom`).

    Every argument left out is read from :func:`loss`'s metadata on ``fn``, then defaulted.

    Returns
    -------
    LossSpec
        ``torch_kernel`` is ``fn`` itself; ``numpy_kernel`` runs ``fn`` on float64 tensors
        (a custom loss has no separate NumPy formula to hold it to). ``origin`` records
        ``module:function`` and a hash of the function's source.

    Raises
    ------
    ValueError
        When :func:`check_custom` refuses the function, or the metadata is unknown.

    Examples
    --------
    >>> from losslab import losses
    >>> def half_squared(y_true, y_pred):
    ...     return 0.5 * ((y_pred - y_true) ** 2).sum(dim=-1)
    >>> spec = losses.custom(half_squared)
    >>> spec.name, spec.output_activations, spec.target_encoding
    ('half_squared', ('linear',), 'real')
    >>> spec.numpy([0.0, 2.0], [1.0, 2.0], reduction="none")
    array([0.5, 0. ])
    >>> losses.custom(lambda y_true, y_pred: ((y_pred - y_true) ** 2).mean())
    Traceback (most recent call last):
    ...
    ValueError: custom loss '<lambda>' ...: the shape check failed: it returned shape () for y_true and y_pred of shape (8, 1) (float32) — it reduced over the batch. Return one value per sample: reduce with dim=-1 only, e.g. ((y_pred - y_true) ** 2).mean(dim=-1).
    """
    return _build(fn, None, dict(name=name, problem=problem, output=output, target_encoding=target_encoding,
                                 summary=summary, n_outputs=n_outputs), time_limit)


def _build(fn: Callable, ref: str | None, given: dict[str, Any], time_limit: float) -> LossSpec:
    if isinstance(fn, LossSpec):
        raise TypeError("custom: expected a function (y_true, y_pred) -> per-sample loss. Received: a LossSpec; use it as it is.")
    if not callable(fn):
        raise TypeError(f"custom: expected a function (y_true, y_pred) -> per-sample loss. Received: {type(fn).__name__}.")
    place = where(fn)
    merged = {**getattr(fn, _META, {}), **{k: v for k, v in given.items() if v is not None}}
    meta = _metadata(merged, f"custom loss {merged.get('name') or getattr(fn, '__name__', '')!r} ({place})")
    title = meta["name"] or getattr(fn, "__name__", type(fn).__name__)
    label = f"custom loss {title!r} ({place})"
    params = _params(fn, label)
    # A loaded loss is named by its reference; any other needs a name of its own, unlike the catalog's.
    taken = canonical(title)
    if ref is None and taken is not None:
        raise ValueError(f"{label}: the name {title!r} is the catalog's {taken}. Pass name='my_{title}' (custom(fn, name=...) or @losslab.loss(name=...)).")
    shape_rule = "class_index" if meta["encoding"] == "integer_class" else "same"
    source = ref or f"{getattr(fn, '__module__', '?')}:{getattr(fn, '__qualname__', title)}"
    doc = inspect.getdoc(fn) if inspect.isroutine(fn) else None
    summary = meta["summary"] or (doc.split("\n\n")[0].replace("\n", " ") if doc else f"User-defined loss {title} ({where}).")
    tex = title.replace("_", r"\_")
    spec = LossSpec(
        name=ref or title,
        title=title,
        problem_types=meta["problems"],
        activations=meta["outputs"],
        target_encoding=meta["encoding"],
        target_domain=TARGET_ENCODINGS[meta["encoding"]],
        prediction_domain=f"outputs of a {' or '.join(meta['outputs'])} layer",
        formula=rf"\ell(y, \hat y) = \texttt{{{tex}}}(y, \hat y)",
        summary=summary,
        numpy_kernel=_Float64Reference(fn, shape_rule == "class_index"),
        torch_kernel=fn,
        params=params,
        shape_rule=shape_rule,
        logits_activations=meta["outputs"],
        notes=(
            f"User-defined in {where}.",
            "The NumPy reference runs this torch function on float64 tensors: a custom loss has no separate NumPy formula.",
            "Neither Keras nor PyTorch has it: to_torch_module() runs it through losslab's validation.",
        ),
    )
    check_custom(spec, n_outputs=meta["n_outputs"], time_limit=time_limit)
    # After the check, which has run the function: modules it imports when first called are loaded by then.
    digest, sources = identity(fn)
    spec = dataclasses.replace(spec, origin=f"{source} sha256:{digest}", sources=sources)
    # After the checks, so a broken lambda hears what is broken first.
    if ref is None and title == "<lambda>":
        raise ValueError(f"{label}: a lambda has no name to show in comparisons. Pass name=: losses.custom(fn, name='my_loss').")
    return spec


class _Float64Reference:
    """The NumPy reference of a custom loss: its torch function on float64 tensors."""

    def __init__(self, fn: Callable, class_index: bool) -> None:
        self.fn, self.class_index = fn, class_index

    def __call__(self, y_true: np.ndarray, y_pred: np.ndarray, **params: Any) -> np.ndarray:
        import torch

        t = torch.as_tensor(np.asarray(y_true))
        t = t.long() if self.class_index else t.to(torch.float64)
        with torch.no_grad():
            out = self.fn(t, torch.as_tensor(np.asarray(y_pred), dtype=torch.float64), **params)
        return out.detach().cpu().numpy().astype(np.float64)


def _params(fn: Callable, label: str) -> dict[str, Any]:
    """Parameters after (y_true, y_pred) become hyperparameters; each needs a default."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return {}
    kinds = inspect.Parameter
    positional = [p for p in signature.parameters.values() if p.kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD)]
    var_positional = any(p.kind == kinds.VAR_POSITIONAL for p in signature.parameters.values())
    if len(positional) < 2 and not var_positional:
        raise ValueError(f"{label}: expected a function of (y_true, y_pred). Received: a function of ({', '.join(signature.parameters)}).")
    params = {}
    for p in list(signature.parameters.values())[2:]:
        if p.kind in (kinds.VAR_POSITIONAL, kinds.VAR_KEYWORD):
            continue
        if p.default is kinds.empty:
            raise ValueError(f"{label}: expected every parameter after (y_true, y_pred) to have a default. Received: {p.name!r} without one.")
        params[p.name] = p.default
    return params


# ---------------------------------------------------------------- loading
def load(ref: str, *, time_limit: float = TIME_LIMIT, **meta: Any) -> LossSpec:
    """Import a loss function from ``"file.py:function"`` or ``"package.module:function"``, checked.

    Loading runs the user's code: the file, or the module and the packages above it. These two
    forms are the only ones that load code, and reading a stored study never does.

    File paths are relative to the current directory; the file is read and run afresh on
    every call (an edited file gives a new ``origin`` hash); while it runs, its own folder is
    on ``sys.path`` after everything else, so its neighbours import but never shadow the
    standard library or installed packages. Module references import as Python does, with
    the current directory searched last, never first; standard-library modules are
    refused (``"this:x"`` would run ``this``). The spec's ``name`` is the
    reference as written, so ``losses.get(spec.name)`` finds it again; its ``title`` is the
    function's (or the decorator's) name.

    Parameters
    ----------
    ref : str
        ``"my_losses.py:trimmed_mse"``, ``"losses/robust.py:fn"``, ``"mypkg.losses:fn"``.
    time_limit : float, default 30
        Seconds the pre-training check may take (:func:`check_custom`).
    **meta
        ``problem``, ``output``, ``target_encoding``, ``summary``, ``n_outputs``, as in :func:`custom`.

    Examples
    --------
    >>> from losslab import losses
    >>> spec = losses.load("losslab.losses.regression:_mae_torch")
    >>> spec.name, spec.title, spec.origin.split()[0]
    ('losslab.losses.regression:_mae_torch', '_mae_torch', 'losslab.losses.regression:_mae_torch')
    >>> losses.load("no_such_file.py:f")
    Traceback (most recent call last):
    ...
    ValueError: load 'no_such_file.py:f': no file 'no_such_file.py' (looked for ...no_such_file.py). ...
    """
    if not isinstance(ref, str):
        raise TypeError(f"load: expected a reference 'file.py:function' or 'package.module:function'. Received: {type(ref).__name__}.")
    text = ref.strip()
    match = _REF.match(text)
    if match is None:
        raise ValueError(f"load: expected 'file.py:function' or 'package.module:function'. Received: {ref!r}.")
    target, attr = match["target"], match["attr"]
    if target.endswith(".py") or "/" in target or os.sep in target:
        module, shown = _import_file(target, text), target
    elif _MODULE.match(target):
        top = target.split(".")[0]
        if top in sys.stdlib_module_names:
            raise ValueError(
                f"load {text!r}: {top!r} is a module of Python's standard library, not a loss source; importing it would "
                f"run its code. Expected 'file.py:function' or 'package.module:function' naming your own code. "
                f"For a file of yours called {top}.py, write its path: './{top}.py:{attr}'."
            )
        module, shown = _import_module(target, text), f"module {target}"
    else:
        raise ValueError(f"load {text!r}: expected a file ending in .py or a dotted module name before ':'. Received: {target!r}.")
    if not hasattr(module, attr):
        defined = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_")
                         and getattr(v, "__module__", None) == module.__name__)
        have = f" It defines: {', '.join(defined)}." if defined else " It defines no functions."
        raise ValueError(f"load {text!r}: {shown} has no function {attr!r}.{have}")
    fn = getattr(module, attr)
    if not callable(fn) or isinstance(fn, type):
        raise ValueError(
            f"load {text!r}: expected {attr} to be a function (y_true, y_pred) -> per-sample loss. Received: a {type(fn).__name__}"
            f"{'' if isinstance(fn, type) else f' ({fn!r:.40})'}."
        )
    return _build(fn, text, meta, time_limit)


def _import_file(target: str, text: str) -> types.ModuleType:
    path = Path(target).expanduser()
    full = (path if path.is_absolute() else Path.cwd() / path).resolve()
    if not full.is_file():
        raise ValueError(
            f"load {text!r}: no file {target!r} (looked for {full}). Give the path relative to the current directory "
            f"({Path.cwd()}), or an absolute one."
        )
    source = full.read_text(encoding="utf-8")
    filename = str(full)
    name = "losslab_user_" + re.sub(r"\W", "_", full.stem) + "_" + hashlib.sha1(filename.encode()).hexdigest()[:8]
    module = types.ModuleType(name)
    module.__file__ = filename
    # inspect reads source through linecache; an entry without mtime is never refreshed from disk, so the hash is
    # always taken of the text that was run (a rewrite within one mtime tick would otherwise be missed).
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    sys.modules[name] = module  # functions defined there pickle by reference (forked workers)
    # Its neighbours import, as when the file runs as a script; but searched last, so a neighbour never
    # shadows the standard library or an installed package.
    with _searched_last(str(full.parent)):
        try:
            exec(compile(source, filename, "exec"), module.__dict__)
        except Exception as exc:
            sys.modules.pop(name, None)
            raise ValueError(f"load {text!r}: running {target} raised {type(exc).__name__}: {exc}") from exc
    return module


@contextlib.contextmanager
def _searched_last(folder: str):
    """``folder`` at the end of ``sys.path`` for the duration, unless it is on the path already."""
    added = folder not in sys.path
    if added:
        sys.path.append(folder)
    try:
        yield
    finally:
        if added and folder in sys.path:
            sys.path.remove(folder)


def _import_module(target: str, text: str) -> types.ModuleType:
    cwd = os.getcwd()
    importlib.invalidate_caches()  # a module written since the last import is found
    try:
        with _searched_last(cwd):  # never first: a file in the cwd must not shadow an installed module
            return importlib.import_module(target)
    except ModuleNotFoundError as exc:
        raise ValueError(
            f"load {text!r}: no module named {exc.name!r} (looked on sys.path and in {cwd}). "
            f"For a file, write its path: '{target.replace('.', '/')}.py:{text.rsplit(':', 1)[1]}'."
        ) from exc
    except Exception as exc:
        raise ValueError(f"load {text!r}: importing {target} raised {type(exc).__name__}: {exc}") from exc
