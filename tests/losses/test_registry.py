import numpy as np
import pytest

from losslab import losses


@pytest.mark.parametrize("alias", ["mse", "MSE", "mean_squared_error", "MeanSquaredError", "MSELoss", "Mean squared error"])
def test_aliases_find_the_same_spec(alias):
    assert losses.get(alias).name == "mean_squared_error"


def test_unknown_name_suggests_close_ones():
    with pytest.raises(ValueError, match=r"unknown loss 'msee'.*mean_squared_error"):
        losses.get("msee")


def test_get_rejects_non_strings():
    with pytest.raises(TypeError, match="expected loss to be a name"):
        losses.get(3)


def test_unknown_parameter_names_the_loss_and_the_parameter():
    with pytest.raises(TypeError, match=r"mean_squared_error: unexpected parameter\(s\) \['delta'\]"):
        losses.get("mse", delta=1.0)


def test_reductions_agree():
    rng = np.random.default_rng(0)
    t, p = rng.normal(size=20), rng.normal(size=20)
    spec = losses.get("mse")
    per = spec.numpy(t, p, reduction="none")
    assert per.shape == (20,)
    assert spec.numpy(t, p) == pytest.approx(per.sum() / 20)
    assert spec.numpy(t, p, reduction="sum") == pytest.approx(per.sum())
    with pytest.raises(ValueError, match="reduction"):
        spec.numpy(t, p, reduction="avg")


def test_sample_weight_follows_keras_sum_over_batch_size():
    spec = losses.get("mse")
    t, p, w = np.array([0.0, 0.0]), np.array([1.0, 2.0]), np.array([1.0, 0.0])
    assert spec.numpy(t, p, sample_weight=w) == pytest.approx(0.5)
    with pytest.raises(ValueError, match=r"sample_weight of shape \(2,\)"):
        spec.numpy(t, p, sample_weight=[1.0])


def test_n_by_1_against_n_is_refused_not_broadcast():
    with pytest.raises(ValueError, match=r"y_true.shape=\(3, 1\), y_pred.shape=\(3,\).*never broadcasts"):
        losses.get("mse").numpy(np.zeros((3, 1)), np.zeros(3))


def test_catalog_has_one_row_per_loss():
    table = losses.catalog()
    assert list(table.index) == losses.names()
    assert {"problem_types", "output_activations", "target_encoding", "aliases"} <= set(table.columns)
