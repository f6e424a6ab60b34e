"""Composite losses: weighted sums by expression, sweeps, refusals, and training them."""

import doctest
import importlib

import numpy as np
import pytest
import torch

from losslab import losses
from losslab.engine import SGD, Member, Network, Replicate, train


@pytest.fixture
def data():
    rng = np.random.default_rng(1)
    return rng.normal(size=(16, 2)), rng.normal(size=(16, 2)), rng.uniform(0, 2, size=16)


def both(spec, t, p, **kw):
    """The NumPy reference and the torch implementation (float64) of one spec."""
    return spec.numpy(t, p, **kw), spec.torch(torch.as_tensor(t), torch.as_tensor(p), **kw).detach().numpy()


# ---------------------------------------------------------------- numbers
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_one_times_mse_plus_zero_times_mae_is_exactly_mse(data, reduction):
    t, p, w = data
    spec = losses.composite("1*mse+0*mae")
    assert spec.name == "mean_squared_error+0*mean_absolute_error"
    mse = losses.get("mse")
    for weight in (None, w):
        ours, want = both(spec, t, p, reduction=reduction, sample_weight=weight), both(mse, t, p, reduction=reduction, sample_weight=weight)
        np.testing.assert_array_equal(ours[0], want[0])
        np.testing.assert_array_equal(ours[1], want[1])
    for dtype in (torch.float32, torch.float64):
        tt, pt = torch.as_tensor(t, dtype=dtype), torch.as_tensor(p, dtype=dtype)
        assert torch.equal(spec.torch_kernel(tt, pt), mse.torch_kernel(tt, pt))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_weighted_sum_equals_the_sum_of_weighted_parts(data, reduction):
    t, p, w = data
    spec = losses.get("0.7*mse+0.3*mae")
    assert spec.name == "0.7*mean_squared_error+0.3*mean_absolute_error"
    mse, mae = losses.get("mse"), losses.get("mae")
    for weight in (None, w):
        kw = dict(reduction=reduction, sample_weight=weight)
        for ours, a, b in zip(both(spec, t, p, **kw), both(mse, t, p, **kw), both(mae, t, p, **kw)):
            np.testing.assert_allclose(ours, 0.7 * np.asarray(a) + 0.3 * np.asarray(b), rtol=1e-13)


def test_gradient_is_the_weighted_sum_of_gradients(data):
    t, p, _ = data
    pt = torch.as_tensor(p).requires_grad_()
    (g,) = torch.autograd.grad(losses.get("0.25*mse+2*huber(delta=0.5)").torch(t, pt), pt)
    pa, pb = torch.as_tensor(p).requires_grad_(), torch.as_tensor(p).requires_grad_()
    (ga,) = torch.autograd.grad(losses.get("mse").torch(t, pa), pa)
    (gb,) = torch.autograd.grad(losses.get("huber", delta=0.5).torch(t, pb), pb)
    torch.testing.assert_close(g, 0.25 * ga + 2 * gb)


def test_parameters_inside_expressions_and_normalized_names():
    assert losses.get("mse + 0.5 * huber(delta=2)").name == "mean_squared_error+0.5*huber(delta=2)"
    assert losses.get("0.5*Huber(delta=2.0)*2+MeanAbsoluteError").name == "huber(delta=2)+mean_absolute_error"
    # A parameter alias carries its parameter into the name.
    spec = losses.get("0.5*BCEWithLogitsLoss+0.5*binary_focal_crossentropy(from_logits=true)")
    assert spec.name == "0.5*binary_crossentropy(from_logits=True)+0.5*binary_focal_crossentropy(from_logits=True)"
    assert spec.output_activations == ("linear",)
    assert losses.get("1e-3*mse+mae").name == "0.001*mean_squared_error+mean_absolute_error"
    assert losses.get("2*mse").name == "2*mean_squared_error"
    # The name reads back as the same loss.
    for text in ("0.7*mse+0.3*huber(delta=2)", "cce(label_smoothing=0.1)+0.5*categorical_focal_crossentropy"):
        spec = losses.get(text)
        assert losses.get(spec.name).name == spec.name
    # A single term of weight 1 is the loss itself.
    assert losses.get("1*mse") is losses.get("mse")
    assert losses.get("huber(delta=3)").params["delta"] == 3


def test_composite_metadata_is_built_from_its_parts():
    spec = losses.get("0.7*mse+0.3*mae")
    assert spec.problem_types == ("regression",)
    assert spec.output_activations == ("linear",)
    assert spec.target_encoding == "real"
    assert spec.origin == ""
    assert spec.formula.startswith(r"\ell(y, \hat y) = 0.7\left[")
    assert r"(\hat y_j - y_j)^2" in spec.formula and r"|\hat y_j - y_j|" in spec.formula
    # Intersection of output activations: hinge takes tanh or linear, squared hinge too.
    assert losses.get("hinge+0.5*squared_hinge").output_activations == ("tanh", "linear")
    # Each component's own input checks still run.
    with pytest.raises(ValueError, match="huber: expected delta > 0"):
        losses.get("mse+huber(delta=-1)").numpy([0.0], [1.0])


# ---------------------------------------------------------------- symbols and sweeps
def test_symbols_take_values_and_sweeps_give_one_candidate_per_value(data):
    t, p, _ = data
    assert losses.composite("mse+w*mae", w=0.3).name == "mean_squared_error+0.3*mean_absolute_error"
    assert losses.get("mse+w*mae", w=0.3).name == "mean_squared_error+0.3*mean_absolute_error"
    specs = losses.sweep("mse+w*mae", "w=0,0.1,0.3,1")
    assert [s.name for s in specs] == ["mean_squared_error+0*mean_absolute_error", "mean_squared_error+0.1*mean_absolute_error",
                                       "mean_squared_error+0.3*mean_absolute_error", "mean_squared_error+mean_absolute_error"]
    mse, mae = losses.get("mse").numpy(t, p), losses.get("mae").numpy(t, p)
    for w, spec in zip((0, 0.1, 0.3, 1), specs):
        assert spec.numpy(t, p) == pytest.approx(mse + w * mae, rel=1e-13)
        assert "w=" in spec.title
    # Several symbols: every combination, first symbol slowest; a mapping works too; parameters take symbols.
    grid = losses.sweep("a*mse+b*mae", "a=1,2;b=0.5,1")
    assert [s.name for s in grid] == ["mean_squared_error+0.5*mean_absolute_error", "mean_squared_error+mean_absolute_error",
                                      "2*mean_squared_error+0.5*mean_absolute_error", "2*mean_squared_error+mean_absolute_error"]
    assert [s.name for s in losses.sweep("mse+0.5*huber(delta=d)", {"d": [1, 2]})] == [
        "mean_squared_error+0.5*huber", "mean_squared_error+0.5*huber(delta=2)"]
    assert [s.name for s in losses.sweep("w*mse+v*mae", "w=2,3", v=0.5)] == [
        "2*mean_squared_error+0.5*mean_absolute_error", "3*mean_squared_error+0.5*mean_absolute_error"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: losses.sweep("mse+w*mae", "w=0,0.1,0"), r"w repeats 0; each value gives one candidate"),
        (lambda: losses.sweep("mse+w*mae", "w=a,b"), r"expected numbers for w"),
        (lambda: losses.sweep("mse+w*mae", "w"), r"expected symbol=v1,v2,\.\.\."),
        (lambda: losses.sweep("mse+w*mae", "v=1,2"), r"needs a value for the symbol 'w'"),
        (lambda: losses.sweep("mse+w*mae", "w=1,2", w=3), r"w is both swept and held fixed"),
        (lambda: losses.composite("mse+mae", w=1), r"got a value for w, which the expression does not use"),
        (lambda: losses.composite("mse+w*mae", w="x"), r"expected a number for w\. Received: w='x'"),
    ],
)
def test_sweep_and_value_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------- refusals
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0.7*", r"composite '0\.7\*': expected a loss, a number or a symbol after '\*' at the end of the expression\. Write terms as"),
        ("mse++mae", r"composite 'mse\+\+mae': expected a loss, a number or a symbol after '\+' \(position 4\)\. Received: '\+'"),
        ("w*mse", r"composite 'w\*mse': needs a value for the symbol 'w' \(in 'w\*mse'\)\. Pass it, losses\.composite\('w\*mse', w=0\.3\), "
                  r"or sweep it: losses\.sweep\('w\*mse', 'w=0,0\.1,0\.3,1'\)"),
        ("0.7*msee+0.3*mae", r"unknown loss 'msee' in the term '0\.7\*msee'\. Did you mean mean_squared_error"),
        ("mse+huberr(delta=2)", r"unknown loss 'huberr'\. Did you mean huber"),
        ("mse*mae", r"the term 'mse\*mae' multiplies the losses mse and mae\. Join losses with \+"),
        ("0.5", r"the term '0\.5' names no loss"),
        ("mse/2", r"unexpected character '/' at position 3"),
        ("mse mae+mae", r"expected '\+' between terms or '\*' within one after 'mse' \(position 4\)\. Received: 'mae'"),
        ("huber(delta=)", r"expected a number after '=' \(position 12\)"),
        ("huber(2)", r"expected a parameter name, as in huber\(delta=2\)"),
        ("mse-0.1*mae", r"expected non-negative weights\. Received: -0\.1 on mean_absolute_error .*fall without bound"),
        ("-mse", r"expected non-negative weights\. Received: -1 on mean_squared_error"),
        ("0*mse+0*mae", r"every weight is 0, so the loss is constant and nothing trains"),
        ("mse+bce", r"mean_squared_error and binary_crossentropy cannot be summed: mean_squared_error expects targets as real numbers "
                    r"\(real\), binary_crossentropy as binary labels .*\(binary_01\); and mean_squared_error expects a linear output "
                    r"layer, binary_crossentropy a sigmoid one"),
        ("bce(from_logits=true)+bce", r"binary_crossentropy\(from_logits=True\) and binary_crossentropy cannot be summed: "
                                      r"binary_crossentropy\(from_logits=True\) expects a linear output layer, binary_crossentropy a sigmoid one"),
        ("cce+sparse_cce", r"categorical_crossentropy expects targets as one-hot rows .*sparse_categorical_crossentropy as integer class"),
    ],
)
def test_bad_expressions_are_refused_clearly(text, message):
    with pytest.raises(ValueError, match=message):
        losses.get(text)


def test_unknown_parameters_are_the_components_error():
    with pytest.raises(TypeError, match=r"huber: unexpected parameter\(s\) \['d'\]"):
        losses.get("mse+huber(d=2)")


def test_hyphenated_names_stay_names():
    assert losses.get("kullback-leibler-divergence").name == "kl_divergence"


# ---------------------------------------------------------------- with user functions
TRIMMED = '''
def trimmed_mse(y_true, y_pred, *, cap=9.0):
    return ((y_pred - y_true) ** 2).clamp(max=cap).mean(dim=-1)
'''


def test_composites_of_user_functions_record_their_origin(tmp_path, monkeypatch, data):
    (tmp_path / "my_losses.py").write_text(TRIMMED)
    monkeypatch.chdir(tmp_path)
    t, p, _ = data
    spec = losses.get("0.5*my_losses.py:trimmed_mse(cap=1e9)+0.5*mae")
    assert spec.name == "0.5*my_losses.py:trimmed_mse(cap=1000000000)+0.5*mean_absolute_error"
    assert spec.origin.startswith("my_losses.py:trimmed_mse sha256:")
    assert spec.numpy(t, p) == pytest.approx(0.5 * losses.get("mse").numpy(t, p) + 0.5 * losses.get("mae").numpy(t, p), rel=1e-13)
    assert losses.get(spec.name).name == spec.name
    assert [s.name for s in losses.sweep("mse+w*my_losses.py:trimmed_mse", "w=0.5,1")] == [
        "mean_squared_error+0.5*my_losses.py:trimmed_mse", "mean_squared_error+my_losses.py:trimmed_mse"]


# ---------------------------------------------------------------- the engine trains it
def test_engine_trains_composites():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(48, 3))
    y = X @ rng.normal(size=3) + 0.1 * rng.normal(size=48)
    members = [Member(losses.get("mse"), "linear", y), Member(losses.get("1*mse+0*mae"), "linear", y),
               Member(losses.get("0.5*mse+0.5*mae"), "linear", y)]
    rows = np.arange(32)
    h = train(X, members, [Replicate(j, 5, rows, np.arange(32, 48)) for j in range(3)], network=Network(3, (4,), 1),
              epochs=2, batch_size=8, optimizer=SGD(0.01, 0.9))
    for W, b in h.weights:
        np.testing.assert_array_equal(W[0], W[1])
        assert not np.array_equal(W[0], W[2])
    assert np.isfinite(h.loss["train"]).all()
    with pytest.raises(ValueError, match=r"expects an output layer with activation linear"):
        train(X, [Member(losses.get("0.5*mse+0.5*mae"), "sigmoid", y)], [Replicate(0, 1, rows)], network=Network(3, (4,), 1), epochs=1)


def test_docstring_examples_run():
    for name in ("losslab.losses.composite", "losslab.losses.lookup"):
        result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
        assert result.attempted >= 3 and result.failed == 0
