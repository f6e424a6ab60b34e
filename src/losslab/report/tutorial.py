"""The figures of `losslab reproduce`: one learning-curve figure per experiment, one summary."""

from __future__ import annotations

from pathlib import Path

from ..study.reproduction import Reproduction
from ..study.tutorial import PROBLEMS
from .curves import learning_curves, metric_boxes

_METRIC_LABEL = {"mse": "mean squared error", "accuracy": "accuracy"}


def draw(result: Reproduction, out: str | Path) -> list[Path]:
    """Write ``<experiment>.png`` for each experiment and ``summary.png``; return the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    n = len(result.seeds)
    for e in result.experiments:
        path = out / f"{e.name}.png"
        learning_curves(
            result.curves(e.name),
            title=f"{e.name if e.name == e.loss else e.name + ': ' + e.loss}\n{PROBLEMS[e.problem].title}, {e.output} output, {n} repeats",
            loss_label=f"loss: {e.loss}",
            metric_label=_METRIC_LABEL[e.metric],
            path=path,
            log_loss=e.problem == "regression",
        )
        paths.append(path)
    groups = []
    for problem, spec in PROBLEMS.items():
        chosen = [e for e in result.experiments if e.problem == problem]
        if chosen:
            values = {e.name: result.final(e.name)["metric_test"] for e in chosen}
            groups.append((spec.title, f"test {spec.metric}" if spec.metric != "mse" else "test MSE", values))
    summary = out / "summary.png"
    metric_boxes(groups, title=f"Test metric of every repeat ({n} per loss)", path=summary)
    paths.append(summary)
    return paths
