"""`losslab compare` with full defaults on every real table of the test suite, beside
scikit-learn baselines.

For each table (tests/realdata/tables.py): the advisor's kind and candidates, the wall and CPU
time of `losslab compare` with its defaults (through the command line, in this process), the
best candidate's mean held-out metric, and the best of ridge / logistic regression and
histogram gradient boosting on the same columns without IDs, row names and dates (3 hold-out
splits). A table that fails prints its one-line error instead.

    python benchmarks/real_tables.py                       # every table, full defaults
    python benchmarks/real_tables.py --only quine,default  # some tables
    python benchmarks/real_tables.py --repeats 3 --epochs 10   # the test suite's settings
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from realdata.baselines import baseline  # noqa: E402
from realdata.tables import TABLES  # noqa: E402


def _compare(table, folder: Path, extra: list[str]) -> tuple[int, str, Path, float, float]:
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
    return code, buffer.getvalue(), out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated table names")
    parser.add_argument("--repeats", type=int, help="passed to compare (default: its own)")
    parser.add_argument("--epochs", type=int, help="passed to compare (default: its own)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from losslab import api
    from losslab.advisor import recommend

    extra = [*(["--repeats", str(args.repeats)] if args.repeats else []), *(["--epochs", str(args.epochs)] if args.epochs else [])]
    names = set(args.only.split(",")) if args.only else None
    print(f"{'table':16} {'rows':>6} {'kind':11} {'cand':>4} {'wall s':>7} {'cpu s':>7} {'metric':18} {'losslab':>10} {'sklearn':>10}  best loss / error")
    with tempfile.TemporaryDirectory() as tmp:
        for table in TABLES:
            if names and table.name not in names:
                continue
            rec = recommend(table.y(), kind=table.kind_arg)
            code, output, out, wall, cpu = _compare(table, Path(tmp), extra)
            ref = baseline(table, rec.primary.metric)
            head = f"{table.name:16} {len(table.frame()):>6} {rec.problem.kind:11} {len(rec.candidates):>4} {wall:>7.1f} {cpu:>7.1f} {rec.primary.metric:18}"
            if code != 0:
                error = next((line for line in output.splitlines() if "error" in line), output.strip().splitlines()[-1:])
                print(f"{head} {'-':>10} {ref.best:>10.4g}  FAILED: {error}")
                continue
            means = api.load_study(out).summary()[f"{rec.primary.metric}_mean"].dropna()
            best_loss = means.idxmax() if ref.higher_is_better else means.idxmin()
            print(f"{head} {means[best_loss]:>10.4g} {ref.best:>10.4g}  {best_loss}", flush=True)


if __name__ == "__main__":
    main()
