"""`losslab repair`: copy a damaged study's readable trials into a fresh store beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from . import app, console


@app.command()
def repair(folder: Annotated[Path, typer.Argument(help="A study folder whose store is damaged.")],
           out: Annotated[Optional[Path], typer.Option(help="The new study folder (default: FOLDER-repaired beside it).")] = None) -> None:
    """Copy the readable trials of a damaged study into a fresh store beside it (the damaged file is only read)."""
    from .. import api

    done = api.repair(folder, out)
    lost = f"; {done.unreadable} could not be read" if done.unreadable else ""
    console().print(f"Copied {done.trials} trials into {done.folder}{lost}. {done.source} is left as it was. "
                    f"Run the study's command with --out {done.folder} to train the missing trials; "
                    f"`losslab report {done.folder}` reports what is there.", highlight=False)
