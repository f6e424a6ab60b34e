"""`losslab recommend` and `losslab check`: the advisor, before anything trains."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from . import app, console

DataArg = Annotated[Optional[Path], typer.Argument(help="A CSV, TSV, Parquet, .npy or .npz file.", show_default=False)]
TargetOpt = Annotated[Optional[str], typer.Option(help="Target column(s) of the file, comma-separated.")]
DatasetOpt = Annotated[Optional[str], typer.Option(help="A bundled data set instead of a file: iris, wine, breast_cancer, digits, diabetes, linnerud, regression, circles, blobs.")]


def _targets(data, target, dataset, dropna=False):
    from ..api import load_data

    if (data is None) == (dataset is None):
        raise ValueError("expected a data file or --dataset NAME (one of the two).")
    return load_data(f"dataset:{dataset}" if dataset else data, target, dropna=dropna)


@app.command()
def recommend(data: DataArg = None, target: TargetOpt = None, dataset: DatasetOpt = None,
              dropna: Annotated[bool, typer.Option(help="Drop rows with missing values.")] = False) -> None:
    """Read the targets; recommend output layer, loss, target encoding and metric, with the alternatives worth comparing."""
    from rich.markup import escape

    from ..advisor import recommend as advise

    _, y, info = _targets(data, target, dataset, dropna)
    rec = advise(y)
    out = console()
    out.print(f"[bold]{escape(info['source'])}[/bold]")
    for line in rec.lines():
        out.print(escape(line), highlight=False)
    out.print(f"Compare them: losslab compare {escape(str(data)) if data else '--dataset ' + dataset}"
              f"{' --target ' + target if target else ''} --losses {','.join(rec.candidates)}", highlight=False)


@app.command()
def check(loss: Annotated[str, typer.Option(help="The loss: a name or alias (hinge, bce, CrossEntropyLoss, ...).")],
          output: Annotated[Optional[str], typer.Option(help="The output layer's activation: linear, sigmoid, tanh, softmax, ...")] = None,
          units: Annotated[Optional[int], typer.Option(help="The output layer's units.")] = None,
          from_logits: Annotated[Optional[bool], typer.Option("--from-logits/--no-from-logits", help="Whether the loss is told its inputs are logits.")] = None,
          data: Annotated[Optional[Path], typer.Option(help="A data file whose targets to check.")] = None,
          target: TargetOpt = None, dataset: DatasetOpt = None) -> None:
    """Check that a loss, an output layer and the targets fit together; exit 2 with the fix when they do not."""
    from ..advisor import check as check_setup

    y = None
    if data is not None or dataset is not None:
        _, y, _ = _targets(data, target, dataset)
    check_setup(loss, output, y, output_units=units, from_logits=from_logits)
    parts = [f"loss {loss}"] + ([f"{output} output"] if output else []) + ([f"{units} unit(s)"] if units else [])
    parts += ["the targets"] if y is not None else []
    console().print("OK: " + ", ".join(parts) + " fit together.", highlight=False)
