"""What users call from Python: ``recommend``, ``check``, ``reproduce``, ``compare``, ``landscape``."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .study.reproduction import Reproduction


class ReproduceResult(Reproduction):
    """:class:`~losslab.study.reproduction.Reproduction` plus its figures."""

    def plot(self, out: str | Path) -> list[Path]:
        """Draw every experiment's learning curves and the summary figure into ``out``."""
        from .report.tutorial import draw

        return draw(self, out)


def reproduce(only: str | Sequence[str] | None = None, *, repeats: int = 30, seed: int = 0,
              processes: int | None = None, device: str | None = None,
              progress: Callable[[int], None] | None = None) -> ReproduceResult:
    """Run the tutorial's experiments ``repeats`` times each (seeds ``seed .. seed + repeats - 1``).

    Parameters
    ----------
    only : str or sequence of str, optional
        Experiments by name or loss alias (``"hinge"``, ``"bce,kld"``) or problem
        (``"circles"``); all nine by default.
    repeats : int
        Seeds per experiment; every loss of a problem sees the same seeds.
    processes : int, optional
        Problems run side by side in this many processes (default: one per core, up to 3).
    device : str, optional
        ``"cuda"`` to train on a GPU.

    Examples
    --------
    >>> result = reproduce("hinge", repeats=3)          # doctest: +SKIP
    >>> result.table()[["test_mean", "keras2_test_accuracy"]]  # doctest: +SKIP
    """
    from .advisor import check
    from .study import tutorial

    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"reproduce: expected repeats >= 1. Received: repeats={repeats!r}.")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"reproduce: expected seed >= 0. Received: seed={seed!r}.")
    experiments = tutorial.select(only)
    # Nothing trains on a setup the checks refuse, except the one the tutorial itself ran
    # through Keras' silent clipping (MSLE on standardized targets): it runs in
    # compatibility mode and the refusal is reported beside its result.
    refusals = {}
    for e in experiments:
        X, y = tutorial.problem_data(e.problem)
        targets, _ = tutorial.encode(y, e.encoding, tutorial.PROBLEMS[e.problem].n_outputs)
        try:
            check(e.loss, e.output_activation, targets)
        except ValueError as err:
            if not e.spec.params.get("keras_compat"):
                raise
            reasons = [str(err)]
            try:  # the targets' own refusal, beside the output layer's
                check(e.loss, None, targets)
            except ValueError as err2:
                reasons.append(str(err2))
            refusals[e.name] = " ".join(dict.fromkeys(reasons))
    started = time.perf_counter()
    seeds = list(range(seed, seed + repeats))
    runs = tutorial.run_all(experiments, seeds, processes=processes, progress=progress, device=device)
    return ReproduceResult(experiments, seeds, runs, time.perf_counter() - started, refusals)
