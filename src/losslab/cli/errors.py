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

import ast
import functools
import linecache
import os
import re
import shlex
import sys
import sysconfig
import tempfile
import time
import traceback
from pathlib import Path

# Every Python argument of the API that a command sets, and the flag that sets it on the
# command line. Library errors name the Python argument (``repeats=0``); :func:`to_flags`
# rewrites them here, for every command, so that a CLI user reads flags.
FLAGS: dict[str, str] = {
    # the data options of recommend, check, compare and landscape (``data`` is --data in check alone)
    "data": "--data", "target": "--target", "dataset": "--dataset", "datasets": "--dataset", "datasets_dir": "--datasets-dir",
    "kind": "--kind", "exclude": "--exclude", "include": "--include",
    # compare
    "losses": "--losses", "sweep": "--sweep", "metric": "--metric", "extra_metrics": "--also", "repeats": "--repeats",
    "cv": "--cv", "test_size": "--test-size", "hidden": "--hidden", "protocol": "--protocol", "epochs": "--epochs",
    "batch_size": "--batch-size", "optimizer": "--optimizer", "lr": "--lr", "patience": "--patience",
    "validation_split": "--validation-split", "weight_decay": "--weight-decay", "seed": "--seed", "out": "--out", "device": "--device",
    "executor": "--executor", "ray_address": "--ray-address", "cpus_per_task": "--cpus-per-task",
    "gpus_per_task": "--gpus-per-task", "max_retries": "--max-retries", "mlflow": "--mlflow",
    # report (StudyResult.report(path, force=) and export(path, fmt))
    "path": "--out", "fmt": "--format", "format": "--format",
    # reproduce
    "only": "--only", "processes": "--processes",
    # landscape (and `losses --problem`)
    "problem": "--problem", "mode": "--mode", "directions": "--directions", "grid": "--grid", "span": "--span",
    "direction_seed": "--direction-seed",
    # check
    "loss": "--loss", "output_activation": "--output", "output_units": "--units",
}

# Switches: the flag for True, the flag for False, and the one to name for the bare argument
# (the one a user changes from its default).
SWITCHES: dict[str, tuple[str, str, str]] = {
    "confirm": ("--yes", "without --yes", "--yes"),
    "stratify": ("--stratify", "--no-stratify", "--no-stratify"),
    "dropna": ("--dropna", "--no-dropna", "--dropna"),
    "force": ("--force", "without --force", "--force"),
    "from_logits": ("--from-logits", "--no-from-logits", "--from-logits"),
    "refit": ("--refit", "--no-refit", "--refit"),
}

_DATA = frozenset({"target", "dataset", "kind", "exclude", "include", "dropna"})
# The Python arguments each command sets with a flag. A message is translated with its
# command's arguments alone: ``data`` is a positional DATA in compare (--data in check), and
# ``problem=`` in a custom loss's metadata is no flag of compare (it is --problem in landscape).
COMMANDS: dict[str, frozenset[str]] = {
    "compare": _DATA | {"datasets", "datasets_dir", "losses", "sweep", "metric", "extra_metrics", "repeats", "cv",
                        "test_size", "hidden", "protocol", "epochs", "batch_size", "optimizer", "lr", "patience",
                        "validation_split", "weight_decay", "refit", "seed", "stratify", "out", "fmt", "format", "device", "executor", "ray_address",
                        "cpus_per_task", "gpus_per_task", "max_retries", "mlflow", "confirm"},
    "report": frozenset({"path", "out", "fmt", "format", "force"}),
    "reproduce": frozenset({"only", "repeats", "seed", "out", "processes", "device"}),
    "landscape": _DATA | {"problem", "losses", "mode", "directions", "grid", "span", "seed", "direction_seed", "epochs",
                          "out", "device"},
    "recommend": _DATA,
    "check": _DATA | {"data", "loss", "output_activation", "output_units", "from_logits"},
    "repair": frozenset({"out"}),
    "losses": frozenset({"problem"}),
}

# The commands a message may tell the user to run, as ``compare(..., out='x')``.
_RUNNABLE = ("compare", "reproduce", "landscape", "recommend", "check", "repair")
_CALL = re.compile(r"`?\b(?:losslab\.)?(" + "|".join(_RUNNABLE) + r")\(([^()]*)\)`?")


@functools.lru_cache(maxsize=None)
def _patterns(command: str | None) -> tuple[re.Pattern, re.Pattern]:
    """``name=value`` and ``expected name`` for the arguments of ``command`` (every command's for None)."""
    names = COMMANDS.get(command, frozenset({*FLAGS, *SWITCHES})) if command else frozenset({*FLAGS, *SWITCHES})
    alternatives = "|".join(sorted(names, key=len, reverse=True))
    # name=value: a quoted string, a list or tuple, or a bare word (a number, a path, ``...``).
    assign = re.compile(r"(?<![\w.\-])(" + alternatives + r")=('[^']*'|\"[^\"]*\"|\[[^\]]*\]|\([^)]*\)|\.\.\.|[\w.+\-/~:]+)?")
    # "expected repeats >= 1", "Expected confirm=True": the argument an expectation is about.
    expected = re.compile(r"\b([Ee]xpected) (" + alternatives + r")\b(?!=)")
    return assign, expected


def flag(argument: str) -> str:
    """The command line's flag for the Python argument ``argument``."""
    if argument in SWITCHES:
        return SWITCHES[argument][2]
    return FLAGS.get(argument, "--" + argument.replace("_", "-"))


def _value(text: str) -> str:
    """A Python value as a shell command writes it: ``'a b'`` -> ``'a b'`` quoted for the shell,
    ``[0.1, 0.2]`` -> ``0.1,0.2``; a bare number or word as it is."""
    if not text.startswith(("'", '"', "[", "(")):
        return text
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    return shlex.quote(str(value))


def _assignment(m: re.Match) -> str:
    name, value = m.group(1), m.group(2)
    trail = ""
    if value and not value.startswith(("'", '"', "[", "(")) and value != "..." and value[-1] in ".,":
        value, trail = value.rstrip(".,"), value[len(value.rstrip(".,")):]  # "repeats=0." ends a sentence
    if name in SWITCHES:
        on, off, bare = SWITCHES[name]
        if value in ("True", "False"):
            return (on if value == "True" else off) + trail
        return bare + trail
    if value is None:
        return FLAGS[name] + trail
    return f"{FLAGS[name]} {_value(value)}{trail}"


def _command(m: re.Match) -> str:
    """``compare(..., out='x')`` -> ```losslab compare ... --out x```."""
    assign = _patterns(m.group(1))[0]
    args = [a.strip() for a in re.split(r",\s*(?=(?:\.\.\.|\w+=))", m.group(2)) if a.strip()]
    # name=value as its flag; a positional value (a folder) as the shell writes it
    words = [assign.sub(_assignment, a) if assign.match(a) or a == "..." else _value(a) for a in args]
    return "`" + " ".join(["losslab", m.group(1), *words]) + "`"


def command_of(argv: list[str]) -> str | None:
    """The command ``argv`` runs (its first word that is not an option), or None."""
    return next((word for word in argv if not word.startswith("-")), None)


def to_flags(message: str, command: str | None = None) -> str:
    """A library message in command-line words: each Python argument of the API written as
    the flag that sets it (``Received: repeats=0`` -> ``Received: --repeats 0``,
    ``confirm=True`` -> ``--yes``, ``compare(..., out='x')`` -> ```losslab compare ... --out x```,
    ``repair('s')`` -> ```losslab repair s```).

    Only the arguments of ``command`` are translated (every command's when it is None or
    unknown). Arguments inside another call (``Design('kfold', k=5)``, ``huber(delta=2)``)
    are left as they are: they are Python, not options of a command.
    """
    assign, expected = _patterns(command)
    message = _CALL.sub(_command, message)
    out, last = [], 0
    for m in assign.finditer(message):
        if _in_call(message, m.start()) or _in_code(message, m.start()):
            continue
        out += [message[last:m.start()], _assignment(m)]
        last = m.end()
    message = "".join(out) + message[last:]
    return expected.sub(lambda m: f"{m.group(1)} {flag(m.group(2))}", message)


def _in_call(text: str, at: int) -> bool:
    """Whether position ``at`` is inside the parentheses of a call (``f(...)``), not a plain aside."""
    stack = []
    quote = None
    for i, ch in enumerate(text[:at]):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"" and (i == 0 or not text[i - 1].isalnum()):
            quote = ch
        elif ch == "(":
            stack.append(i > 0 and (text[i - 1].isalnum() or text[i - 1] in "_]"))
        elif ch == ")" and stack:
            stack.pop()
    return any(stack)


def _in_code(text: str, at: int) -> bool:
    """Whether position ``at`` is inside a shell command already written in backticks."""
    return text[:at].count("`") % 2 == 1


def describe(err: BaseException, *, debug: bool = False, command: str | None = None) -> tuple[str, int]:
    """The line to print for ``err`` and the exit status; ``command`` (``"compare"``, ...) is
    the one that ran, whose flags a library message is written in."""
    from .. import api

    if isinstance(err, api.OptionError):
        return f"losslab: error: {to_flags(_one_line(err), command)}", 2
    if isinstance(err, api.OutputRefused):
        return f"losslab: error: {_refused(err)}", 2
    origin = _origin(err)
    if origin == "user":
        frame = traceback.extract_tb(err.__traceback__)[-1]
        log = _log(err)
        return (f"losslab: error in your code ({frame.filename}:{frame.lineno}): {type(err).__name__}: {_one_line(err)} "
                f"(full traceback: {log})"), 2
    if origin == "losslab-raise" and isinstance(err, (OSError, ValueError, TypeError)):
        # losslab's own refusal: it names Python arguments; the command line names flags.
        return f"losslab: error: {to_flags(_one_line(err), command)}", 2
    if isinstance(err, OSError):
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
