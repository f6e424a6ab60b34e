"""`losslab reproduce`: the tutorial's experiments run (:func:`run`, which refuses what the
advisor refuses, except where the tutorial itself ran it), and every repeat's numbers, the
table, and the files (:class:`Reproduction`)."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from . import experiments as tutorial
from .experiments import EXPERIMENTS, PROBLEMS, Experiment, ProblemRun

_BY_NAME = {e.name: e for e in EXPERIMENTS}


@dataclasses.dataclass
class Reproduction:
    """Histories of the tutorial's experiments over ``seeds``; see :meth:`table`."""

    experiments: list[Experiment]
    seeds: list[int]
    runs: dict[str, ProblemRun]
    seconds: float = 0.0
    refusals: dict[str, str] = dataclasses.field(default_factory=dict)

    # ------------------------------------------------------------------ raw numbers
    def curves(self, name: str) -> dict[str, np.ndarray]:
        """Per-epoch ``{"loss_train", "loss_test", "metric_train", "metric_test"}``, each (repeats, epochs)."""
        e = _BY_NAME[name]
        h = self.runs[e.problem].history
        rows = h.of(name)
        return {
            "loss_train": h.loss["train"][rows], "loss_test": h.loss["test"][rows],
            "metric_train": h.metrics[e.metric]["train"][rows], "metric_test": h.metrics[e.metric]["test"][rows],
        }

    def final(self, name: str) -> dict[str, np.ndarray]:
        """Last-epoch numbers per repeat (train/test metric and loss; Keras 2 accuracy for hinge)."""
        e = _BY_NAME[name]
        h = self.runs[e.problem].history
        rows = h.of(name)
        # The trained model evaluated on all train and test rows, as the tutorial's model.evaluate().
        out = {"loss_train": h.final("train")[rows], "loss_test": h.final("test")[rows],
               "metric_train": h.final("train", e.metric)[rows], "metric_test": h.final("test", e.metric)[rows]}
        keras2 = self.runs[_BY_NAME[name].problem].keras2_accuracy.get(name)
        if keras2 is not None:
            out["keras2_accuracy_train"], out["keras2_accuracy_test"] = keras2[:, 0], keras2[:, 1]
        return out

    def records(self) -> list[dict]:
        """One dict per (experiment, repeat): what results.json / results.csv hold."""
        rows = []
        for e in self.experiments:
            f = self.final(e.name)
            for i, seed in enumerate(self.seeds):
                row = {"experiment": e.name, "problem": e.problem, "loss": e.loss, "output": e.output,
                       "metric": e.metric, "repeat": i, "seed": seed,
                       f"train_{e.metric}": float(f["metric_train"][i]), f"test_{e.metric}": float(f["metric_test"][i]),
                       "train_loss": float(f["loss_train"][i]), "test_loss": float(f["loss_test"][i])}
                if "keras2_accuracy_test" in f:
                    row["keras2_accuracy_train"] = float(f["keras2_accuracy_train"][i])
                    row["keras2_accuracy_test"] = float(f["keras2_accuracy_test"][i])
                rows.append(row)
        return rows

    # ------------------------------------------------------------------ the table
    def verdict(self, name: str) -> tuple[bool, str]:
        """Whether our repeats agree with what the tutorial reports, and why."""
        e = _BY_NAME[name]
        c = e.claim
        f = self.final(name)
        train, test = f["metric_train"], f["metric_test"]
        if c.kind == "zero":
            ok = test.mean() < 5e-4 and train.mean() < 5e-4
            return ok, "agrees" if ok else f"differs: mean test MSE {test.mean():.3f}, not 0.000"
        if c.kind == "about":
            ok = train.min() <= c.train <= train.max() and test.min() <= c.test <= test.max()
            return ok, "agrees (within our range)" if ok else f"differs: outside our range {test.min():.2f}-{test.max():.2f}"
        if c.kind == "below":
            if "keras2_accuracy_test" in f:
                k2 = f["keras2_accuracy_test"].mean()
                ok = k2 < c.test
                true = test.mean()
                return ok, (f"agrees under Keras 2's accuracy ({k2:.2f}); the true accuracy is {true:.2f}" if ok
                            else f"differs: Keras 2 accuracy {k2:.2f}; true accuracy {true:.2f}")
            ok = test.mean() < c.test
            return ok, "agrees" if ok else f"differs: mean {test.mean():.2f}"
        if c.other not in {x.name for x in self.experiments}:
            return True, "not compared (run it with " + c.other + ")"
        other = self.final(c.other)["metric_test"].mean()
        if c.kind == "slightly_worse_than":
            ratio = test.mean() / other
            ok = 1.0 <= ratio < 2.0
            return ok, f"agrees ({ratio:.1f}x {c.other})" if ok else f"differs: {ratio:.0f}x the MSE of {c.other}, far worse than 'slightly'"
        ok = abs(test.mean() - other) < 0.01
        return ok, f"agrees (difference {test.mean() - other:+.4f})" if ok else f"differs by {test.mean() - other:+.3f}"

    def table(self):
        """One row per experiment: metric mean +- std and min-max over repeats, the tutorial's figure, a verdict."""
        import pandas as pd

        rows = []
        for e in self.experiments:
            f = self.final(e.name)
            ok, why = self.verdict(e.name)
            rows.append({
                "experiment": e.name, "problem": PROBLEMS[e.problem].title, "loss": e.loss, "output": e.output,
                "metric": e.metric,
                "train_mean": f["metric_train"].mean(), "train_std": f["metric_train"].std(ddof=1) if len(self.seeds) > 1 else 0.0,
                "test_mean": f["metric_test"].mean(), "test_std": f["metric_test"].std(ddof=1) if len(self.seeds) > 1 else 0.0,
                "test_min": f["metric_test"].min(), "test_max": f["metric_test"].max(),
                "keras2_test_accuracy": f["keras2_accuracy_test"].mean() if "keras2_accuracy_test" in f else np.nan,
                "tutorial": e.claim.text, "agrees": ok, "comment": why,
            })
        return pd.DataFrame(rows).set_index("experiment")

    # ------------------------------------------------------------------ files
    def save(self, out: str | Path) -> list[Path]:
        """Write results.json and results.csv (every repeat) into ``out``; return the paths."""
        import pandas as pd

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        records = self.records()
        table = self.table().reset_index()
        meta = {"source": "losslab reproduce", "seeds": self.seeds, "seconds": self.seconds,
                "refusals": self.refusals, "summary": json.loads(table.to_json(orient="records")), "repeats": records}
        paths = [out / "results.json", out / "results.csv"]
        paths[0].write_text(json.dumps(meta, indent=1))
        pd.DataFrame(records).to_csv(paths[1], index=False)
        return paths


# ---------------------------------------------------------------------- running it
def refusals(experiments: Sequence[Experiment]) -> dict[str, str]:
    """Experiment name -> why the advisor refuses its setup, for the experiments the tutorial
    itself ran through Keras' silent clipping (MSLE on standardized targets): they run in
    compatibility mode, with the refusal reported beside their result. Any other refused
    setup raises: nothing trains on a setup the checks refuse."""
    from ..advisor import check

    out = {}
    for e in experiments:
        X, y = tutorial.problem_data(e.problem)
        targets, _ = tutorial.encode(y, e.encoding, PROBLEMS[e.problem].n_outputs)
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
            out[e.name] = " ".join(dict.fromkeys(reasons))
    return out


def run(only: str | Sequence[str] | None = None, *, repeats: int = 30, seed: int = 0, processes: int | None = None,
        device: str | None = None, progress: Callable[[int], None] | None = None) -> Reproduction:
    """The experiments ``only`` names (all nine by default; :func:`~losslab.tutorial.experiments.select`),
    each trained with seeds ``seed .. seed + repeats - 1`` after the setup checks (:func:`refusals`)."""
    experiments = tutorial.select(only)
    refused = refusals(experiments)
    started = time.perf_counter()
    seeds = list(range(seed, seed + repeats))
    runs = tutorial.run_all(experiments, seeds, processes=processes, progress=progress, device=device)
    return Reproduction(experiments, seeds, runs, time.perf_counter() - started, refused)
