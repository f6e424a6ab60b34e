"""Custom, composite and swept losses as compare candidates (issue 8)."""

import numpy as np
import pytest

import losslab
from losslab.experiment.spec import Candidate

TINY = dict(repeats=2, epochs=4, hidden=(6,), batch_size=16)


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    return X, X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=120)


def _mse_file(path, body="((y_pred - y_true) ** 2).mean(dim=-1)"):
    path.write_text(f"def my_mse(y_true, y_pred):\n    return {body}\n")
    return f"{path}:my_mse"


def test_a_custom_mse_and_the_composite_1_mse_0_mae_give_the_numbers_of_mse(regression, tmp_path):
    X, y = regression
    ref = _mse_file(tmp_path / "mine.py")
    study = losslab.compare(X, y, losses=["mse", ref, "1*mse+0*mae"], out=tmp_path / "s", **TINY)
    t = study.trials().pivot_table(index=["repeat", "fold"], columns="loss", values="rmse")
    np.testing.assert_allclose(t[ref], t["mean_squared_error"], rtol=1e-6)
    np.testing.assert_allclose(t["mean_squared_error+0*mean_absolute_error"], t["mean_squared_error"], rtol=1e-6)
    assert study.spec.candidates[1].origin.startswith(ref.split(":")[0])


def test_a_changed_function_cannot_resume_the_study_of_the_old_one(regression, tmp_path):
    X, y = regression
    path = tmp_path / "mine.py"
    ref = _mse_file(path)
    losslab.compare(X, y, losses=["mse", ref], out=tmp_path / "s", **TINY)
    _mse_file(path, "((y_pred - y_true) ** 2).mean(dim=-1) * 2.0")
    with pytest.raises(ValueError, match="holds a different study"):
        losslab.compare(X, y, losses=["mse", ref], out=tmp_path / "s", **TINY)


def test_sweep_gives_one_candidate_per_weight(regression, tmp_path):
    X, y = regression
    study = losslab.compare(X, y, losses="mse,mse+w*mae", sweep="w=0,0.5", out=tmp_path / "s", **TINY)
    labels = [c.label for c in study.spec.candidates]
    assert labels[0] == "mean_squared_error"
    assert len(labels) == 3 and any("0.5" in x for x in labels[1:])
    assert set(study.trials().loss) == set(labels)


def test_sweep_needs_the_symbol_in_a_loss(regression):
    X, y = regression
    with pytest.raises(ValueError, match="no loss in --losses uses the symbol 'w'"):
        losslab.compare(X, y, losses="mse,mae", sweep="w=0,1", **TINY)
    with pytest.raises(ValueError, match="--sweep as symbol=values"):
        losslab.compare(X, y, losses="mse+w*mae", sweep="w", **TINY)


def test_a_python_function_is_a_candidate(regression, tmp_path):
    X, y = regression

    def half_mse(y_true, y_pred):
        return 0.5 * ((y_pred - y_true) ** 2).mean(dim=-1)

    study = losslab.compare(X, y, losses=["mse", half_mse], out=tmp_path / "s", **TINY)
    assert [c.label for c in study.spec.candidates] == ["mean_squared_error", "half_mse"]
    assert Candidate.parse(half_mse).origin


def test_the_default_batch_shrinks_to_a_tiny_training_fold(tmp_path):
    study = losslab.compare(dataset="linnerud", losses=["mse"], repeats=2, epochs=2, hidden=(4,), protocol="fixed",
                            out=tmp_path / "s")
    assert study.spec.model.batch_size == 15  # 20 rows, a quarter held out
    tuned = losslab.compare(dataset="linnerud", losses=["mse"], repeats=2, epochs=2, hidden=(4,), out=tmp_path / "u")
    assert tuned.spec.model.batch_size == 12  # and a fifth of the 15 validates
    with pytest.raises(ValueError, match="--batch-size"):
        losslab.compare(dataset="linnerud", losses=["mse"], repeats=2, epochs=2, batch_size=32, out=tmp_path / "t")


def test_multi_output_regression_reports_every_metric_per_target_column(tmp_path):
    study = losslab.compare(dataset="linnerud", losses=["mse", "mae"], repeats=2, epochs=3, hidden=(4,), out=tmp_path / "s")
    columns = study.metric_columns
    for target in ("Weight", "Waist", "Pulse"):
        assert f"rmse[{target}]" in columns
    t = study.trials()
    # scikit-learn's multi-output RMSE is the mean of the per-column RMSEs.
    per_column = t[[f"rmse[{c}]" for c in ("Weight", "Waist", "Pulse")]].mean(axis=1)
    np.testing.assert_allclose(per_column, t["rmse"], rtol=1e-9)
    assert "rmse[Pulse]_mean" in study.summary().columns
