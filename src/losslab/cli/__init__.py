"""The command line: parses, calls the API, prints. No logic of its own.

One module per command group registers its commands on ``app``. Heavy imports (torch,
pandas, matplotlib) happen inside the commands, so that ``losslab --help`` answers at once.

How a command ends (:func:`main`):

- 0: done; 1: the study finished but gave no result (every trial diverged);
- 2: losslab refused something, in one line: a user error (a ``ValueError`` or
  ``TypeError`` that losslab's own code raises on purpose) or the environment (a file, a
  full disk, a study another process holds, a damaged or read-only store);
- 70: a bug in losslab (any other exception, or one raised inside a library losslab
  calls): one line that says so and where the full traceback was written (``--debug``
  prints it); 130: Ctrl-C, with how many trials are stored.
"""

from __future__ import annotations

import functools
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

# Set by the --debug option: a bug's traceback goes to stderr too.
_state = {"debug": False}


def console():
    import sys

    from rich.console import Console

    # Piped output keeps full rows instead of rich's 80-column default.
    return Console() if sys.stdout.isatty() else Console(width=200)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        print(f"losslab {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                    help="Print losslab's version and exit.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="On an internal error, print the full traceback.")] = False,
) -> None:
    _state["debug"] = debug


class NoResult(Exception):
    """A command that finished but whose study gave nothing to compare (exit status 1)."""


# ---------------------------------------------------------------------- entry point
def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every failure prints one line on stderr and exits non-zero (see the module docstring)."""
    from . import errors

    _state["debug"] = False
    try:
        code = app(args=argv, standalone_mode=False)
    except typer.Abort:
        print("losslab: aborted", file=sys.stderr)
        return _exit(130)
    except typer.TyperException as err:  # usage errors: typer prints them itself
        if hasattr(err, "show"):
            err.show()
        return _exit(getattr(err, "exit_code", 2))
    except _Interrupt as err:
        print(f"losslab: {err.message}", file=sys.stderr)
        return _exit(130)
    except NoResult as err:
        print(f"losslab: no result: {err}", file=sys.stderr)
        return _exit(1)
    except Exception as err:  # noqa: BLE001  (every other exception: classified, one line)
        command = errors.command_of(sys.argv[1:] if argv is None else argv)
        line, code = errors.describe(err, debug=_state["debug"], command=command)
        print(line, file=sys.stderr)
        return _exit(code)
    return _exit(code if isinstance(code, int) else 0)


def _exit(code: int) -> int:
    if __name__ == "__main__" or sys.argv and Path(sys.argv[0]).name == "losslab":
        sys.exit(code)
    return code


class _Interrupt(Exception):
    """Ctrl-C, carried past Typer (which turns a KeyboardInterrupt into a silent exit 130)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _catch_interrupt(callback):
    @functools.wraps(callback)
    def command(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except KeyboardInterrupt as err:
            # The API's Interrupted says how many trials are stored; a bare Ctrl-C elsewhere, nothing to resume.
            text = str(err) if str(err).startswith("interrupted") else "interrupted."
            raise _Interrupt(text) from None

    return command


# Command groups register themselves on `app` (imported last: they import `app`).
from . import advisor, compare, landscape, losses, repair, reproduce  # noqa: E402,F401

for _command in app.registered_commands:
    _command.callback = _catch_interrupt(_command.callback)
