"""`losslab losses` and `losslab losses show NAME`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from . import app, console

losses_app = typer.Typer(help="The loss catalog: every supervised loss of Keras 3 and PyTorch.", invoke_without_command=True,
                         rich_markup_mode=None)
app.add_typer(losses_app, name="losses")


@losses_app.callback()
def losses_list(
    ctx: typer.Context,
    problem: Annotated[Optional[str], typer.Option(help="Only losses for this problem type (regression, binary, multiclass, ...).")] = None,
) -> None:
    """List the catalog: name, problems, output layer, target encoding, aliases."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from .. import api
    from ..vocab import LOSS_PROBLEM_TYPES

    if problem is not None and problem not in LOSS_PROBLEM_TYPES:
        raise ValueError(f"expected --problem in {', '.join(LOSS_PROBLEM_TYPES)}. Received: --problem {problem}.")
    specs = api.loss_catalog(problem)
    table = Table(title=f"losslab loss catalog ({len(specs)} losses)", show_lines=False)
    for col in ("name", "problems", "output layer", "targets", "aliases"):
        table.add_column(col, overflow="fold")
    for s in specs:
        table.add_row(s.name, ", ".join(s.problem_types), " / ".join(s.output_activations), s.target_encoding,
                      ", ".join(s.aliases[:4]) + (" ..." if len(s.aliases) > 4 else ""))
    out = console()
    out.print(table)
    out.print("`losslab losses show NAME` for the formula, when to use it and references.")


@losses_app.command("show")
def losses_show(name: Annotated[str, typer.Argument(help="A loss name or alias: hinge, mse, BCEWithLogitsLoss, ...")]) -> None:
    """One loss: formula, when to use it, output layer, target encoding, aliases, references."""
    from .. import api
    from ..vocab import TARGET_ENCODINGS

    spec = api.loss(name)
    from rich.markup import escape
    from rich.table import Table

    out = console()
    out.print(f"[bold]{spec.name}[/bold]  ({escape(spec.title)})")
    rows = [
        ("formula", spec.formula),
        ("when to use it", spec.summary),
        ("problems", ", ".join(spec.problem_types)),
        ("output layer", " or ".join(spec.output_activations) + (" (logits)" if spec.takes_logits else "")),
        ("targets", f"{spec.target_encoding}: {TARGET_ENCODINGS[spec.target_encoding]}; domain {spec.target_domain}"),
        ("predictions", spec.prediction_domain),
        ("parameters", ", ".join(f"{k}={v!r}" for k, v in spec.params.items()) or "none"),
        ("aliases", ", ".join(spec.aliases)),
        ("Keras / PyTorch", f"{'yes' if spec.keras_factory else 'no'} / {'yes' if spec.torch_factory else 'no (losslab module)'}"),
    ]
    rows += [("note", n) for n in spec.notes]
    rows += [("reference", r) for r in spec.references]
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="cyan", justify="right", no_wrap=True)
    grid.add_column(overflow="fold")
    for key, value in rows:
        grid.add_row(key, escape(str(value)))
    out.print(grid)


