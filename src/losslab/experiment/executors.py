"""Where a study's batches train: in this process, or as Ray tasks on a cluster.

Both executors run ``fn(shared, payload)`` for every payload and yield
``(payload_index, result)`` as the calls finish, so that the runner can store each batch
as soon as it is back: only the driver ever writes to the study's store. ``shared`` is
what every call reads (the plan: data, splits, losses); Ray puts it in its object store
once instead of shipping it with every task.

A Ray task whose worker dies (killed, out of memory, node lost) is retried up to
``max_retries`` times; one that still fails, or raises, comes back as a :class:`Failure`
carrying the error, and the runner stores its trials as failed. The local executor keeps
today's behaviour: an error raises.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

INSTALL_RAY = "executor='ray' needs Ray: pip install 'losslab[ray]'"
EXECUTORS = ("local", "ray")


@dataclasses.dataclass(frozen=True)
class Failure:
    """A call that did not return a result, after every retry: the error in words."""

    error: str
    attempts: int


class Executor(Protocol):
    name: str
    in_process: bool  # calls run here: callbacks (progress) can be passed into them
    default_device: str | None  # where calls train when the study names no device

    def map(self, fn: Callable[[Any, Any], Any], shared: Any, payloads: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """``(index, fn(shared, payloads[index]) or Failure)`` for every payload, as each finishes."""


class LocalExecutor:
    """Every call in this process, one after the other, in order."""

    name = "local"
    in_process = True
    default_device = None

    def map(self, fn, shared, payloads) -> Iterator[tuple[int, Any]]:
        for i, payload in enumerate(payloads):
            yield i, fn(shared, payload)


class RayExecutor:
    """Every call one Ray task with its resource request, results streamed back as they finish.

    Parameters
    ----------
    address : str, optional
        The cluster to join (``"auto"``, ``"ray://head:10001"``); ``None`` starts a local
        Ray with one CPU per core, unless Ray is already initialised in this process
        (then that instance is used, whatever it is).
    cpus_per_task, gpus_per_task : float
        Each task's request; torch in a task uses ``max(1, int(cpus_per_task))`` threads.
        With GPUs, tasks train on ``cuda`` unless a device is given.
    max_retries : int
        Retries of a task whose worker died. An exception raised by the training code is
        not retried: with the same seeds it would be raised again.
    """

    name = "ray"
    in_process = False

    def __init__(self, address: str | None = None, *, cpus_per_task: float = 1, gpus_per_task: float = 0,
                 max_retries: int = 2) -> None:
        if isinstance(cpus_per_task, bool) or not isinstance(cpus_per_task, (int, float)) or not cpus_per_task > 0:
            raise ValueError(f"RayExecutor: expected cpus_per_task > 0. Received: cpus_per_task={cpus_per_task!r}.")
        if isinstance(gpus_per_task, bool) or not isinstance(gpus_per_task, (int, float)) or gpus_per_task < 0:
            raise ValueError(f"RayExecutor: expected gpus_per_task >= 0. Received: gpus_per_task={gpus_per_task!r}.")
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"RayExecutor: expected max_retries >= 0. Received: max_retries={max_retries!r}.")
        self._ray = import_ray()
        self.address = address
        self.cpus_per_task = cpus_per_task
        self.gpus_per_task = gpus_per_task
        self.max_retries = max_retries

    @property
    def default_device(self) -> str | None:
        return "cuda" if self.gpus_per_task else None

    def start(self) -> None:
        """Join the cluster (or start a local one) unless this process already has."""
        ray = self._ray
        if ray.is_initialized():
            return
        import logging

        if self.address is None:
            ray.init(num_cpus=os.cpu_count(), include_dashboard=False, logging_level=logging.WARNING)
        else:
            ray.init(address=self.address, logging_level=logging.WARNING)

    def map(self, fn, shared, payloads) -> Iterator[tuple[int, Any]]:
        ray = self._ray
        self.start()
        _ship_user_modules_by_value()
        task = ray.remote(num_cpus=self.cpus_per_task, num_gpus=self.gpus_per_task, max_retries=self.max_retries,
                          retry_exceptions=False)(_call)
        shared_ref = ray.put(shared)
        threads = max(1, int(self.cpus_per_task))
        pending = {task.remote(fn, shared_ref, payload, threads): i for i, payload in enumerate(payloads)}
        try:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    i = pending.pop(ref)
                    try:
                        result = ray.get(ref)
                    except ray.exceptions.RayError as err:
                        # An exception in the call is not retried; a dead worker was, max_retries times.
                        tries = 1 if isinstance(err, ray.exceptions.RayTaskError) else self.max_retries + 1
                        result = Failure(_describe(err), tries)
                    yield i, result
        finally:
            # Stopped early (Ctrl-C, an error while storing): what is still queued would train for nothing.
            for ref in pending:
                ray.cancel(ref, force=True)


def _call(fn, shared, payload, threads: int):
    """One task on a worker: torch with the task's CPUs, then the call."""
    import torch

    torch.set_num_threads(threads)
    return fn(shared, payload)


def _describe(err: BaseException) -> str:
    text = f"{type(err).__name__}: {err}"
    # RayTaskError's text already carries the remote traceback; the others (worker crashed,
    # object lost) say what happened in their message.
    return text if len(text) < 4000 else text[:1800] + "\n...\n" + text[-2000:]


def _ship_user_modules_by_value() -> None:
    """Modules made at run time from a file (custom losses loaded with ``file.py:function``)
    cannot be imported on a worker: their functions are pickled by value instead."""
    from ray import cloudpickle

    for name, module in list(sys.modules.items()):
        if getattr(module, "__spec__", True) is None and str(getattr(module, "__file__", "")).endswith(".py") \
                and name != "__main__":
            cloudpickle.register_pickle_by_value(module)


def import_ray():
    try:
        import ray
    except ImportError:
        raise ValueError(INSTALL_RAY) from None
    return ray


def make_executor(name: str = "local", *, address: str | None = None, cpus_per_task: float = 1,
                  gpus_per_task: float = 0, max_retries: int = 2) -> LocalExecutor | RayExecutor:
    """The executor called ``name`` (``compare``'s ``executor=``; ``address`` is its ``ray_address=``)."""
    if name == "local":
        if address is not None:
            raise ValueError(f"expected ray_address only with executor='ray'. Received: executor='local', ray_address={address!r}.")
        return LocalExecutor()
    if name == "ray":
        return RayExecutor(address, cpus_per_task=cpus_per_task, gpus_per_task=gpus_per_task, max_retries=max_retries)
    raise ValueError(f"expected executor in {EXECUTORS}. Received: executor={name!r}.")
