"""`losslab reproduce`: the tutorial's experiments."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from . import app, console


@app.command()
def reproduce(
    only: Annotated[Optional[str], typer.Option(help="Experiments by loss or problem, comma-separated: hinge / bce,kld / circles.")] = None,
    repeats: Annotated[int, typer.Option(help="Seeds per experiment.")] = 30,
    seed: Annotated[int, typer.Option(help="First seed; repeats use seed .. seed + repeats - 1.")] = 0,
    out: Annotated[Path, typer.Option(help="Folder for results.json, results.csv and the figures.")] = Path("results"),
    processes: Annotated[Optional[int], typer.Option(help="Problems run side by side in this many processes (default: one per problem).")] = None,
    device: Annotated[Optional[str], typer.Option(help="cpu (default) or cuda.")] = None,
    plots: Annotated[bool, typer.Option(help="Draw the learning curves and the summary figure.")] = True,
) -> None:
    """Run the tutorial's nine experiments (tutorial 000), 30 repeats each, and compare with what it reports."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from .. import api

    con = console()
    n_experiments, total = api.reproduce_plan(only, repeats=repeats)
    with Progress(TextColumn("training {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("replicate-epochs"), TimeElapsedColumn(), console=con, transient=True) as bar:
        task = bar.add_task(f"{n_experiments} experiments x {repeats} repeats", total=total)
        result = api.reproduce(only, repeats=repeats, seed=seed, processes=processes, device=device,
                               progress=lambda k: bar.advance(task, k))
    _print_reproduction(con, result)
    paths = result.save(out)
    if plots:
        paths += result.plot(out)
    con.print(f"trained {n_experiments * repeats} models in {result.seconds:.1f} s. Wrote:")
    for p in paths:
        con.print(f"  {p}", highlight=False)


def _print_reproduction(console, result) -> None:
    from rich.table import Table

    table = result.table()
    t = Table(title=f"The tutorial's experiments, {len(result.seeds)} repeats each (mean ± std; min-max)")
    for col in ("problem", "loss", "output", "metric", "train", "test", "test min-max", "tutorial reports", "vs tutorial"):
        t.add_column(col, overflow="fold")
    for name, row in table.iterrows():
        fmt = "{:.4f}" if row.metric == "mse" else "{:.3f}"
        t.add_row(row.problem, row.loss, row.output, row.metric,
                  f"{fmt.format(row.train_mean)} ± {fmt.format(row.train_std)}",
                  f"{fmt.format(row.test_mean)} ± {fmt.format(row.test_std)}",
                  f"{fmt.format(row.test_min)}-{fmt.format(row.test_max)}",
                  row.tutorial, ("[green]" if row.agrees else "[red]") + row.comment)
    console.print(t)
    for e in result.experiments:
        if e.note:
            refusal = result.refusals.get(e.name, "")
            console.print(f"[bold]{e.name}[/bold]: " + e.note.replace("{refusal}", refusal), highlight=False)


