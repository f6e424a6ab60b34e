"""A planned study, run: its estimate, its notes, its store (created or resumed), its trials.

:func:`run_study` takes a :class:`~losslab.experiment.planning.Plan` that passed every check
and does what :func:`losslab.api.compare` promises after them, in this order: the time
estimate (a study beyond an hour is refused unless confirmed), the notes the report shows,
a free-space check, the store created or resumed, the trials trained and committed chunk
by chunk, and the study read back.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import runner
from .planning import Plan
from .build import trial_bytes
from .estimate import CONFIRM_SECONDS, EstimateTooLong
from .results import Study
from .spec import fingerprint
from .space import check_space
from .store import Interrupted, Store, finished_in

# What every study does to its data, said in its report.
NOTES = (
    "Features are imputed (median, or most frequent level), standardized (numeric) and one-hot encoded "
    "(categorical, with every level of the column) with statistics of each training fold only; "
    "the tutorials scale before splitting, losslab does not.",
    "Regression targets are standardized with each training fold's mean and standard deviation "
    "(divided by it alone for losses that need non-negative targets, such as Poisson and MSLE); "
    "predictions are scored in the target's own units.",
    "Each trial is scored on its held-out rows with the metric, never with the training loss.",
)


def study_info(plan: Plan, recommendation: Any) -> dict[str, Any]:
    """What the store keeps beside the trials: the data's summary and notes, the problem as the
    advisor read it, its recommendation, and the notes on how every study treats its data."""
    prepared = plan.data
    info = prepared.info()
    info["data_notes"] = [*info["data_notes"], *plan.notes]
    info.update({
        "rows": len(prepared.X), "features": int(prepared.X.shape[1]), "problem": recommendation.problem.evidence,
        "recommendation": recommendation.lines(), "notes": list(NOTES),
    })
    return info


def run_study(plan: Plan, recommendation: Any, *, out: str | Path | None = None, device: str | None = None,
              executor: Any = None, tracker: Any = None, confirm: bool = False, batch_given: bool = False,
              on_start: Callable[[Plan, int], None] | None = None,
              on_epochs: Callable[[int], None] | None = None,
              on_trials: Callable[[list], None] | None = None) -> Study:
    """Estimate, store and train the planned study in ``out`` (a temporary folder by default);
    calling again with the same plan and ``out`` resumes it. Returns the study read back.

    Raises :class:`EstimateTooLong` for a study estimated beyond an hour unless ``confirm``,
    :class:`~losslab.experiment.store.DiskFull` when its trials would not fit on the disk, and
    :class:`~losslab.experiment.store.Interrupted` (with the number of trials stored) on Ctrl-C.
    ``batch_given``: the user chose the batch size (the report says so).
    """
    info = study_info(plan, recommendation)
    # The plan and its estimate, before anything is written (a resumed study counts what is left).
    plan.schedule = runner.schedule(plan, finished_in(out) if out is not None else (), device=device, executor=executor)
    if plan.schedule.total_seconds > CONFIRM_SECONDS and not confirm:
        raise EstimateTooLong(plan.schedule.total_seconds, plan.schedule.describe())
    notes, info["design"] = runner.design_notes(plan, batch_given=batch_given)
    info["notes"] += notes
    folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="losslab-study-"))
    per_trial = trial_bytes(plan)
    if not (folder / "study.sqlite").exists():  # a new study: refused before its folder is made
        check_space(folder, len(plan.trials), per_trial)
    with Store.create_or_resume(folder, plan.spec, fingerprint(plan.X, plan.y), info) as store:
        todo = len(plan.trials) - len(store.finished())
        store.expect(len(plan.trials), per_trial)
        store.check_space(todo)
        if on_start is not None:
            on_start(plan, todo)
        try:
            runner.run(plan, store, on_epochs=on_epochs, on_trials=on_trials, device=device, executor=executor, tracker=tracker)
        except KeyboardInterrupt:
            # Ctrl-C: what is committed stays; say how much, and how to go on.
            raise Interrupted(store.count(), folder) from None
    return Study.load(folder)
