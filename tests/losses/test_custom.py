"""User-defined losses: the same numbers as the catalog, the checks that refuse what cannot train, loading, origins."""

import doctest
import importlib
import re
import sys
import textwrap

import numpy as np
import pytest
import torch

import losslab
from losslab import losses
from losslab.engine import SGD, Member, Network, Replicate, train


def squared(y_true, y_pred):
    return ((y_pred - y_true) ** 2).mean(dim=-1)


@pytest.fixture(scope="module")
def squared_spec():
    return losses.custom(squared)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(12, 3)), rng.normal(size=(12, 3)), rng.uniform(0, 2, size=12)


# ---------------------------------------------------------------- same numbers as the catalog
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("k", [1, 3])
def test_custom_mse_gives_mse_numbers_in_numpy_and_torch(squared_spec, data, reduction, k):
    t, p, w = data
    t, p = (t[:, 0], p[:, 0]) if k == 1 else (t, p)
    mse = losses.get("mse")
    for weight in (None, w):
        ours = squared_spec.numpy(t, p, reduction=reduction, sample_weight=weight)
        np.testing.assert_allclose(ours, mse.numpy(t, p, reduction=reduction, sample_weight=weight), rtol=1e-14)
        for dtype in (torch.float32, torch.float64):
            tt, pt = torch.as_tensor(t, dtype=dtype), torch.as_tensor(p, dtype=dtype)
            got = squared_spec.torch(tt, pt, reduction=reduction, sample_weight=weight)
            want = mse.torch(tt, pt, reduction=reduction, sample_weight=weight)
            assert got.dtype == dtype
            # The same torch operations as the catalog kernel: equal bit for bit.
            torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_custom_spec_metadata(squared_spec):
    spec = squared_spec
    assert (spec.name, spec.title, spec.problem_types, spec.output_activations, spec.target_encoding) == (
        "squared", "squared", ("regression",), ("linear",), "real")
    assert spec.torch_kernel is squared
    assert re.fullmatch(r"([\w.]+\.)?test_custom:squared sha256:[0-9a-f]{16}", spec.origin)
    assert any("float64" in note for note in spec.notes)
    assert losses.get("mse").origin == ""
    # Refused inputs are refused as for catalog losses.
    with pytest.raises(ValueError, match=r"squared: expected y_true and y_pred of the same shape"):
        spec.numpy(np.zeros(3), np.zeros(4))


def test_decorator_attaches_metadata_that_custom_and_get_read():
    @losslab.loss(problem="binary", output="sigmoid", name="soft_error")
    def err(y_true, y_pred):
        """Expected error rate of a probabilistic classifier.

        Second paragraph, not in the summary."""
        return (y_true * (1 - y_pred) + (1 - y_true) * y_pred).mean(dim=-1)

    assert err(torch.ones(2, 1), torch.full((2, 1), 0.25)).tolist() == [0.75, 0.75]  # still a plain function
    spec = losses.get(err)
    assert (spec.name, spec.problem_types, spec.output_activations, spec.target_encoding) == (
        "soft_error", ("binary",), ("sigmoid",), "binary_01")
    assert spec.summary == "Expected error rate of a probabilistic classifier."
    # Arguments to custom() override the decorator's.
    assert losses.custom(err, name="other", summary="s").name == "other"

    @losslab.loss
    def bare(y_true, y_pred):
        return (y_pred - y_true).abs().mean(dim=-1)

    assert losses.get(bare).output_activations == ("linear",)
    with pytest.raises(ValueError, match=r"expected problem in .*Received: problem='classification'"):
        losslab.loss(problem="classification")


def test_keyword_parameters_become_hyperparameters(data):
    def power(y_true, y_pred, *, p=2.0):
        return ((y_pred - y_true).abs() ** p).mean(dim=-1)

    spec = losses.custom(power)
    t, pred, _ = data
    assert dict(spec.params) == {"p": 2.0}
    np.testing.assert_allclose(spec.with_params(p=1.0).numpy(t, pred), losses.get("mae").numpy(t, pred), rtol=1e-14)
    np.testing.assert_allclose(spec.numpy(t, pred, p=2.0), losses.get("mse").numpy(t, pred), rtol=1e-14)


def test_class_index_custom_loss_matches_sparse_cce():
    def picked_log_loss(y_true, y_pred):
        return -torch.log(y_pred.gather(-1, y_true.unsqueeze(-1)).squeeze(-1))

    spec = losses.custom(picked_log_loss, problem="multiclass", output="softmax", target_encoding="integer_class")
    assert spec.shape_rule == "class_index"
    labels, probs = np.array([0, 2, 1]), np.array([[0.5, 0.25, 0.25], [0.2, 0.2, 0.6], [0.1, 0.8, 0.1]])
    np.testing.assert_allclose(spec.numpy(labels, probs), losses.get("sparse_cce").numpy(labels, probs), rtol=1e-14)


# ---------------------------------------------------------------- refused before anything trains
def _where_pattern(fn):
    return rf"custom loss '{fn.__name__}' \(\S*test_custom\.py:\d+\)"


def reduced_to_scalar(y_true, y_pred):
    return ((y_pred - y_true) ** 2).mean()


def not_reduced(y_true, y_pred):
    return (y_pred - y_true) ** 2


def reduced_over_dim1(y_true, y_pred):
    return ((y_pred - y_true) ** 2).mean(dim=1)


def log_of_error(y_true, y_pred):
    return torch.log(y_pred - y_true).mean(dim=-1)


def detached(y_true, y_pred):
    return ((y_pred.detach() - y_true) ** 2).mean(dim=-1)


def constant_in_pred(y_true, y_pred):
    return (y_pred * 0.0 + 1.0).mean(dim=-1)


def ignores_pred(y_true, y_pred):
    return (y_true**2).mean(dim=-1)


def via_item(y_true, y_pred):
    return torch.tensor([((p - t) ** 2).mean().item() for t, p in zip(y_true, y_pred)])


def via_numpy(y_true, y_pred):
    return np.mean((y_pred - y_true) ** 2, axis=-1)


def returns_float(y_true, y_pred):
    return float(((y_pred - y_true) ** 2).mean().detach())


def sqrt_at_zero(y_true, y_pred):
    return (y_pred - y_true).abs().mean(dim=-1) + (y_pred - y_pred).sqrt().mean(dim=-1)


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (reduced_to_scalar, r"the shape check failed: it returned shape \(\) for y_true and y_pred of shape \(8, 1\) \(float32\) — "
                            r"it reduced over the batch\. Return one value per sample: reduce with dim=-1 only"),
        (not_reduced, r"the shape check failed: it returned shape \(8, 1\) .* one value per output, not per sample\. .*dim=-1"),
        (reduced_over_dim1, r"the shape check failed: it returned shape \(3, 1\) for y_true and y_pred of shape \(3, 8, 1\) "
                            r"\(float32\) — expected \(3, 8\), one loss per sample\. .*\(replicates, batch, k\)"),
        (log_of_error, r"the finiteness check failed: it returned \d+ non-finite value\(s\) of 8 .* e\.g\. nan at y_true=.*Guard logs"),
        (detached, r"the gradient check failed: its result does not depend on y_pred through autograd \(requires_grad=False\).*\.detach\(\)"),
        (ignores_pred, r"the gradient check failed: .*requires_grad=False.*it ignores y_pred"),
        (constant_in_pred, r"the gradient check failed: its gradient with respect to y_pred is zero for every sample.*constant in y_pred"),
        (via_item, r"the gradient check failed: .*requires_grad=False.*\.item\(\)"),
        (via_numpy, r"the call check failed: it raised TypeError: .* NumPy cannot see through autograd: use torch operations"),
        (returns_float, r"the tensor check failed: it returned a Python float .* \.item\(\) or float\(\) has no gradient"),
        (sqrt_at_zero, r"the gradient check failed: its gradient with respect to y_pred is not finite .*sqrt at 0"),
    ],
    ids=lambda x: getattr(x, "__name__", ""),
)
def test_broken_losses_are_refused_with_what_came_and_how_to_fix_it(fn, message):
    with pytest.raises(ValueError, match=_where_pattern(fn) + ": " + message):
        losses.custom(fn)


def test_refusals_happen_before_the_engine_ever_sees_the_loss():
    # losses.get(fn) and the decorator route through the same checks.
    with pytest.raises(ValueError, match="shape check failed"):
        losses.get(losslab.loss(reduced_to_scalar))


def test_bad_signatures_names_and_metadata():
    with pytest.raises(ValueError, match=r"custom loss 'mse' .*the name 'mse' is the catalog's mean_squared_error\. Pass name='my_mse'"):
        def mse(y_true, y_pred):
            return ((y_pred - y_true) ** 2).mean(dim=-1)
        losses.custom(mse)
    with pytest.raises(ValueError, match=r"a lambda has no name.*Pass name="):
        losses.custom(lambda t, p: (p - t).abs().mean(dim=-1))
    assert losses.custom(lambda t, p: (p - t).abs().mean(dim=-1), name="l1ish").name == "l1ish"
    with pytest.raises(ValueError, match=r"expected a function of \(y_true, y_pred\)\. Received: a function of \(y\)"):
        losses.custom(lambda y: y, name="one_arg")
    with pytest.raises(ValueError, match=r"expected every parameter after \(y_true, y_pred\) to have a default\. Received: 'q'"):
        losses.custom(lambda t, p, q: p, name="needs_q")
    with pytest.raises(ValueError, match=r"expected output .*Received: output='softmaxx'"):
        losses.custom(squared, output="softmaxx")
    with pytest.raises(ValueError, match=r"problem='probabilistic' has no default target encoding\. Pass target_encoding="):
        losses.custom(squared, problem="probabilistic")
    with pytest.raises(TypeError, match="expected a function"):
        losses.custom("mse")


def test_check_custom_passes_every_catalog_loss_it_is_given():
    for name in ("mse", "mae", "huber", "bce", "hinge", "cce", "sparse_cce"):
        spec = losses.get(name)
        losses.check_custom(spec, n_outputs=3 if name in ("cce", "sparse_cce") else 1)


# ---------------------------------------------------------------- loading
TRIMMED = '''
import torch
import losslab


@losslab.loss(problem="regression", output="linear")
def trimmed_mse(y_true, y_pred, *, cap=9.0):
    """Squared error, capped at cap."""
    return ((y_pred - y_true) ** 2).clamp(max=cap).mean(dim=-1)


THRESHOLD = 3.0
'''


def test_load_from_a_file_relative_to_the_cwd(tmp_path, monkeypatch, data):
    (tmp_path / "my_losses.py").write_text(TRIMMED)
    monkeypatch.chdir(tmp_path)
    spec = losses.load("my_losses.py:trimmed_mse")
    assert (spec.name, spec.title, dict(spec.params)) == ("my_losses.py:trimmed_mse", "trimmed_mse", {"cap": 9.0})
    assert re.fullmatch(r"my_losses\.py:trimmed_mse sha256:[0-9a-f]{16}", spec.origin)
    t, p, _ = data
    np.testing.assert_allclose(spec.with_params(cap=1e9).numpy(t, p), losses.get("mse").numpy(t, p), rtol=1e-14)
    # get() reads the same reference, and reads back the spec's own name.
    assert losses.get("my_losses.py:trimmed_mse").origin == spec.origin
    assert losses.get(spec.name, cap=4.0).params["cap"] == 4.0
    # Subdirectories and absolute paths.
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "robust.py").write_text(TRIMMED)
    assert losses.load("sub/robust.py:trimmed_mse").title == "trimmed_mse"
    assert losses.load(f"{tmp_path / 'sub' / 'robust.py'}:trimmed_mse").title == "trimmed_mse"


def test_load_errors_say_what_is_missing(tmp_path, monkeypatch):
    (tmp_path / "my_losses.py").write_text(TRIMMED)
    (tmp_path / "broken.py").write_text("import torch\nraise RuntimeError('boom')\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"load 'nope\.py:f': no file 'nope\.py' \(looked for .*nope\.py\)\. Give the path relative to the current directory"):
        losses.load("nope.py:f")
    with pytest.raises(ValueError, match=r"load 'my_losses\.py:trimmed': my_losses\.py has no function 'trimmed'\. It defines: trimmed_mse\."):
        losses.load("my_losses.py:trimmed")
    with pytest.raises(ValueError, match=r"expected THRESHOLD to be a function \(y_true, y_pred\) -> per-sample loss\. Received: a float \(3\.0\)"):
        losses.load("my_losses.py:THRESHOLD")
    with pytest.raises(ValueError, match=r"running broken\.py raised RuntimeError: boom"):
        losses.load("broken.py:f")
    with pytest.raises(ValueError, match=r"no module named 'no_such_module_xyz'.*'no_such_module_xyz\.py:f'"):
        losses.load("no_such_module_xyz:f")
    with pytest.raises(ValueError, match=r"expected 'file\.py:function' or 'package\.module:function'"):
        losses.load("my_losses.py")


def test_load_from_a_module(tmp_path, monkeypatch):
    (tmp_path / "user_losses_for_test_custom.py").write_text(TRIMMED)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "user_losses_for_test_custom", raising=False)
    spec = losses.get("user_losses_for_test_custom:trimmed_mse")  # the cwd is on the path, as for `python -m`
    assert spec.title == "trimmed_mse"
    assert spec.origin.startswith("user_losses_for_test_custom:trimmed_mse sha256:")
    assert losses.load("losslab.losses.regression:_mse_torch").origin.startswith("losslab.losses.regression:_mse_torch sha256:")


def test_origin_hash_changes_when_the_function_changes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "my_losses.py"
    path.write_text(TRIMMED)
    first = losses.load("my_losses.py:trimmed_mse").origin
    assert losses.load("my_losses.py:trimmed_mse").origin == first  # the same file, the same hash
    # One digit changed, same length: a stale source cache (same size, same mtime tick) would miss it.
    path.write_text(TRIMMED.replace("cap=9.0", "cap=8.0"))
    changed = losses.load("my_losses.py:trimmed_mse")
    assert changed.origin != first
    assert changed.params["cap"] == 8.0
    # Editing elsewhere in the file changes it too (issue 16): a module-level constant or helper the
    # function reads is part of what it computes, and the hash covers the whole file.
    path.write_text(TRIMMED.replace("THRESHOLD = 3.0", "THRESHOLD = 4.0"))
    assert losses.load("my_losses.py:trimmed_mse").origin not in (first, changed.origin)
    path.write_text(TRIMMED)
    assert losses.load("my_losses.py:trimmed_mse").origin == first  # back to the first text, back to its hash


# ---------------------------------------------------------------- the engine trains it
def test_engine_trains_a_custom_mse_exactly_as_mse():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 4))
    y = X @ rng.normal(size=4) + 0.1 * rng.normal(size=60)
    members = [Member(losses.get("mse"), "linear", y), Member(losses.custom(squared, name="custom_mse"), "linear", y)]
    rows, test = np.arange(40), np.arange(40, 60)
    h = train(X, members, [Replicate(j, s, rows, test) for j in range(2) for s in (0, 1)], network=Network(4, (5,), 1),
              epochs=2, batch_size=8, optimizer=SGD(0.01, 0.9), metrics=("mse",))
    for W, b in h.weights:
        np.testing.assert_array_equal(W[:2], W[2:])
        np.testing.assert_array_equal(b[:2], b[2:])
    np.testing.assert_array_equal(h.loss["test"][:2], h.loss["test"][2:])
    assert h.members == ["mean_squared_error", "custom_mse"]


def test_import_losslab_stays_free_of_torch_and_exposes_the_decorator():
    import subprocess

    code = "import sys, losslab; losslab.loss; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"
    assert losslab.loss is losses.loss


def test_docstring_examples_run():
    module = importlib.import_module("losslab.losses.custom")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 10 and result.failed == 0
    assert "dim=-1" in textwrap.dedent(module.__doc__)


# ---------------------------------------------------------------- what may load code (issue 16)
def test_a_standard_library_module_is_refused_without_importing_it(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "this", raising=False)  # `import this` prints the Zen of Python
    for ref in ("this:x", "os.path:join", "json:loads"):
        with pytest.raises(ValueError, match=r"is a module of Python's standard library, not a loss source"):
            losses.get(ref)
    assert "this" not in sys.modules
    # A file of the user's that happens to share the name loads by its path.
    (tmp_path / "this.py").write_text(TRIMMED)
    assert losses.load("./this.py:trimmed_mse").title == "trimmed_mse"
    assert "this" not in sys.modules


def test_the_current_directory_is_never_first_on_the_path(monkeypatch, tmp_path):
    # A file in the cwd named like an installed package must not shadow it.
    (tmp_path / "numpy.py").write_text("def f(y_true, y_pred):\n    return (y_pred - y_true).abs().mean(dim=-1)\n")
    monkeypatch.chdir(tmp_path)
    before = list(sys.path)
    with pytest.raises(ValueError, match=r"module numpy has no function 'f'"):
        losses.load("numpy:f")
    (tmp_path / "my_losses.py").write_text(TRIMMED)
    losses.load("my_losses.py:trimmed_mse")
    assert sys.path == before


def test_the_check_runs_under_a_time_limit():
    import time

    def slow(y_true, y_pred):
        time.sleep(2.0)
        return ((y_pred - y_true) ** 2).mean(dim=-1)

    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"custom loss 'slow' \(.*\): the pre-training check did not finish within 0\.2 s "
                                         r"\(time_limit=0\.2\).*pass a larger time_limit"):
        losses.custom(slow, time_limit=0.2)
    assert time.perf_counter() - start < 1.5
    with pytest.raises(ValueError, match=r"expected time_limit > 0 seconds\. Received: time_limit=0"):
        losses.check_custom(losses.get("mae"), time_limit=0)
    assert losses.custom(squared, name="quick", time_limit=30).name == "quick"  # the default limit is far above a loss's check
