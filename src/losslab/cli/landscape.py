"""`losslab landscape`: loss landscapes of several losses, side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from . import app, console
from .advisor import DataArg, DropnaOpt, ExcludeOpt, IncludeOpt, KindOpt, TargetOpt
from .errors import to_flags
from ..vocab import WARNING


@app.command()
def landscape(
    data: DataArg = None,
    target: TargetOpt = None,
    problem: Annotated[Optional[str], typer.Option(help="A tutorial problem with the tutorial's model: regression, circles or blobs.")] = None,
    dataset: Annotated[Optional[str], typer.Option(help="A bundled data set: iris, wine, breast_cancer, digits, diabetes, linnerud.")] = None,
    kind: KindOpt = None,
    dropna: DropnaOpt = False,
    exclude: ExcludeOpt = None,
    include: IncludeOpt = None,
    losses: Annotated[Optional[str], typer.Option(help="Losses, comma-separated: bce,hinge,squared_hinge (default: the tutorial's, or the advisor's for a data set).")] = None,
    mode: Annotated[str, typer.Option(help="plane: a 2-D slice around the trained weights; interpolate: the line from the initial to the trained weights.")] = "plane",
    directions: Annotated[str, typer.Option(help="The plane's directions: random (filter-normalised) or pca (of the optimiser's path).")] = "random",
    grid: Annotated[int, typer.Option(help="Points per axis (>= 3).")] = 51,
    span: Annotated[Optional[float], typer.Option(help="Plane: [-span, span] (default 1, or 1.25 for pca); line: [-span, 1 + span] (default 0.5).")] = None,
    seed: Annotated[int, typer.Option(help="Seeds the initial weights, minibatch order and split (the same for every loss), and the directions.")] = 0,
    direction_seed: Annotated[Optional[int], typer.Option(help="Seeds the random directions instead of --seed.")] = None,
    epochs: Annotated[Optional[int], typer.Option(help="Default: the tutorial's for a problem, 100 for a data set.")] = None,
    out: Annotated[Path, typer.Option(help="Folder for the .npz and the figures.")] = Path("landscape"),
    device: Annotated[Optional[str], typer.Option(help="cpu (default) or cuda.")] = None,
) -> None:
    """Train each loss with the same seed and draw its loss landscape (Li et al. 2018; Goodfellow et al. 2015).

    A data file (with --target) or a bundled data set is prepared as `losslab compare` prepares it.
    """
    from .. import api

    con = console()
    if target is not None and data is None:
        raise ValueError("expected --target with a data file: losslab landscape FILE --target COLUMN.")
    result = api.landscape(problem, data=None if data is None else str(data), target=target, dataset=dataset, kind=kind,
                           dropna=dropna, exclude=exclude, include=include, losses=losses, mode=mode,
                           directions=directions, grid=grid, span=span, seed=seed, direction_seed=direction_seed,
                           epochs=epochs, device=device)
    from rich.markup import escape

    for note in result.notes:  # what the data preparation decided, as compare prints it
        con.print(escape(to_flags(note, "landscape")), highlight=False, style="bold yellow" if note.startswith(WARNING) else None)
    _print_landscape(con, result)
    paths = [result.save_npz(Path(out) / f"{result.data}_{result.mode}.npz"), *result.plot(out)]
    con.print(f"trained {len(result.slices)} model(s) in {result.seconds['train']:.1f} s; evaluated {result.points} weight sets "
              f"on the train and test rows in {result.seconds['grid']:.1f} s. Wrote:", highlight=False)
    for p in paths:
        con.print(f"  {p}", highlight=False)


def _print_landscape(con, result) -> None:
    from rich.table import Table

    what = {"random": f"random filter-normalised directions (seed {result.direction_seed})",
            "pca": "the first two principal components of the optimiser's path",
            "line": "the line from the initial to the trained weights"}[result.directions]
    t = Table(title=f"{result.data}: {result.mode}, {what}; seed {result.seed}")
    for col in ("loss", "output", "train loss", "test loss", f"train {result.metric}", f"test {result.metric}",
                "lowest train loss on the grid", "path in the slice"):
        t.add_column(col, overflow="fold")
    for name, s in result.slices.items():
        tr = s.trained
        t.add_row(name, s.output, f"{tr['loss_train']:.4g}", f"{tr['loss_test']:.4g}", f"{tr['metric_train']:.4g}",
                  f"{tr['metric_test']:.4g}", f"{float(_nanmin(s.values['loss_train'])):.4g}", f"{100 * s.captured:.1f}%")
    con.print(t)


def _nanmin(values):
    import numpy as np

    finite = values[np.isfinite(values)]
    return finite.min() if finite.size else float("nan")
