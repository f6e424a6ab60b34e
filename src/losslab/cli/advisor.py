"""`losslab recommend` and `losslab check`: the advisor, before anything trains.

Every command that reads data (recommend, check, compare, landscape) takes the same data
options, defined here, and loads through the same API call (``api.prepare_data``).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import app, console
from .errors import to_flags

DataArg = Annotated[Optional[Path], typer.Argument(help="A CSV, TSV, Parquet, .npy or .npz file.", show_default=False)]
TargetOpt = Annotated[Optional[str], typer.Option(help="Target column(s) of the file, comma-separated.")]
DatasetOpt = Annotated[Optional[str], typer.Option(help="A bundled data set instead of a file: iris, wine, breast_cancer, digits, diabetes, linnerud, regression, circles, blobs.")]
KindOpt = Annotated[Optional[str], typer.Option(help="The problem kind, instead of reading it from the target: regression, counts, binary, multiclass, multilabel, ordinal or probabilities.")]
DropnaOpt = Annotated[bool, typer.Option(help="Drop rows with a missing value instead of imputing missing features (rows with a missing target are always dropped).")]
ExcludeOpt = Annotated[Optional[str], typer.Option(help="Feature columns to leave out, comma-separated.")]
IncludeOpt = Annotated[Optional[str], typer.Option(help="Feature columns to keep though they look like IDs, row names, constants or dates, comma-separated.")]

def data_options(data, target, dataset, kind=None, dropna=False, exclude=None, include=None) -> dict:
    """The keyword arguments of the API's data-reading functions, from the shared options."""
    if (data is None) == (dataset is None):
        raise ValueError("expected a data file or --dataset NAME (one of the two).")
    where = {"dataset": dataset} if dataset else {"data": str(data), "target": target}
    return {**where, "kind": kind, "dropna": dropna, "exclude": exclude, "include": include}


def compare_command(data, target, dataset, kind, candidates) -> str:
    """The `losslab compare` command for these candidates, quoted for a POSIX shell."""
    words = ["losslab", "compare"]
    words += [str(data)] if data else ["--dataset", dataset]
    words += ["--target", target] if target else []
    words += ["--kind", kind] if kind else []
    words += ["--losses", ",".join(candidates)]
    return " ".join(shlex.quote(w) for w in words)


@app.command()
def recommend(data: DataArg = None, target: TargetOpt = None, dataset: DatasetOpt = None, kind: KindOpt = None,
              dropna: DropnaOpt = False, exclude: ExcludeOpt = None, include: IncludeOpt = None) -> None:
    """Read the targets; recommend output layer, loss, target encoding and metric, with the alternatives worth comparing."""
    from rich.markup import escape

    from .. import api

    options = data_options(data, target, dataset, kind, dropna, exclude, include)
    # recommend reads the target only: --dropna drops nothing but rows whose target is missing.
    # (A refusal names Python arguments; cli.errors.describe writes them as flags.)
    prepared = api.prepare_data(**{**options, "features": False})
    rec = api.recommend(prepared.y, kind=kind)
    out = console()
    out.print(f"[bold]{escape(prepared.source)}[/bold]")
    for note in prepared.notes:
        out.print(escape(to_flags(note, "recommend")), highlight=False)
    for line in rec.lines():  # the advisor's hints name Python arguments (pass kind='counts'): here, flags
        out.print(escape(to_flags(line, "recommend")), highlight=False)
    out.print("Compare them: " + escape(compare_command(data, target, dataset, kind, rec.candidates)), highlight=False)


@app.command()
def check(loss: Annotated[str, typer.Option(help="The loss: a name or alias (hinge, bce, CrossEntropyLoss, ...).")],
          output: Annotated[Optional[str], typer.Option(help="The output layer's activation: linear, sigmoid, tanh, softmax, ...")] = None,
          units: Annotated[Optional[int], typer.Option(help="The output layer's units.")] = None,
          from_logits: Annotated[Optional[bool], typer.Option("--from-logits/--no-from-logits", help="Whether the loss is told its inputs are logits.")] = None,
          data: Annotated[Optional[Path], typer.Option(help="A data file whose targets to check (as compare encodes them).")] = None,
          target: TargetOpt = None, dataset: DatasetOpt = None, kind: KindOpt = None, dropna: DropnaOpt = False,
          exclude: ExcludeOpt = None, include: IncludeOpt = None) -> None:
    """Check that a loss, an output layer and the targets fit together; exit 2 with the fix when they do not."""
    from .. import api

    given = data is not None or dataset is not None
    options = data_options(data, target, dataset, kind, dropna, exclude, include) if given else {"kind": kind}
    api.check(loss, output, output_units=units, from_logits=from_logits, **options)
    parts = [f"loss {loss}"] + ([f"{output} output"] if output else []) + ([f"{units} unit(s)"] if units else [])
    parts += ["the targets"] if given else []
    console().print("OK: " + ", ".join(parts) + " fit together.", highlight=False)
