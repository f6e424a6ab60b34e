"""The lockstep engine against a plain one-model PyTorch loop, weight for weight."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_circles, make_regression
from sklearn.preprocessing import StandardScaler

from losslab import losses
from losslab.engine import SGD, Adam, Member, Network, Replicate, train
from losslab.engine.network import shuffle_stream


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=200, n_features=5, noise=0.1, random_state=1)
    X = StandardScaler().fit_transform(X)
    y = StandardScaler().fit_transform(y[:, None])[:, 0]
    return X, y


def plain_loop(X, y, net, seed, *, epochs, batch_size, optimizer, loss_fn, output_activation, train_rows):
    """What a user writes: nn.Sequential, autograd, torch.optim, one model at a time."""
    layers = []
    for i, (w, b) in enumerate(net.initial_weights(seed)):
        lin = torch.nn.Linear(*w.shape)
        with torch.no_grad():
            lin.weight.copy_(torch.as_tensor(w.T))
            lin.bias.copy_(torch.as_tensor(b))
        layers.append(lin)
        if i < len(net.hidden):
            layers.append(torch.nn.ReLU())
    layers.append({"linear": torch.nn.Identity(), "sigmoid": torch.nn.Sigmoid(), "tanh": torch.nn.Tanh()}[output_activation])
    model = torch.nn.Sequential(*layers).float()
    if isinstance(optimizer, SGD):
        opt = torch.optim.SGD(model.parameters(), lr=optimizer.lr, momentum=optimizer.momentum, nesterov=optimizer.nesterov)
    else:
        opt = KerasAdam(model.parameters(), optimizer)
    Xt = torch.as_tensor(X, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32).reshape(len(y), -1)
    rng = shuffle_stream(seed)
    n = len(train_rows)
    for _ in range(epochs):
        order = train_rows[np.argsort(rng.random(n), kind="stable")]
        for s in range(0, n, batch_size):
            idx = torch.as_tensor(order[s: s + batch_size])
            opt.zero_grad()
            loss = loss_fn(yt[idx], model(Xt[idx]))
            loss.backward()
            opt.step()
    return model


class KerasAdam:
    """Keras 3's Adam written out by hand (epsilon outside the bias-corrected root)."""

    def __init__(self, params, cfg):
        self.params, self.cfg, self.t = list(params), cfg, 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        c = self.cfg
        self.t += 1
        lr = c.lr * (1 - c.beta_2**self.t) ** 0.5 / (1 - c.beta_1**self.t)
        for p, m, v in zip(self.params, self.m, self.v):
            m += (p.grad - m) * (1 - c.beta_1)
            v += (p.grad**2 - v) * (1 - c.beta_2)
            p -= lr * m / (v.sqrt() + c.epsilon)


def engine_weights(history, r):
    return [(W[r], b[r]) for W, b in history.weights]


def assert_same_model(history, r, model, atol=1e-5):
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    for (W, b), lin in zip(engine_weights(history, r), linears):
        np.testing.assert_allclose(W, lin.weight.detach().numpy().T, atol=atol)
        np.testing.assert_allclose(b, lin.bias.detach().numpy(), atol=atol)


@pytest.mark.parametrize("optimizer", [SGD(0.01, 0.9), SGD(0.05, 0.9, nesterov=True), SGD(0.05), Adam(0.01)], ids=repr)
def test_single_replicate_equals_plain_pytorch_loop(regression, optimizer):
    X, y = regression
    net = Network(5, (8, 6), 1)
    rows = np.arange(150)
    h = train(X, [Member(losses.get("mse"), "linear", y)], [Replicate(0, 7, rows)], network=net, epochs=4,
              batch_size=32, optimizer=optimizer)
    model = plain_loop(X, y, net, 7, epochs=4, batch_size=32, optimizer=optimizer,
                       loss_fn=lambda t, p: ((p - t) ** 2).mean(), output_activation="linear", train_rows=rows)
    assert_same_model(h, 0, model)


def test_replicate_in_lockstep_equals_the_same_seed_alone(regression):
    X, y = regression
    net = Network(5, (10,), 1)
    rows = np.arange(160)
    member = Member(losses.get("mse"), "linear", y)
    many = train(X, [member], [Replicate(0, s, rows, np.arange(160, 200)) for s in range(6)], network=net, epochs=3,
                 batch_size=16, optimizer=SGD(0.01, 0.9), metrics=("mse",))
    alone = train(X, [member], [Replicate(0, 4, rows, np.arange(160, 200))], network=net, epochs=3,
                  batch_size=16, optimizer=SGD(0.01, 0.9), metrics=("mse",))
    for (W, b), (W1, b1) in zip(many.weights, alone.weights):
        np.testing.assert_allclose(W[4], W1[0], atol=1e-6)
        np.testing.assert_allclose(b[4], b1[0], atol=1e-6)
    np.testing.assert_allclose(many.loss["test"][4], alone.loss["test"][0], rtol=1e-5)
    # Different seeds give different models.
    assert not np.allclose(many.weights[0][0][0], many.weights[0][0][1])


def test_unequal_training_sets_are_masked_exactly(regression):
    """Folds of different sizes train together; each equals its own plain loop."""
    X, y = regression
    net = Network(5, (6,), 1)
    sets = [np.arange(0, 100), np.arange(5, 102), np.arange(10, 99)]
    h = train(X, [Member(losses.get("mse"), "linear", y)], [Replicate(0, 3, s) for s in sets], network=net,
              epochs=3, batch_size=32, optimizer=SGD(0.01, 0.9))
    for r, s in enumerate(sets):
        model = plain_loop(X, y, net, 3, epochs=3, batch_size=32, optimizer=SGD(0.01, 0.9),
                           loss_fn=lambda t, p: ((p - t) ** 2).mean(), output_activation="linear", train_rows=s)
        assert_same_model(h, r, model)


def test_same_seed_same_numbers(regression):
    X, y = regression
    kw = dict(network=Network(5, (4,), 1), epochs=2, batch_size=20, optimizer=SGD(0.01, 0.9), metrics=("mse", "mae"))
    member = Member(losses.get("mse"), "linear", y)
    reps = [Replicate(0, s, np.arange(100), np.arange(100, 200)) for s in (1, 2)]
    a, b = train(X, [member], reps, **kw), train(X, [member], reps, **kw)
    np.testing.assert_array_equal(a.loss["test"], b.loss["test"])
    np.testing.assert_array_equal(a.metrics["mae"]["train"], b.metrics["mae"]["train"])


def test_history_records_loss_and_metrics_per_epoch(regression):
    X, y = regression
    h = train(X, [Member(losses.get("mse"), "linear", y)], [Replicate(0, 0, np.arange(100), np.arange(100, 200))],
              network=Network(5, (8,), 1), epochs=5, batch_size=10, optimizer=SGD(0.01, 0.9), metrics=("mse", "rmse"))
    assert h.loss["train"].shape == (1, 5) and h.loss["test"].shape == (1, 5)
    # For MSE the loss is the mse metric; rmse is its root.
    np.testing.assert_allclose(h.loss["test"], h.metrics["mse"]["test"], rtol=1e-6)
    np.testing.assert_allclose(h.metrics["rmse"]["test"], np.sqrt(h.metrics["mse"]["test"]), rtol=1e-5)
    # The recorded test loss is the loss of the final outputs.
    out = h.outputs["test"][0][:, 0]
    assert h.loss["test"][0, -1] == pytest.approx(np.mean((out - y[100:200]) ** 2), rel=1e-5)
    assert h.loss["train"][0, -1] < h.loss["train"][0, 0]


def test_binary_cross_entropy_replicate_equals_plain_loop_and_accuracy_is_right():
    X, y = make_circles(n_samples=200, noise=0.1, random_state=1)
    net = Network(2, (12,), 1)
    rows = np.arange(100)
    bce = losses.get("binary_crossentropy")
    act = "sigmoid"
    h = train(X, [Member(bce, act, y.astype(float), labels=y)], [Replicate(0, 11, rows, np.arange(100, 200))],
              network=net, epochs=3, batch_size=32, optimizer=SGD(0.01, 0.9), metrics=("accuracy",))
    model = plain_loop(X, y.astype(float), net, 11, epochs=3, batch_size=32, optimizer=SGD(0.01, 0.9),
                       loss_fn=lambda t, p: bce.torch(t, p), output_activation=act, train_rows=rows)
    assert_same_model(h, 0, model)
    with torch.no_grad():
        prob = model(torch.as_tensor(X[100:], dtype=torch.float32))[:, 0].numpy()
    assert h.metrics["accuracy"]["test"][0, -1] == pytest.approx(np.mean((prob > 0.5) == y[100:]))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(epochs=0), r"epochs >= 1. Received: epochs=0"),
        (dict(batch_size=500), r"batch_size <= the number of training rows \(100\). Received: batch_size=500"),
        (dict(metrics=("auc",)), r"metrics from .* Received: 'auc'"),
        (dict(dtype="float16"), r"dtype in"),
    ],
)
def test_bad_configuration_fails_before_training(regression, kwargs, message):
    X, y = regression
    base = dict(network=Network(5, (4,), 1), epochs=1, batch_size=10)
    with pytest.raises(ValueError, match=message):
        train(X, [Member(losses.get("mse"), "linear", y)], [Replicate(0, 0, np.arange(100))], **{**base, **kwargs})


def test_output_activation_must_fit_the_loss(regression):
    X, y = regression
    with pytest.raises(ValueError, match=r"mean_squared_error expects an output layer with activation linear.*Received: output_activation='sigmoid'"):
        train(X, [Member(losses.get("mse"), "sigmoid", y)], [Replicate(0, 0, np.arange(100))],
              network=Network(5, (4,), 1), epochs=1)


def test_targets_must_match_the_output_units(regression):
    X, y = regression
    with pytest.raises(ValueError, match=r"needs 1 output unit\(s\). Received: network.n_outputs=3"):
        train(X, [Member(losses.get("mse"), "linear", y)], [Replicate(0, 0, np.arange(100))],
              network=Network(5, (4,), 3), epochs=1)


def test_train_curve_is_the_running_mean_over_minibatches_as_keras_reports_it(regression):
    """With a vanishing learning rate the weights stay put, so the epoch's running mean
    over minibatches (weighted by batch size) equals the loss on all training rows."""
    X, y = regression
    h = train(X, [Member(losses.get("mse"), "linear", y)], [Replicate(0, 3, np.arange(150), np.arange(150, 200))],
              network=Network(5, (8,), 1), epochs=2, batch_size=32, optimizer=SGD(1e-12), metrics=("mae",))
    assert h.loss["train"][0, 0] == pytest.approx(h.final("train")[0], rel=1e-5)
    assert h.metrics["mae"]["train"][0, 1] == pytest.approx(h.final("train", "mae")[0], rel=1e-5)
    assert h.loss["test"][0, -1] == pytest.approx(h.final("test")[0], rel=1e-6)


def test_evaluate_weight_sets_reproduces_the_trained_models(regression):
    from losslab.engine import evaluate, flatten

    X, y = regression
    net = Network(5, (7,), 1)
    member = Member(losses.get("mse"), "linear", y)
    h = train(X, [member], [Replicate(0, s, np.arange(150), np.arange(150, 200)) for s in range(3)], network=net,
              epochs=3, batch_size=25, optimizer=SGD(0.01, 0.9), metrics=("mae",), record_trajectory=True)
    flat = flatten(h.weights)
    np.testing.assert_allclose(flat, h.trajectory[:, -1], rtol=1e-6)
    got = evaluate(X, member, flat, network=net, rows=np.arange(150, 200), metrics=("mae",))
    np.testing.assert_allclose(got["loss"], h.final("test"), rtol=1e-5)
    np.testing.assert_allclose(got["mae"], h.final("test", "mae"), rtol=1e-5)
    # The trajectory starts at the seed's initial weights.
    first = flatten([(w[None], b[None]) for w, b in net.initial_weights(0)])
    np.testing.assert_allclose(h.trajectory[0, 0], first[0], rtol=1e-6)


def test_a_loss_that_refuses_the_targets_stops_training_before_it_starts(regression):
    X, _ = regression
    labels = (np.arange(len(X)) % 2).astype(float)  # {0, 1}: hinge wants {-1, 1}
    with pytest.raises(ValueError, match=r"hinge.*\{-1, 1\}.*2\*y - 1"):
        train(X, [Member(losses.get("hinge"), "tanh", labels)], [Replicate(0, 0, np.arange(100))],
              network=Network(5, (4,), 1), epochs=1)


def test_gaussian_nll_trains_a_mean_and_a_softplus_variance_head():
    """Heteroscedastic data: noise grows with |x|. The variance head learns it; the NLL of a
    continuous density goes below zero, as it may."""
    rng = np.random.default_rng(1)
    x = rng.uniform(-2, 2, size=(600, 1))
    y = np.sin(x[:, 0]) + rng.normal(size=600) * (0.05 + 0.3 * np.abs(x[:, 0]))
    member = Member(losses.get("gaussian_nll"), "linear+softplus", y)
    h = train(x, [member], [Replicate(0, 0, np.arange(500), np.arange(500, 600))], network=Network(1, (32,), 2),
              epochs=60, batch_size=32, optimizer=Adam(0.01))
    out = h.outputs["test"][0]
    assert (out[:, 1] > 0).all()  # softplus keeps every variance positive
    assert h.loss["train"][0, -1] < h.loss["train"][0, 0]
    assert h.final("test")[0] < 0  # a negative NLL: a density, not a probability
    near, far = np.abs(x[500:, 0]) < 0.5, np.abs(x[500:, 0]) > 1.5
    assert out[far, 1].mean() > 3 * out[near, 1].mean()
