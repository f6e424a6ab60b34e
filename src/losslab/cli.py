"""The command line: parses, calls the API, prints. No logic of its own.

Heavy imports (torch, pandas, matplotlib) happen inside the commands, so that
``losslab --help`` answers at once.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(
    help="Choose the loss function (and the output layer that goes with it) for a neural network, and show the evidence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
losses_app = typer.Typer(help="The loss catalog: every supervised loss of Keras 3 and PyTorch.", invoke_without_command=True,
                         rich_markup_mode=None)
app.add_typer(losses_app, name="losses")


def _console():
    import sys

    from rich.console import Console

    # Piped output keeps full rows instead of rich's 80-column default.
    return Console() if sys.stdout.isatty() else Console(width=200)


# ---------------------------------------------------------------------- losses
@losses_app.callback()
def losses_list(
    ctx: typer.Context,
    problem: Annotated[Optional[str], typer.Option(help="Only losses for this problem type (regression, binary, multiclass, ...).")] = None,
) -> None:
    """List the catalog: name, problems, output layer, target encoding, aliases."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from . import losses

    specs = losses.specs()
    if problem is not None:
        if problem not in losses.PROBLEM_TYPES:
            raise ValueError(f"expected --problem in {', '.join(losses.PROBLEM_TYPES)}. Received: --problem {problem}.")
        specs = [s for s in specs if problem in s.problem_types]
    table = Table(title=f"losslab loss catalog ({len(specs)} losses)", show_lines=False)
    for col in ("name", "problems", "output layer", "targets", "aliases"):
        table.add_column(col, overflow="fold")
    for s in specs:
        table.add_row(s.name, ", ".join(s.problem_types), " / ".join(s.output_activations), s.target_encoding,
                      ", ".join(s.aliases[:4]) + (" ..." if len(s.aliases) > 4 else ""))
    console = _console()
    console.print(table)
    console.print("`losslab losses show NAME` for the formula, when to use it and references.")


@losses_app.command("show")
def losses_show(name: Annotated[str, typer.Argument(help="A loss name or alias: hinge, mse, BCEWithLogitsLoss, ...")]) -> None:
    """One loss: formula, when to use it, output layer, target encoding, aliases, references."""
    from . import losses

    spec = losses.get(name)
    console = _console()
    console.print(f"[bold]{spec.name}[/bold]  ({spec.title})")
    rows = [
        ("formula", spec.formula),
        ("when to use it", spec.summary),
        ("problems", ", ".join(spec.problem_types)),
        ("output layer", " or ".join(spec.output_activations) + (" (logits)" if spec.takes_logits else "")),
        ("targets", f"{spec.target_encoding}: {losses.TARGET_ENCODINGS[spec.target_encoding]}; domain {spec.target_domain}"),
        ("predictions", spec.prediction_domain),
        ("parameters", ", ".join(f"{k}={v!r}" for k, v in spec.params.items()) or "none"),
        ("aliases", ", ".join(spec.aliases)),
        ("Keras / PyTorch", f"{'yes' if spec.keras_factory else 'no'} / {'yes' if spec.torch_factory else 'no (losslab module)'}"),
    ]
    rows += [("note", n) for n in spec.notes]
    rows += [("reference", r) for r in spec.references]
    for key, value in rows:
        console.print(f"  [cyan]{key:>15}[/cyan]  {value}", highlight=False, markup=True, soft_wrap=False)


# ---------------------------------------------------------------------- reproduce
@app.command()
def reproduce(
    only: Annotated[Optional[str], typer.Option(help="Experiments by loss or problem, comma-separated: hinge / bce,kld / circles.")] = None,
    repeats: Annotated[int, typer.Option(help="Seeds per experiment.")] = 30,
    seed: Annotated[int, typer.Option(help="First seed; repeats use seed .. seed + repeats - 1.")] = 0,
    out: Annotated[Path, typer.Option(help="Folder for results.json, results.csv and the figures.")] = Path("results"),
    processes: Annotated[Optional[int], typer.Option(help="Problems run side by side in this many processes (default: one per core).")] = None,
    device: Annotated[Optional[str], typer.Option(help="cpu (default) or cuda.")] = None,
    plots: Annotated[bool, typer.Option(help="Draw the learning curves and the summary figure.")] = True,
) -> None:
    """Run the tutorial's nine experiments (tutorial 000), 30 repeats each, and compare with what it reports."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from . import api
    from .study import tutorial

    console = _console()
    experiments = tutorial.select(only)
    total = tutorial.total_work(experiments, repeats)
    with Progress(TextColumn("training {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("replicate-epochs"), TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task(f"{len(experiments)} experiments x {repeats} repeats", total=total)
        result = api.reproduce(only, repeats=repeats, seed=seed, processes=processes, device=device,
                               progress=lambda k: bar.advance(task, k))
    _print_reproduction(console, result)
    paths = result.save(out)
    if plots:
        paths += result.plot(out)
    console.print(f"trained {len(experiments) * repeats} models in {result.seconds:.1f} s. Wrote:")
    for p in paths:
        console.print(f"  {p}", highlight=False)


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
            console.print(f"[bold]{e.name}[/bold]: " + e.note.format(refusal=refusal), highlight=False)


# ---------------------------------------------------------------------- entry point
def main(argv: list[str] | None = None) -> int:
    """Run the CLI; bad input prints one line (no traceback) and exits non-zero."""
    try:
        code = app(args=argv, standalone_mode=False)
    except typer.Abort:
        print("losslab: aborted", file=sys.stderr)
        return _exit(130)
    except typer.TyperException as err:  # usage errors: typer prints them itself
        if hasattr(err, "show"):
            err.show()
        return _exit(getattr(err, "exit_code", 2))
    except (ValueError, TypeError, KeyError, OSError, ImportError) as err:
        message = str(err).strip().replace("\n", " ") or type(err).__name__
        print(f"losslab: error: {message}", file=sys.stderr)
        return _exit(2)
    return _exit(code if isinstance(code, int) else 0)


def _exit(code: int) -> int:
    if __name__ == "__main__" or sys.argv and Path(sys.argv[0]).name == "losslab":
        sys.exit(code)
    return code


if __name__ == "__main__":
    main()
