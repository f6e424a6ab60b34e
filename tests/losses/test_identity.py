"""A custom loss's identity (losslab.losses.identity): its whole file, the local modules it imports, its values."""

from __future__ import annotations

import doctest
import importlib
import sys

import pytest

from losslab import losses
from losslab.losses.identity import VALUES, changes, identity

LOSS = '''import torch
import helpers

CLAMP = 9.0


def clamped(y_true, y_pred):
    return helpers.squared(y_true, y_pred).clamp(max=CLAMP).mean(dim=-1)
'''
HELPERS = '''def squared(y_true, y_pred):
    return (y_pred - y_true) ** 2
'''


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "my_loss.py").write_text(LOSS)
    (tmp_path / "helpers.py").write_text(HELPERS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "helpers", raising=False)
    yield tmp_path
    sys.modules.pop("helpers", None)


def _load():
    sys.modules.pop("helpers", None)  # a new process would import the helper afresh
    return losses.load("my_loss.py:clamped")


def test_the_identity_covers_the_file_and_the_local_modules_it_imports(project):
    spec = _load()
    assert set(spec.sources) == {"my_loss.py", "helpers.py", VALUES}
    assert _load().origin == spec.origin  # unchanged: the same identity


def test_a_module_level_constant_changes_the_identity(project):
    first = _load()
    (project / "my_loss.py").write_text(LOSS.replace("CLAMP = 9.0", "CLAMP = 0.5"))
    second = _load()
    assert second.origin != first.origin
    assert changes(dict(first.sources), dict(second.sources)) == ["my_loss.py changed", f"{VALUES} changed"]


def test_a_helper_in_an_imported_local_module_changes_the_identity(project):
    first = _load()
    (project / "helpers.py").write_text(HELPERS.replace("** 2", "** 2 * 1.0"))
    second = _load()
    assert second.origin != first.origin
    assert changes(dict(first.sources), dict(second.sources)) == ["helpers.py changed"]


def test_installed_packages_and_losslab_are_not_hashed(project):
    spec = _load()
    assert not any("torch" in part or "losslab" in part for part in spec.sources)


def test_closure_and_default_values_change_the_identity():
    def make(cap, *, q=0.5):
        def fn(y_true, y_pred, *, q=q):
            return ((y_pred - y_true) ** 2).clamp(max=cap).mean(dim=-1) * q
        return fn

    a, b, c = identity(make(9.0)), identity(make(9.0)), identity(make(1.0))
    assert a == b
    assert a[0] != c[0] and a[1][VALUES] != c[1][VALUES]
    assert identity(make(9.0, q=0.7))[0] != a[0]


def test_the_identity_has_no_memory_address_in_it():
    # A helper object passed by closure hashes the same in every process (no "at 0x...").
    class Scale:
        def __init__(self, k):
            self.k = k

    def make(scale):
        def fn(y_true, y_pred):
            return ((y_pred - y_true) * scale.k).abs().mean(dim=-1)
        return fn

    assert identity(make(Scale(2.0))) == identity(make(Scale(2.0)))
    assert identity(make(Scale(2.0))) != identity(make(Scale(3.0)))


def test_docstring_examples_run():
    result = doctest.testmod(importlib.import_module("losslab.losses.identity"), optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 4 and result.failed == 0
