"""`losslab compare` with full defaults on every real table of the test suite, beside
scikit-learn baselines scored on the study's own splits.

For each table (tests/realdata/tables.py): the advisor's kind and candidates, the wall and CPU
time of `losslab compare` with its defaults (through the command line, in this process), the
best candidate's mean held-out metric, and the best of ridge / logistic regression and
histogram gradient boosting on the same columns (the study's ``columns_used``) and on the
study's own splits (the same training and held-out rows, trial by trial, read back from the
study's spec). The gap is paired: per split, losslab's best loss minus the best baseline model,
with its standard error over the splits. A table that fails prints its one-line error instead.

    python benchmarks/real_tables.py                       # every table, full defaults
    python benchmarks/real_tables.py --only quine,default  # some tables
    python benchmarks/real_tables.py --repeats 3 --epochs 10   # the test suite's settings
    python benchmarks/real_tables.py --only prestige --extra "--hidden 16"  # other compare options
    python benchmarks/real_tables.py --json rows.jsonl     # one JSON line per table as well
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shlex
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from realdata.baselines import baseline_on_splits  # noqa: E402
from realdata.tables import TABLES  # noqa: E402


def _compare(table, folder: Path, extra: list[str]) -> tuple[int, str, Path, Path, float, float]:
    from losslab.cli import main

    path = table.write(folder)
    out = folder / f"study-{table.name}"
    argv = ["compare", str(path), "--target", table.target_arg, "--out", str(out), *extra]
    if table.kind_arg:
        argv += ["--kind", table.kind_arg]
    buffer = io.StringIO()
    wall, cpu = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        code = main(argv)
    return code, buffer.getvalue(), path, out, time.perf_counter() - wall, time.process_time() - cpu


def _study_splits(table, path: Path, out: Path):
    """The study's splits, made again from its stored spec and the same prepared table."""
    from losslab import api
    from losslab.experiment import planning
    from losslab.experiment.results import Study

    study = Study.load(out)
    prepared = api.prepare_data(path, list(table.target), kind=table.kind_arg)
    plan = planning.plan(study.spec, prepared)
    return study, plan.splits, [str(c) for c in prepared.X.columns]


def paired_gap(ours: np.ndarray, base: np.ndarray, higher_is_better: bool) -> tuple[float, float]:
    """The gap (relative for RMSE-like, lower-is-better metrics; a difference otherwise) and its
    standard error over the paired splits."""
    diff = ours - base
    se = float(np.std(diff, ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else float("nan")
    if higher_is_better:
        return float(diff.mean()), se
    scale = float(base.mean())
    return float(ours.mean() / scale - 1), se / scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated table names")
    parser.add_argument("--repeats", type=int, help="passed to compare (default: its own)")
    parser.add_argument("--epochs", type=int, help="passed to compare (default: its own)")
    parser.add_argument("--extra", default="", help="more compare options, as one string")
    parser.add_argument("--json", type=Path, help="append one JSON line per table to this file")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from losslab import api
    from losslab.advisor import recommend

    extra = [*(["--repeats", str(args.repeats)] if args.repeats else []),
             *(["--epochs", str(args.epochs)] if args.epochs else []), *shlex.split(args.extra)]
    names = set(args.only.split(",")) if args.only else None
    print(f"{'table':16} {'rows':>6} {'kind':11} {'cand':>4} {'wall s':>7} {'metric':18} {'losslab':>10} "
          f"{'sklearn':>10} {'gap':>8} {'se':>7}  best loss / best baseline / error")
    with tempfile.TemporaryDirectory() as tmp:
        for table in TABLES:
            if names and table.name not in names:
                continue
            rec = recommend(table.y(), kind=table.kind_arg)
            metric = rec.primary.metric
            code, output, path, out, wall, cpu = _compare(table, Path(tmp), extra)
            head = f"{table.name:16} {len(table.frame()):>6} {rec.problem.kind:11} {len(rec.candidates):>4} {wall:>7.1f} {metric:18}"
            if code != 0:
                error = next((line for line in output.splitlines() if "error" in line), output.strip().splitlines()[-1:])
                print(f"{head} FAILED: {error}")
                continue
            study, splits, columns = _study_splits(table, path, out)
            trials = api.load_study(out).trials()
            trials = trials[trials["status"] == "ok"]
            means = trials.groupby("loss")[metric].mean()
            higher = metric in ("accuracy", "balanced_accuracy")
            best_loss = means.idxmax() if higher else means.idxmin()
            base = baseline_on_splits(table, splits, metric, columns=columns)
            base_means = {k: float(np.mean(v)) for k, v in base.items()}
            best_model = (max if higher else min)(base_means, key=base_means.get)
            ours = trials[trials["loss"] == best_loss].set_index(["repeat", "fold"])[metric]
            ours = np.array([ours.loc[(s.repeat, s.fold)] for s in splits])
            theirs = np.asarray(base[best_model])
            gap, se = paired_gap(ours, theirs, higher)
            gap_text = f"{gap:+.3f}" if higher else f"{100 * gap:+.1f}%"
            se_text = f"{se:.3f}" if higher else f"{100 * se:.1f}%"
            print(f"{head} {ours.mean():>10.4g} {theirs.mean():>10.4g} {gap_text:>8} {se_text:>7}  {best_loss} / {best_model}",
                  flush=True)
            if args.json:
                with args.json.open("a") as fh:
                    fh.write(json.dumps({"table": table.name, "rows": len(table.frame()), "kind": rec.problem.kind,
                                         "metric": metric, "extra": extra, "wall": wall, "cpu": cpu,
                                         "losslab": float(ours.mean()), "best_loss": best_loss,
                                         "baseline": float(theirs.mean()), "best_model": best_model,
                                         "baselines": base_means, "gap": gap, "se": se, "splits": len(splits),
                                         "losses": {k: float(v) for k, v in means.items()}}) + "\n")


if __name__ == "__main__":
    main()
