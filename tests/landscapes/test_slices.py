"""Loss landscapes: the plane's centre, filter normalisation, the line's ends, seeds, the CLI."""

import numpy as np
import pytest
import torch

from losslab import api
from losslab.cli import main
from losslab.landscapes import slices as L
from losslab.landscapes import training as T

EPOCHS = 4


def numpy_loss(training, index, flat, rows):
    """The loss of one flat weight set, from a float64 NumPy forward pass and the loss's NumPy reference."""
    net, member = training.networks[index], training.members[index]
    h, offset = training.X[rows], 0
    layers = net.layer_shapes
    for i, (fan_in, fan_out) in enumerate(layers):
        W = flat[offset: offset + fan_in * fan_out].reshape(fan_in, fan_out)
        offset += fan_in * fan_out
        b = flat[offset: offset + fan_out]
        offset += fan_out
        h = h @ W + b
        if i < len(layers) - 1:
            h = np.maximum(h, 0.0)
    act = member.output_activation
    out = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh, "linear": lambda z: z,
           "softmax": lambda z: np.exp(z - z.max(1, keepdims=True)) / np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True)}[act](h)
    targets = np.asarray(member.targets)[rows]
    if member.loss.shape_rule != "class_index" and targets.ndim == 1:
        targets = targets[:, None]
    return float(member.loss.numpy(targets, out))


@pytest.fixture(scope="module")
def circles():
    return T.tutorial_training("circles", "bce,hinge", epochs=EPOCHS)


@pytest.fixture(scope="module")
def plane(circles):
    return L.compute(circles, mode="plane", grid=7, seed=3)


@pytest.fixture(scope="module")
def line(circles):
    return L.compute(circles, mode="interpolate", grid=9, seed=3)


# ---------------------------------------------------------------------- the four tests
@pytest.mark.parametrize("directions", ["random", "pca"])
def test_centre_of_the_plane_is_the_trained_model(circles, plane, directions):
    result = plane if directions == "random" else L.compute(circles, mode="plane", directions="pca", grid=7, seed=3)
    assert result.x[3] == 0.0 and result.y[3] == 0.0
    for i, (name, s) in enumerate(result.slices.items()):
        for split, rows in (("train", circles.train_rows), ("test", circles.test_rows)):
            centre = s.values[f"loss_{split}"][3, 3]
            # The engine's own evaluation right after training (float32) ...
            assert centre == pytest.approx(s.trained[f"loss_{split}"], rel=1e-5)
            # ... and a float64 NumPy forward pass of the trained weights with the loss's reference.
            assert centre == pytest.approx(numpy_loss(circles, i, s.weights, rows), rel=1e-5)
            assert s.values[f"metric_{split}"][3, 3] == pytest.approx(s.trained[f"metric_{split}"])
        # Away from the centre the loss differs: the grid is not a constant.
        assert np.ptp(s.values["loss_train"]) > 0.05


def test_filter_normalisation_gives_each_filter_the_models_norm(plane, circles):
    for i, s in enumerate(plane.slices.values()):
        net = circles.networks[i]
        offset = 0
        for fan_in, fan_out in net.layer_shapes:
            size = fan_in * fan_out
            w = s.weights[offset: offset + size].reshape(fan_in, fan_out)
            for d in s.directions:
                filters = d[offset: offset + size].reshape(fan_in, fan_out)
                # One filter per unit, output layer included: the column of its incoming weights.
                np.testing.assert_allclose(np.linalg.norm(filters, axis=0), np.linalg.norm(w, axis=0), rtol=1e-9)
                assert np.all(d[offset + size: offset + size + fan_out] == 0.0)  # biases are not perturbed
            offset += size + fan_out
        assert not np.allclose(s.directions[0], s.directions[1])


def test_interpolation_at_0_and_1_is_the_initial_and_the_trained_model(circles, line):
    from losslab.engine import flatten

    a = line.x
    assert a[0] == pytest.approx(-0.5) and a[-1] == pytest.approx(1.5) and len(a) == 9
    i0, i1 = np.flatnonzero(a == 0.0), np.flatnonzero(a == 1.0)
    assert len(i0) == 1 and len(i1) == 1
    for i, s in enumerate(line.slices.values()):
        net = circles.networks[i]
        initial = flatten([(W[None], b[None]) for W, b in net.initial_weights(line.seed)])[0]
        np.testing.assert_allclose(s.initial, initial, rtol=1e-6)
        for split, rows in (("train", circles.train_rows), ("test", circles.test_rows)):
            curve = s.values[f"loss_{split}"]
            assert curve[i0[0]] == pytest.approx(numpy_loss(circles, i, initial, rows), rel=1e-5)
            assert curve[i1[0]] == pytest.approx(s.trained[f"loss_{split}"], rel=1e-5)
            assert curve[i1[0]] == pytest.approx(numpy_loss(circles, i, s.weights, rows), rel=1e-5)
        # Training lowered the loss, so the two ends differ.
        assert s.values["loss_train"][i1[0]] < s.values["loss_train"][i0[0]]
        # The path starts at alpha 0 and ends at alpha 1.
        assert s.path[0, 0] == pytest.approx(0.0, abs=1e-9) and s.path[-1, 0] == pytest.approx(1.0, abs=1e-9)


def test_the_same_seed_gives_the_same_picture(circles, plane):
    again = L.compute(circles, mode="plane", grid=7, seed=3)
    for name, s in plane.slices.items():
        t = again.slices[name]
        for key in L.VALUES:
            np.testing.assert_array_equal(s.values[key], t.values[key])
        np.testing.assert_array_equal(s.directions, t.directions)
        np.testing.assert_array_equal(s.path, t.path)
    other = L.compute(circles, mode="plane", grid=7, seed=3, direction_seed=4)
    for name, s in plane.slices.items():
        # Same model, other directions: the centre agrees, the rest of the picture does not.
        np.testing.assert_array_equal(s.weights, other.slices[name].weights)
        assert s.values["loss_train"][3, 3] == other.slices[name].values["loss_train"][3, 3]
        assert not np.allclose(s.values["loss_train"], other.slices[name].values["loss_train"])


# ---------------------------------------------------------------------- the rest
def test_losses_share_the_seed_and_so_the_initial_weights(plane):
    a, b = plane.slices.values()
    np.testing.assert_array_equal(a.initial, b.initial)
    assert not np.array_equal(a.weights, b.weights)


def test_the_batch_equals_one_plain_model_per_grid_point(circles, plane):
    """A few grid points loaded one at a time into a plain torch model give the batch's numbers."""
    s = plane.slices["binary_crossentropy"]
    net = circles.networks[0]
    X = torch.as_tensor(circles.X[circles.train_rows], dtype=torch.float64)
    y = torch.as_tensor(circles.members[0].targets[circles.train_rows], dtype=torch.float64)
    for j, i in [(0, 0), (2, 5), (6, 6), (4, 1)]:
        flat = s.weights + plane.x[i] * s.directions[0] + plane.y[j] * s.directions[1]
        model = torch.nn.Sequential(torch.nn.Linear(2, 50), torch.nn.ReLU(), torch.nn.Linear(50, 1), torch.nn.Sigmoid()).double()
        offset = 0
        with torch.no_grad():
            for lin, (fan_in, fan_out) in zip((model[0], model[2]), net.layer_shapes):
                lin.weight.copy_(torch.as_tensor(flat[offset: offset + fan_in * fan_out].reshape(fan_in, fan_out).T))
                offset += fan_in * fan_out
                lin.bias.copy_(torch.as_tensor(flat[offset: offset + fan_out]))
                offset += fan_out
            p = model(X)[:, 0].clamp(1e-7, 1 - 1e-7)
            bce = float(-(y * p.log() + (1 - y) * (1 - p).log()).mean())
        assert s.values["loss_train"][j, i] == pytest.approx(bce, rel=1e-4)


def test_pca_directions_follow_the_path(circles):
    result = L.compute(circles, mode="plane", directions="pca", grid=5, seed=3)
    for s in result.slices.values():
        d1, d2 = s.directions
        assert abs(d1 @ d2) < 1e-8 * np.linalg.norm(d1) * np.linalg.norm(d2)
        assert np.linalg.norm(d1) == pytest.approx(np.linalg.norm(d2))
        assert 0.5 < s.explained[0] <= 1.0 and s.explained.sum() <= 1.0 + 1e-12
        assert np.abs(s.path).max() == pytest.approx(1.0)  # the path fills [-1, 1]^2
        np.testing.assert_allclose(s.path[-1], 0.0, atol=1e-12)
        assert np.all(s.path[0] >= 0) and s.captured > 0.9
    with pytest.raises(ValueError, match="epochs >= 2"):
        L.compute(T.tutorial_training("circles", "bce", epochs=1), mode="plane", directions="pca", grid=3)


def test_save_and_load_npz(tmp_path, plane):
    path = plane.save_npz(tmp_path / "p.npz")
    back = L.Landscape.load_npz(path)
    assert (back.mode, back.directions, back.data, back.seed, back.metric) == (plane.mode, plane.directions, "circles", 3, "accuracy")
    assert back.losses == plane.losses
    np.testing.assert_array_equal(back.y, plane.y)
    for name, s in plane.slices.items():
        np.testing.assert_array_equal(back.grid(name), s.values["loss_train"])
        np.testing.assert_array_equal(back.slices[name].directions, s.directions)
        assert back.slices[name].trained == s.trained


@pytest.mark.parametrize("kwargs, message", [
    ({"mode": "surface"}, "mode"),
    ({"directions": "hessian"}, "directions"),
    ({"grid": 2}, "grid >= 3"),
    ({"span": 0.0}, "span > 0"),
    ({"span": float("nan")}, "span"),
    ({"seed": -1}, "seed"),
])
def test_bad_options_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        api.landscape("circles", **kwargs)


def test_bad_setups_are_refused_before_training():
    with pytest.raises(ValueError, match="exactly one"):
        api.landscape("circles", dataset="wine")
    with pytest.raises(ValueError, match="expected problem in .*Received: problem='moons'"):
        api.landscape("moons")
    with pytest.raises(ValueError, match="two classes"):
        T.tutorial_training("blobs", "hinge")
    with pytest.raises(ValueError, match="softplus or exponential"):
        T.tutorial_training("regression", "msle")


def test_api_returns_the_grids(tmp_path):
    result = api.landscape(dataset="iris", losses="cce", mode="interpolate", grid=5, epochs=2, seed=2)
    assert isinstance(result, api.LandscapeResult) and isinstance(result.landscape, L.Landscape)
    assert result.losses == ["categorical_crossentropy"]
    assert result.grid("categorical_crossentropy", "metric", "test").shape == (5,)
    assert [p.suffix for p in result.plot(tmp_path)] == [".png"]


# ---------------------------------------------------------------------- the command line
def test_cli_writes_npz_and_png(tmp_path, capsys):
    out = tmp_path / "land"
    code = main(["landscape", "--problem", "circles", "--losses", "bce,hinge", "--grid", "5", "--epochs", "2",
                 "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "circles_plane.npz" in printed and "binary_crossentropy" in printed
    names = sorted(p.name for p in out.iterdir())
    assert names == ["circles_plane.npz", "circles_plane.png", "circles_plane_surface.png"]
    back = L.Landscape.load_npz(out / "circles_plane.npz")
    assert back.grid("hinge").shape == (5, 5)
    assert (out / "circles_plane.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("argv, message", [
    (["--problem", "circles", "--dataset", "wine"], "exactly one of"),
    (["--problem", "circles", "--losses", "no_such_loss"], "unknown loss 'no_such_loss'"),
    (["--problem", "circles", "--grid", "2"], "grid >= 3"),
    (["--problem", "circles", "--mode", "surface"], "mode"),
    (["--dataset", "wine", "--losses", "hinge"], "two classes"),
])
def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys, argv, message):
    code = main(["landscape", *argv, "--out", str(tmp_path / "never")])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.startswith("losslab: error:") and err.count("\n") == 1
    assert "Traceback" not in err and not (tmp_path / "never").exists()


def test_composite_and_user_defined_losses_have_landscapes(tmp_path):
    """Issue 8: a function from a file and a composite expression work like catalog losses:
    both written to equal MSE, they give MSE's landscape."""
    path = tmp_path / "mine.py"
    path.write_text("def my_mse(y_true, y_pred):\n    return ((y_pred - y_true) ** 2).mean(dim=-1)\n")
    ref = f"{path}:my_mse"
    result = api.landscape("regression", losses=["mse", "1*mse+0*mae", ref], grid=5, epochs=3)
    mse = result.grid("mean_squared_error")
    np.testing.assert_allclose(result.grid(ref), mse, rtol=1e-4)
    np.testing.assert_allclose(result.grid("mean_squared_error+0*mean_absolute_error"), mse, rtol=1e-4)


# ---------------------------------------------------------------------- issue 12, failure 10: user files
@pytest.fixture
def diabetes_csv(tmp_path):
    from losslab.data import load_dataset

    ds = load_dataset("diabetes")
    frame = ds.X.assign(progression=ds.y)
    frame.insert(0, "rownames", np.arange(1, len(frame) + 1))  # left out, as compare leaves it out
    path = tmp_path / "diab.csv"
    frame.to_csv(path, index=False)
    return path


def test_a_file_gets_the_same_landscape_as_the_bundled_data_set(diabetes_csv):
    kw = dict(losses="mse,poisson", grid=3, epochs=2, mode="interpolate")
    from_file = api.landscape(data=str(diabetes_csv), target="progression", **kw)
    bundled = api.landscape(dataset="diabetes", **kw)
    assert from_file.data == "diab" and from_file.metric == "rmse"
    for name in bundled.losses:
        for key in L.VALUES:
            np.testing.assert_allclose(from_file.slices[name].values[key], bundled.slices[name].values[key], rtol=1e-6)


def test_rmse_is_in_the_targets_units(diabetes_csv):
    # Failure 10: the landscape reported RMSE in standardized units where compare reports the target's.
    from losslab.engine.evaluate import predict
    from losslab.experiment.prepare import prepare, scale_targets

    prepared = prepare(str(diabetes_csv), "progression")
    training = T.data_training(prepared, "mse,poisson", epochs=3)
    result = L.compute(training, mode="interpolate", grid=3)
    y = prepared.y.to_numpy()
    for i, (member, net) in enumerate(zip(training.members, training.networks)):
        enc = prepared.encode(member.loss, member.output_activation)
        _, (mean, std) = scale_targets(enc.values, member.loss.target_encoding, training.train_rows)
        weights = result.slices[member.label].weights
        out = predict(training.X, weights[None], network=net, output_activation=member.output_activation,
                      rows=training.test_rows)[0][:, 0]
        rmse = np.sqrt(np.mean((out * std + mean - y[training.test_rows]) ** 2))
        assert 30 < rmse < 150  # diabetes' target has standard deviation 77
        assert result.slices[member.label].trained["metric_test"] == pytest.approx(rmse, rel=1e-4)


def test_the_cli_takes_a_file_and_its_target(diabetes_csv, tmp_path, capsys):
    out = tmp_path / "land"
    code = main(["landscape", str(diabetes_csv), "--target", "progression", "--losses", "mse", "--grid", "3",
                 "--epochs", "2", "--exclude", "sex", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert "diab_plane.npz" in printed
    # What the data preparation decided, first, as compare prints it.
    assert printed.splitlines()[:2] == ["dropped `rownames`: row names (unique per row)", "dropped `sex`: excluded as asked"]
    assert L.Landscape.load_npz(out / "diab_plane.npz").metric == "rmse"
    assert api.landscape(data=str(diabetes_csv), target="progression", losses="mse", grid=3, epochs=1,
                         mode="interpolate").notes == ("dropped `rownames`: row names (unique per row)",)
    assert api.landscape("circles", losses="bce", grid=3, epochs=1, mode="interpolate").notes == ()
    code = main(["landscape", "--problem", "circles", "--target", "y", "--out", str(tmp_path / "never")])
    assert code == 2 and "--target with a data file" in capsys.readouterr().err
