"""Custom, composite and swept losses as compare candidates (issue 8)."""

import re
import subprocess
import sys

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
    with pytest.raises(ValueError, match=r"made with another version of the custom loss .*\(mine\.py changed\)\. Nothing was changed.*start a new study in another folder \(out=\.\.\.\)"):
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
    with pytest.raises(ValueError, match="no loss in losses uses the symbol 'w'"):
        losslab.compare(X, y, losses="mse,mae", sweep="w=0,1", **TINY)
    with pytest.raises(ValueError, match="expected sweep as symbol=values"):
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
    with pytest.raises(ValueError, match="Received: batch_size=32"):
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


# ---------------------------------------------------------------- versions of a custom loss (issue 16)
_LOSS_WITH_HELPER = '''import helpers_for_resume

CLAMP = 9.0


def clamped(y_true, y_pred):
    return helpers_for_resume.squared(y_true, y_pred).clamp(max=CLAMP).mean(dim=-1)
'''
_HELPER = "def squared(y_true, y_pred):\n    return (y_pred - y_true) ** 2\n"


@pytest.fixture
def custom_project(tmp_path, monkeypatch):
    (tmp_path / "clamped.py").write_text(_LOSS_WITH_HELPER)
    (tmp_path / "helpers_for_resume.py").write_text(_HELPER)
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    sys.modules.pop("helpers_for_resume", None)


def _compare_clamped(regression, folder):
    sys.modules.pop("helpers_for_resume", None)  # each run imports the helper afresh, as a new process does
    X, y = regression
    return losslab.compare(X, y, losses=["mse", "clamped.py:clamped"], out=folder, **TINY)


@pytest.mark.parametrize(("file", "old", "new"), [
    ("clamped.py", "CLAMP = 9.0", "CLAMP = 0.5"),  # a module-level constant the function reads
    ("helpers_for_resume.py", "** 2", "** 2 * 2.0"),  # a helper in a local module the file imports
])
def test_a_change_anywhere_in_the_users_code_refuses_to_resume(regression, custom_project, file, old, new):
    first = _compare_clamped(regression, custom_project / "s")
    assert _compare_clamped(regression, custom_project / "s").trials().equals(first.trials())  # unchanged: it resumes
    path = custom_project / file
    path.write_text(path.read_text().replace(old, new))
    with pytest.raises(ValueError, match=rf"another version of the custom loss 'clamped\.py:clamped' \({re.escape(file)} changed"):
        _compare_clamped(regression, custom_project / "s")


def test_reading_a_stored_study_never_imports_user_code(regression, tmp_path):
    X, y = regression
    marker = tmp_path / "imported.txt"
    (tmp_path / "noisy.py").write_text(
        f"open({str(marker)!r}, 'a').write('imported\\n')\n\n\n"
        "def noisy_mse(y_true, y_pred):\n    return ((y_pred - y_true) ** 2).mean(dim=-1)\n"
    )
    losslab.compare(X, y, losses=["mse", f"{tmp_path / 'noisy.py'}:noisy_mse"], out=tmp_path / "s", **TINY)
    assert marker.read_text() == "imported\n"  # compare, given the reference, runs it once: trials use that version
    marker.unlink()
    code = ("import sys, losslab; s = losslab.load_study(sys.argv[1]); s.summary(); s.report(sys.argv[2]); "
            "print(s.comparison().verdict if hasattr(s.comparison(), 'verdict') else 'ok')")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "s"), str(tmp_path / "r.html")], check=True, capture_output=True,
                   cwd=tmp_path, timeout=300)
    assert not marker.exists()
    assert (tmp_path / "r.html").exists()


def test_a_class_weighted_candidate_has_its_trials_in_the_summary(tmp_path):
    # Issue 12, failure 5: the summary row of a class-weighted candidate showed "0 trials, nan".
    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 3))
    y = np.digitize(X[:, 0] + 0.3 * rng.normal(size=150), [-0.8, 0.8])
    folder = tmp_path / "s"
    # As the advisor proposes it: a spec whose weights are a tuple (the stored study reads them back as a list).
    weighted = losslab.losses.get("sparse_cce", class_weight=(1.0, 0.5, 1.0))
    losslab.compare(X, y, losses=["sparse_cce", weighted], out=folder, **TINY)
    summary = losslab.load_study(folder).summary()
    label = "sparse_categorical_crossentropy(class_weight=[1.0, 0.5, 1.0])"
    assert list(summary.index) == ["sparse_categorical_crossentropy", label]
    assert summary.loc[label, "trials"] == 2 and np.isfinite(summary.loc[label, "accuracy_mean"])
    # Written as text, the same candidate: one label, so the same study resumes.
    again = losslab.compare(X, y, losses=["sparse_cce", "sparse_cce(class_weight=[1, 0.5, 1])"], out=folder, **TINY)
    assert again.summary().loc[label, "trials"] == 2
