"""Library messages name Python arguments, never command-line flags (issue 11).

A Python caller of ``losslab.compare(repeats=0)`` must read ``repeats=0``, not ``--repeats``;
the command line rewrites the message into flags itself (``losslab.cli.errors.to_flags``).
This walks every module of ``src/losslab`` outside ``cli/`` with ``ast`` and fails on a
``--flag`` in the text of an exception (a ``raise``, or any call of an exception class,
losslab's own included) or of a warning. Shell commands shown on purpose are allowed one
by one below.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "losslab"

# A flag: two dashes and a letter, or two dashes before an interpolated value (f"--{name}").
FLAG = re.compile(r"(?<![\w-])--(?:[a-z][a-z0-9-]*|\{\})")

# Deliberate shell commands inside library messages: (module, the text that holds the flag).
# Each is a `losslab ...` command the user can paste, beside its Python equivalent.
ALLOWED = {
    ("experiment/store.py", "`losslab report {} --out FILE`"),  # read-only study: how to report it elsewhere
    ("data/datasets.py", "`losslab compare FILE --target COLUMN`"),  # a file name given as a data set's
}


_EXCEPTION_BASES = {"Exception", "ValueError", "TypeError", "OSError", "RuntimeError", "KeyError", "Warning",
                    "UserWarning", "RuntimeWarning", "ImportError", "ModuleNotFoundError", "LookupError"}


def _text(node: ast.AST) -> str | None:
    """A string constant, or an f-string with ``{}`` for each interpolated value."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _texts(node: ast.AST) -> list[str]:
    """Every string in ``node``, an f-string whole (not its constant parts again)."""
    text = _text(node)
    if text is not None:
        return [text]
    return [t for child in ast.iter_child_nodes(node) for t in _texts(child)]


def _name(func: ast.AST) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def exception_classes(trees: list[ast.Module]) -> set[str]:
    """Exception and warning classes: the built-in ones and every class deriving from one."""
    known = set(_EXCEPTION_BASES)
    changed = True
    while changed:
        changed = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in known and any(_name(b) in known for b in node.bases):
                    known.add(node.name)
                    changed = True
    return known


def messages(tree: ast.Module, exceptions: set[str]) -> list[tuple[int, str]]:
    """``(line, text)`` of every string that goes into an exception or a warning in ``tree``:
    the arguments of a ``raise``, of a call of an exception class, of ``warnings.warn``, and
    and the strings assigned to a name they use (``raise ValueError(INSTALL_RAY)``, ``hint += ...``)."""
    # Names a message is built in (module constants, and local ``hint = ...; hint += ...``):
    # every text assigned to that name anywhere in the module counts for it.
    constants: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        for target in targets:
            if isinstance(target, ast.Name) and getattr(node, "value", None) is not None:
                constants.setdefault(target.id, []).extend(_texts(node.value))
    roots = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            roots.append(node.exc)
        elif isinstance(node, ast.Call) and (_name(node.func) in exceptions or _name(node.func) == "warn"):
            roots.extend([*node.args, *(k.value for k in node.keywords)])
    found = []

    def visit(node: ast.AST) -> None:
        text = _text(node)
        if text is not None:
            found.append((node.lineno, text))
            # an f-string's constant parts are in its text already; what it interpolates is not
            for part in getattr(node, "values", ()):
                if isinstance(part, ast.FormattedValue):
                    visit(part.value)
            return
        if isinstance(node, ast.Name):
            found.extend((node.lineno, t) for t in constants.get(node.id, ()))
        for child in ast.iter_child_nodes(node):
            visit(child)

    for root in roots:
        visit(root)
    return sorted(set(found))


def flags_in(source: str, exceptions: set[str] | None = None, *, allowed: set[str] = frozenset()) -> list[tuple[int, str]]:
    """The messages of ``source`` that name a command-line flag, less the ``allowed`` texts."""
    tree = ast.parse(source)
    exceptions = exception_classes([tree]) if exceptions is None else exceptions
    hits = []
    for line, text in messages(tree, exceptions):
        rest = text
        for fragment in allowed:
            rest = rest.replace(fragment, "")
        if FLAG.search(rest):
            hits.append((line, text))
    return hits


def _library() -> dict[str, str]:
    return {p.relative_to(SRC).as_posix(): p.read_text(encoding="utf-8") for p in sorted(SRC.rglob("*.py"))
            if p.relative_to(SRC).parts[0] != "cli"}


def test_library_messages_name_python_arguments_not_flags():
    sources = _library()
    exceptions = exception_classes([ast.parse(s) for s in sources.values()])
    assert {"OutputRefused", "DiskFull", "StudyBusy"} <= exceptions  # losslab's own classes are found
    wrong = [f"{path}:{line}: {text!r}" for path, source in sources.items()
             for line, text in flags_in(source, exceptions, allowed={f for p, f in ALLOWED if p == path})]
    assert not wrong, "library messages that name command-line flags (name the Python argument: repeats=0):\n" + "\n".join(wrong)


def test_every_allowed_shell_command_is_still_there():
    sources = _library()
    exceptions = exception_classes([ast.parse(s) for s in sources.values()])
    for path, fragment in ALLOWED:
        texts = [text for _, text in messages(ast.parse(sources[path]), exceptions)]
        assert any(fragment in t for t in texts), f"{path} no longer says {fragment!r}: drop it from ALLOWED"


def test_the_scan_finds_what_it_looks_for():
    source = '''
import warnings

INSTALL = "--executor ray needs Ray"
FINE = "executor='ray' needs Ray"


class Refused(ValueError):
    pass


def f(x, name):
    if x == 1:
        raise ValueError(f"expected --epochs >= 1. Received: --epochs {x}.")
    if x == 2:
        raise ValueError(INSTALL)
    if x == 3:
        warnings.warn("use another --out folder")
    if x == 4:
        error = Refused("expected " + f"--{name} to be a file")
        raise error  # found twice: where it is built and where it is raised
    if x == 5:
        raise ValueError(f"expected epochs >= 1. Received: epochs={x}. Use `losslab compare FILE --target Y`.")
    if x == 6:
        raise ValueError(FINE)
    if x == 7:
        hint = "try"
        hint += " --lr 0.1"
        raise ValueError(f"diverged. {hint}")
    text = "--not-a-message"  # a string that goes into no exception
    return text, "a--b", f"{x}--"
'''
    hits = flags_in(source, allowed={"`losslab compare FILE --target Y`"})
    assert [line for line, _ in hits] == [14, 16, 18, 20, 21, 29], hits
    assert [line for line, _ in flags_in(source)] == [14, 16, 18, 20, 21, 23, 29]  # without the allowance, the shell command too
