"""The command line: parses, calls the API, prints. No logic of its own.

One module per command group registers its commands on ``app``. Heavy imports (torch,
pandas, matplotlib) happen inside the commands, so that ``losslab --help`` answers at once.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

app = typer.Typer(
    help="Choose the loss function (and the output layer that goes with it) for a neural network, and show the evidence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


def console():
    import sys

    from rich.console import Console

    # Piped output keeps full rows instead of rich's 80-column default.
    return Console() if sys.stdout.isatty() else Console(width=200)


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




# Command groups register themselves on `app` (imported last: they import `app`).
from . import _advisor, _compare, _landscape, _losses, _reproduce  # noqa: E402,F401
