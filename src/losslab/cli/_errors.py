"""One line for every failure: a user error, the environment, the user's own code, or a bug.

The rule that tells a user error from a bug: losslab refuses input on purpose with a
``raise ValueError(...)`` or ``raise TypeError(...)`` statement in its own code, so an
exception of those types whose innermost traceback frame is such a statement in the
``losslab`` package is a user error, printed as it is. ``OSError`` (a missing file, no
permission, a full disk) is the environment's, printed as it is. An exception raised in the
user's own code (a custom loss) is shown with its file and line. Anything else (another
exception type, or any exception raised inside NumPy, pandas, torch... while losslab called
them) is a bug in losslab: one line that says so, and the full traceback in a log file.
"""

from __future__ import annotations

import linecache
import os
import sys
import sysconfig
import tempfile
import time
import traceback
from pathlib import Path

# Python argument names whose command-line flag is not --<name with dashes>.
_FLAGS = {"extra_metrics": "--also", "fmt": "--format", "path": "--out"}


def flag(argument: str) -> str:
    return _FLAGS.get(argument, "--" + argument.replace("_", "-"))


def describe(err: BaseException, *, debug: bool = False) -> tuple[str, int]:
    """The line to print for ``err`` and the exit status."""
    from .. import api

    if isinstance(err, api.OptionError):
        return f"losslab: error: {err.for_flag(flag(err.argument))}", 2
    if isinstance(err, api.OutputRefused):
        return f"losslab: error: {_refused(err)}", 2
    origin = _origin(err)
    if origin == "user":
        frame = traceback.extract_tb(err.__traceback__)[-1]
        log = _log(err)
        return (f"losslab: error in your code ({frame.filename}:{frame.lineno}): {type(err).__name__}: {_one_line(err)} "
                f"(full traceback: {log})"), 2
    if isinstance(err, OSError) or (origin == "losslab-raise" and isinstance(err, (ValueError, TypeError))):
        return f"losslab: error: {_one_line(err)}", 2
    if isinstance(err, ModuleNotFoundError) and err.name and not err.name.startswith("losslab"):
        return f"losslab: error: {_one_line(err)}: install it (pip install {err.name.split('.')[0]}) to use this.", 2
    log = _log(err)
    if debug:
        traceback.print_exception(err, file=sys.stderr)
    return (f"losslab: internal error (a bug in losslab, not a problem with your input): {type(err).__name__}: "
            f"{_one_line(err, 300)}. The full traceback is in {log}; please attach it to a bug report"
            f"{'' if debug else ' (or rerun with --debug to print it)'}."), 70


def _refused(err) -> str:
    if err.kind == "store":
        return (f"refusing to write {err.path}: that name belongs to a losslab study's store, and writing over it would lose "
                "its trials. Choose another --out file.")
    if err.kind == "folder":
        return f"expected --out to be a file to write. Received: --out {err.path}, which is a folder."
    return (f"refusing to write over {err.path}: the file exists and losslab did not write it (or it changed since). "
            "Choose another --out file, or move it away (`losslab report --force` replaces it).")


def _one_line(err: BaseException, limit: int = 2000) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _origin(err: BaseException) -> str:
    """Where ``err`` was raised: ``losslab-raise`` (a raise statement in losslab), ``losslab``
    (another line of losslab: Python itself raised), ``user`` (the user's own code) or ``library``."""
    tb = err.__traceback__
    if tb is None:
        return "library"
    while tb.tb_next is not None:
        tb = tb.tb_next
    filename = os.path.abspath(tb.tb_frame.f_code.co_filename)
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if filename.startswith(package + os.sep):
        line = linecache.getline(filename, tb.tb_lineno).strip()
        return "losslab-raise" if line.startswith("raise") else "losslab"
    if filename.startswith("<") or any(filename.startswith(os.path.abspath(p) + os.sep) for p in _library_roots()):
        return "library"
    return "user"


def _library_roots() -> set[str]:
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(path)
    roots.update(p for p in sys.path if "site-packages" in p or "dist-packages" in p)
    return {r for r in roots if r}


def log_folder() -> Path:
    """Where tracebacks go: ``$LOSSLAB_LOG_DIR``, else ``$XDG_CACHE_HOME/losslab/logs`` (``~/.cache``)."""
    if os.environ.get("LOSSLAB_LOG_DIR"):
        return Path(os.environ["LOSSLAB_LOG_DIR"])
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "losslab" / "logs"


def _log(err: BaseException) -> Path:
    from .. import __version__

    text = (f"losslab {__version__}, Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d %H:%M:%S')}\n"
            f"command: {' '.join(sys.argv)}\n\n" + "".join(traceback.format_exception(err)))
    name = f"losslab-error-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    for folder in (log_folder(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return Path("(no log written: no writable folder)")
