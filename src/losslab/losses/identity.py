"""What a user-defined loss is made of: a hash of everything in the user's code it can depend on.

A study stores each custom loss's hash and refuses to resume with another version, so the
hash must change whenever the function could compute something else:

- the whole source file of the function's module (module-level constants, helpers);
- the local modules that file imports, and theirs: files outside the standard library and
  site-packages (the user's own code; losslab itself is a library and left out);
- the values the function carries: defaults, keyword defaults, closure cells, and the plain
  data (numbers, strings, arrays) it reads from its globals.

Each part is hashed on its own, so a refusal can say which file changed.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import inspect
import linecache
import marshal
import os
import site
import sys
import sysconfig
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

VALUES = "closure and default values"
_MAX_FILES = 200  # a loss that reaches more of the user's files than this is hashed on the first 200
_LOSSLAB = Path(__file__).resolve().parents[1]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def identity(fn: Callable) -> tuple[str, dict[str, str]]:
    """``(hash, parts)``: 16 hex digits over every part, and each part's own hash.

    Parts are named by file (relative to the function's own file, so the hash does not
    depend on the current directory) and :data:`VALUES`.

    >>> def f(y_true, y_pred, *, q=0.5):
    ...     return (y_pred - y_true).abs().mean(dim=-1) * q
    >>> digest, parts = identity(f)
    >>> len(digest), VALUES in parts
    (16, True)
    """
    target = fn if inspect.isroutine(fn) else type(fn)
    parts: dict[str, str] = {}
    home = _source_file(target)
    if home is not None:
        module = sys.modules.get(getattr(target, "__module__", "") or "")
        for path in _local_files(home, getattr(module, "__package__", None)):
            parts[_name(path, home.parent)] = _sha(_read(path))
    else:
        parts["source"] = _sha(_code_bytes(fn))
    parts[VALUES] = _sha(_stable(_carried(fn)).encode())
    digest = _sha("\n".join(f"{k}={v}" for k, v in sorted(parts.items())).encode())
    return digest, parts


def source_hash(fn: Callable) -> str:
    """First 16 hex digits of the SHA-256 of everything ``fn`` can depend on (:func:`identity`).

    >>> def f(y_true, y_pred):
    ...     return (y_pred - y_true).abs().mean(dim=-1)
    >>> len(source_hash(f))
    16
    """
    return identity(fn)[0]


def changes(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """The parts whose hash differs, in words (``"helpers.py changed"``).

    >>> changes({"a.py": "1", "b.py": "2"}, {"a.py": "1", "b.py": "3", "c.py": "4"})
    ['b.py changed', 'c.py is new']
    """
    out = [f"{k} changed" for k in old if k in new and old[k] != new[k]]
    out += [f"{k} is new" for k in new if k not in old]
    out += [f"{k} is gone" for k in old if k not in new]
    return out


def where(fn: Callable) -> str:
    """``file:line`` of a function's definition, the file relative to the cwd when it lies below it."""
    target = fn if inspect.isroutine(fn) else type(fn)
    try:
        file = inspect.getsourcefile(target) or inspect.getfile(target)
        line = inspect.getsourcelines(target)[1]
    except (OSError, TypeError):
        code = getattr(fn, "__code__", None)
        if code is None:
            return "unknown file"
        file, line = code.co_filename, code.co_firstlineno
    try:
        relative = os.path.relpath(file)
        file = file if relative.startswith("..") else relative
    except ValueError:  # another drive (Windows)
        pass
    return f"{file}:{line}"


# ---------------------------------------------------------------- files
def _source_file(target: Any) -> Path | None:
    try:
        file = inspect.getsourcefile(target)
    except TypeError:
        file = None
    if file is None:
        module = sys.modules.get(getattr(target, "__module__", "") or "")
        file = getattr(module, "__file__", None)
    if not file or not (Path(file).is_file() or linecache.getlines(file)):
        return None  # defined interactively or in a notebook cell: no file to hash
    return Path(file).resolve() if Path(file).is_file() else Path(file)


def _read(path: Path) -> bytes:
    # A file run by losslab.losses.load is in linecache as it was run: hash that text, not a later edit.
    lines = linecache.cache.get(str(path))
    if lines is not None and lines[1] is None:
        return "".join(lines[2]).encode()
    try:
        return path.read_bytes()
    except OSError:
        return "".join(linecache.getlines(str(path))).encode()


def _library_roots() -> list[Path]:
    roots = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    roots.update(getattr(site, "getsitepackages", lambda: [])())
    roots.add(getattr(site, "getusersitepackages", lambda: "")() or "")
    return [Path(r).resolve() for r in roots if r] + [_LOSSLAB]


def _is_local(path: Path, roots: list[Path]) -> bool:
    return path.suffix == ".py" and not any(path.is_relative_to(r) for r in roots)


def _local_files(home: Path, package: str | None) -> list[Path]:
    """``home`` and the user's modules it imports, transitively (breadth first, in import order).

    ``package`` is the package ``home`` belongs to, for its relative imports.
    """
    roots = _library_roots()
    seen, order, queue = {home}, [home], [(home, package)]
    while queue and len(order) < _MAX_FILES:
        path, pkg = queue.pop(0)
        for dep, dep_pkg in _imported_files(path, pkg):
            if dep not in seen and _is_local(dep, roots):
                seen.add(dep)
                order.append(dep)
                queue.append((dep, dep_pkg))
    return order[:_MAX_FILES]


def _imported_files(path: Path, package: str | None) -> list[tuple[Path, str | None]]:
    """Files (and packages) of the modules ``path`` imports, as already imported in this process:
    nothing is imported here."""
    try:
        tree = ast.parse(_read(path))
    except (SyntaxError, ValueError):
        return []
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                if not package:
                    continue
                try:
                    base = importlib.util.resolve_name("." * node.level + base, package)
                except ImportError:
                    continue
            names += [base] + [f"{base}.{a.name}" for a in node.names]
    files = []
    for name in dict.fromkeys(names):
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None) if isinstance(module, types.ModuleType) else None
        if file:
            pkg = module.__name__ if Path(file).name == "__init__.py" else module.__package__
            files.append((Path(file).resolve(), pkg))
    return files


def _name(path: Path, home: Path) -> str:
    try:
        return path.relative_to(home).as_posix()
    except ValueError:
        return path.as_posix()


# ---------------------------------------------------------------- values
def _carried(fn: Callable) -> dict[str, Any]:
    """Defaults, closure cells and the plain data the function reads from its globals."""
    target = fn if inspect.isroutine(fn) else getattr(fn, "__call__", fn)
    target = getattr(target, "__func__", target)
    code = getattr(target, "__code__", None)
    out: dict[str, Any] = {
        "defaults": getattr(target, "__defaults__", None),
        "kwdefaults": getattr(target, "__kwdefaults__", None),
        "closure": [c.cell_contents for c in (getattr(target, "__closure__", None) or ()) if _filled(c)],
    }
    if not inspect.isroutine(fn):
        out["state"] = getattr(fn, "__dict__", None)
    if code is not None:
        globals_ = getattr(target, "__globals__", {})
        out["globals"] = {n: globals_[n] for n in sorted(_names(code)) if n in globals_ and _plain(globals_[n])}
    return out


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - an empty cell raises
    except ValueError:
        return False
    return True


def _names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _plain(value: Any) -> bool:
    return isinstance(value, (bool, int, float, complex, str, bytes, tuple, list, dict, frozenset, set, np.ndarray, np.generic)) \
        or type(value).__module__ == "torch" and type(value).__name__ == "Tensor"


def _stable(value: Any, depth: int = 0) -> str:
    """A text for ``value`` that is the same in every process (no memory addresses)."""
    if depth > 6:
        return type(value).__qualname__
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        return repr(value)
    if isinstance(value, np.generic):
        return repr(value.item())
    if isinstance(value, np.ndarray):
        return f"ndarray{value.shape}{value.dtype}:{_sha(np.ascontiguousarray(value).tobytes())}"
    if type(value).__name__ == "Tensor" and hasattr(value, "detach"):
        array = value.detach().cpu().numpy()
        return f"tensor{tuple(array.shape)}{array.dtype}:{_sha(np.ascontiguousarray(array).tobytes())}"
    if isinstance(value, (list, tuple)):
        return type(value).__name__ + "(" + ",".join(_stable(v, depth + 1) for v in value) + ")"
    if isinstance(value, (set, frozenset)):
        return "set(" + ",".join(sorted(_stable(v, depth + 1) for v in value)) + ")"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_stable(k, depth + 1)}:{_stable(v, depth + 1)}" for k, v in value.items()) + "}"
    if isinstance(value, types.ModuleType):
        return f"module {value.__name__}"
    if inspect.isroutine(value) or isinstance(value, type):
        # A helper passed in by closure or default: its code and its own carried values.
        inner = _carried(value) if inspect.isfunction(value) else {}
        return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', '')}:{_sha(_code_bytes(value))}:{_stable(inner, depth + 1)}"
    state = getattr(value, "__dict__", None)
    return f"{type(value).__module__}.{type(value).__qualname__}" + (_stable(state, depth + 1) if state is not None else "")


def _code_bytes(fn: Any) -> bytes:
    target = fn if inspect.isroutine(fn) or isinstance(fn, type) else type(fn)
    try:
        return inspect.getsource(target).encode()
    except (OSError, TypeError):
        # marshal keeps the constants too: a changed 0.1 changes the hash, as it changes the code.
        code = getattr(fn, "__code__", None) or getattr(getattr(fn, "__call__", None), "__code__", None)
        return marshal.dumps(code) if code is not None else type(fn).__qualname__.encode()
