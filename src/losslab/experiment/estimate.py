"""How long a study will train on this machine, and how to cut it into chunks of about a minute.

A lockstep step costs a fixed overhead (Python, op dispatch) plus a part that grows with
the work it does (replicates x minibatch rows); an epoch is its steps plus a forward pass
over the rows its learning curve is evaluated on. :func:`measure` times a few steps of
the engine on random data of the study's shape (about a second, once per network shape)
and :class:`StepCost` turns a batch's size into seconds with that model.

The runner uses it twice: to cut the study into chunks whose training is estimated at
about ``budget`` seconds each (every chunk is committed to the store when it finishes), and
to tell the user the plan and how long it will take before anything trains. It counts
every epoch, so with early stopping it is usually several times the real time, and chunks
are then sized at ``STOPPING_CHUNK_FACTOR`` times the budget.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

import numpy as np

# A chunk of trials is sized to train for about this long (estimated) before it is committed.
CHUNK_SECONDS = 60.0
# With early stopping the estimate counts every epoch, while trials end much sooner: the real
# tables and the scale runs trained 10-40% of their epochs (50,000 rows: 206 s of training where
# 18 min were estimated). Such a study's chunks are sized at this many CHUNK_SECONDS of the
# estimate, about a minute of real training. Larger chunks train more replicates in lockstep:
# measured on the 50,000-row default (benchmarks/real_scale.py), 30 chunks of 12 networks
# trained in 206 s, 3 chunks of 120 in 80 s; the 10,000-row default 37 -> 25 s. A chunk that
# does train longer checkpoints every ~60 s (``checkpoint.CHECKPOINT_SECONDS``), so a kill
# still loses at most about a minute.
STOPPING_CHUNK_FACTOR = 4.0
# Beyond this many estimated seconds a study asks for confirmation (``confirm=True``, ``--yes``).
CONFIRM_SECONDS = 3600.0

_MEASURED: dict[tuple, StepCost] = {}


@dataclasses.dataclass(frozen=True)
class StepCost:
    """Seconds per lockstep step and per unit of work, measured on this machine.

    Parameters
    ----------
    per_step : float
        Fixed seconds of one lockstep step, whatever its size.
    per_row : float
        Seconds per replicate x minibatch row of a training step (forward, backward, update).
    per_eval_row : float
        Seconds per replicate x row of a per-epoch evaluation (forward only).
    per_shuffle_row : float
        Seconds per replicate x training row to draw an epoch's minibatch order.
    threads : int, optional
        The torch threads these costs were measured with (the faster of one thread and
        torch's default: on a busy machine one thread is often several times faster).
    """

    per_step: float
    per_row: float
    per_eval_row: float
    per_shuffle_row: float = 0.0
    threads: int | None = None

    def epoch_seconds(self, replicates: int, steps: int, batch_size: int, eval_rows: int) -> float:
        """One epoch of ``replicates`` in lockstep: ``steps`` minibatches of ``batch_size``
        rows each, then ``eval_rows`` rows evaluated per replicate."""
        rows = replicates * steps * batch_size
        return (steps * self.per_step + rows * (self.per_row + self.per_shuffle_row)
                + replicates * eval_rows * self.per_eval_row)

    def seconds(self, replicates: int, steps: int, batch_size: int, eval_rows: int, epochs: int) -> float:
        return epochs * self.epoch_seconds(replicates, steps, batch_size, eval_rows)


def measure(n_inputs: int, hidden: Sequence[int], n_outputs: int, batch_size: int, *, hidden_activation: str = "relu",
            device: str | None = None) -> StepCost:
    """Time a few engine steps of this network shape on random data (cached per shape).

    Two lockstep runs without evaluation (one replicate, and enough replicates for about
    4,000 rows a step) give the fixed and the per-row cost of a step; a third with
    evaluation rows gives the cost of evaluating. Each run's epochs are timed one by one
    and the median kept (the first epoch pays for allocation; other work on the machine
    makes single epochs slow). Done with one torch thread, and with torch's default too
    when the machine is idle enough for it (:func:`threads_to_try`); the faster is kept.
    Takes well under a second for the default study.
    """
    import torch

    key = (int(n_inputs), tuple(hidden), int(n_outputs), int(batch_size), hidden_activation, str(device),
           torch.get_num_threads())
    if key in _MEASURED:
        return _MEASURED[key]
    from .. import losses
    from ..engine import Member, Network, Replicate, train
    from ..engine.network import minibatch_order

    network = Network(int(n_inputs), tuple(hidden), int(n_outputs), hidden_activation)
    steps, n_eval = 8, 4 * batch_size
    many = max(2, min(64, 4096 // batch_size))
    n = steps * batch_size + n_eval
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, n_inputs)).astype(np.float32)
    member = Member(losses.get("mse"), "linear", rng.standard_normal((n, n_outputs)))
    train_rows, eval_rows = np.arange(steps * batch_size), np.arange(steps * batch_size, n)

    def epoch_time(R: int, with_eval: bool, threads: int) -> float:
        marks: list[float] = []
        reps = [Replicate(0, i, train_rows, eval_rows if with_eval else None) for i in range(R)]
        train(X, [member], reps, network=network, epochs=7, batch_size=batch_size, device=device, threads=threads,
              progress=lambda _: marks.append(time.perf_counter()))
        return float(np.median(np.diff(marks)))

    # An epoch's minibatch order: uniform keys per replicate, sorted (what the trainer does).
    keys = np.random.default_rng(0).random((64, 8192))
    started = time.perf_counter()
    minibatch_order(keys)
    per_shuffle_row = 2 * (time.perf_counter() - started) / keys.size  # drawing the keys costs about as much
    costs = []
    for threads in threads_to_try(device):
        one, full = epoch_time(1, False, threads), epoch_time(many, False, threads)
        evaluated = epoch_time(many, True, threads)
        per_row = max(full - one, 1e-9) / ((many - 1) * steps * batch_size)
        per_step = max(one / steps - batch_size * per_row, 1e-7)
        # Forward only: never costlier than a training row, never free.
        per_eval_row = min(max(max(evaluated - full, 0.0) / (many * n_eval), per_row / 6), per_row)
        costs.append(StepCost(per_step, per_row, per_eval_row, per_shuffle_row, threads))
    # The faster at the size of a typical chunk (a few hundred replicates).
    cost = min(costs, key=lambda c: c.epoch_seconds(200, steps, batch_size, n_eval))
    _MEASURED[key] = cost
    return cost


def threads_to_try(device: str | None = None) -> list[int]:
    """One torch thread, and torch's default when the cores are idle enough to give it.

    With other work on the machine, torch's OpenMP threads wait for each other at every
    small operation: measured on 2 busy cores, one lockstep step of 90 replicates took 2.8 ms
    with one thread and 34 ms with two. On idle cores two threads gain little at these
    sizes (see docs/scaling.md), so a second thread is only tried when it can help.
    """
    import os

    import torch

    if device is not None and str(device).startswith("cuda"):
        return [torch.get_num_threads()]
    default = torch.get_num_threads()
    try:
        busy = os.getloadavg()[0]
    except OSError:  # not on this platform
        busy = 0.0
    cores = os.cpu_count() or 1
    return [1, default] if default > 1 and busy + default <= cores + 0.5 else [1]


def threads_now(threads: int | None) -> int | None:
    """The torch threads for a chunk about to train: ``threads`` (chosen when the study was
    scheduled), or one when the machine has become busy since.

    The choice is made once, before the first chunk; a long study on a shared machine sees
    other work arrive. On 2 cores with a load average of ~15, a 50,000-row study chunk
    estimated at 60 s trained 18 min with two threads (each thread waiting for the other at
    every small operation). The load average counts this study's own threads while it trains,
    so a second thread is kept while it stays within the cores.
    """
    import os

    if threads is None or threads <= 1:
        return threads
    try:
        busy = os.getloadavg()[0]
    except OSError:  # not on this platform
        return threads
    return threads if busy <= (os.cpu_count() or 1) + 0.5 else 1


@dataclasses.dataclass(frozen=True)
class Chunk:
    """Some splits trained in one engine call and committed together, and its estimated seconds."""

    splits: tuple
    replicates: int
    seconds: float


def chunk_splits(splits: Sequence, replicates_per_split: int, *, cost: StepCost, epochs: int, steps: int,
                 batch_size: int, eval_rows: int, budget: float = CHUNK_SECONDS, max_replicates: int = 240) -> list[Chunk]:
    """Consecutive splits grouped so that each group trains in about ``budget`` seconds.

    A group holds at least one split (a single split over budget is checkpointed while it
    trains instead) and at most ``max_replicates`` replicates (memory).
    """
    if not splits:
        return []
    per_split = max(1, int(replicates_per_split))

    def seconds(k: int) -> float:
        return cost.seconds(k * per_split, steps, batch_size, eval_rows, epochs)

    k = max(1, min(len(splits), max_replicates // per_split))
    while k > 1 and seconds(k) > budget:
        # The fixed per-step overhead is shared, so the time is affine in k: solve, then check.
        fixed = seconds(0)
        slope = (seconds(k) - fixed) / k
        k = max(1, min(k - 1, int((budget - fixed) / slope) if slope > 0 else k - 1))
    return [Chunk(tuple(splits[i: i + k]), len(splits[i: i + k]) * per_split, seconds(len(splits[i: i + k])))
            for i in range(0, len(splits), k)]


def duration(seconds: float) -> str:
    """``"about 40 s"``, ``"about 3 min"``, ``"about 2.5 h"``."""
    if seconds < 90:
        return f"about {max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60)} min"
    return f"about {seconds / 3600:.1f} h"


class EstimateTooLong(ValueError):
    """A study estimated beyond :data:`CONFIRM_SECONDS`, started without ``confirm=True``."""

    def __init__(self, seconds: float, plan_text: str) -> None:
        self.seconds = seconds
        self.plan_text = plan_text
        super().__init__(
            f"{plan_text}: that is more than {CONFIRM_SECONDS / 3600:.0f} h. Expected confirm=True to start a study this "
            f"long. Received: confirm=False. Pass confirm=True, or make it smaller (fewer repeats, epochs or losses)."
        )
