"""Several data sets, one question: is a loss better in general, not just on one data set?

A suite is one study per data set (each in its own folder, with its own store, so each
resumes on its own), the same candidates and metric everywhere, and the statistics
across data sets (Demšar's procedure and the Bayesian signed-rank test) on each
loss's mean held-out metric per data set. ``suite.json`` in the suite's folder lists
the data sets so ``losslab report FOLDER`` can redraw it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..metrics import get_metric
from ..stats.across import AcrossComparison, compare_across
from .files import atomic_write_text
from .results import Study

MANIFEST = "suite.json"


@dataclasses.dataclass
class Suite:
    """The studies of a suite, by data set name, and their comparison across data sets."""

    folder: Path
    studies: dict[str, Study]
    _across: AcrossComparison | None = dataclasses.field(default=None, repr=False)

    @classmethod
    def load(cls, folder: str | Path) -> Suite:
        folder = Path(folder)
        manifest = json.loads((folder / MANIFEST).read_text())
        return cls(folder, {name: Study.load(folder / sub) for name, sub in manifest["datasets"].items()})

    @staticmethod
    def is_suite(folder: str | Path) -> bool:
        return (Path(folder) / MANIFEST).exists()

    @staticmethod
    def check_manifest(folder: Path, subfolders: dict[str, str]) -> None:
        """Refuse a folder that holds a suite of other data sets (or a single study)."""
        path = folder / MANIFEST
        if path.exists():
            old = json.loads(path.read_text())["datasets"]
            if old != subfolders:
                raise ValueError(f"{path} lists other data sets ({', '.join(old)}). Nothing was changed: use another folder (out=...).")
        elif (folder / "study.sqlite").exists():
            raise ValueError(f"{folder} holds a single-data-set study. Nothing was changed: use another folder for the suite (out=...).")

    @staticmethod
    def write_manifest(folder: Path, subfolders: dict[str, str]) -> None:
        Suite.check_manifest(folder, subfolders)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / MANIFEST
        if not path.exists():
            atomic_write_text(path, json.dumps({"datasets": subfolders}, indent=1))

    @property
    def metric(self) -> str:
        return next(iter(self.studies.values())).spec.metric

    @property
    def losses(self) -> list[str]:
        return [c.label for c in next(iter(self.studies.values())).spec.candidates]

    def means(self):
        """Mean held-out metric per data set (rows) and loss (columns), over each study's trials."""
        import pandas as pd

        rows = {name: s.summary()[f"{self.metric}_mean"] for name, s in self.studies.items()}
        return pd.DataFrame(rows).T[self.losses]

    def across(self) -> AcrossComparison:
        """Demšar's procedure over the data sets, with the Bayesian signed-rank test beside it."""
        if self._across is None:
            means = self.means()
            if means.isna().any().any():
                bad = [f"{d}/{loss}" for d, row in means.iterrows() for loss, v in row.items() if v != v]
                raise ValueError(f"no mean {self.metric} for {', '.join(bad)} (every trial diverged or the study is unfinished).")
            long = means.reset_index(names="dataset").melt(id_vars="dataset", var_name="loss", value_name="value")
            self._across = compare_across(long, higher_is_better=get_metric(self.metric).higher_is_better, metric=self.metric)
        return self._across

    def verdict(self) -> str:
        return self.across().verdict()

    def verdicts(self) -> dict[str, str]:
        """Each data set's own verdict."""
        return {name: s.verdict() for name, s in self.studies.items()}

    def info(self) -> dict[str, Any]:
        return {name: s.info.get("problem", "") for name, s in self.studies.items()}


# ---------------------------------------------------------------------- running one
def _recommendation(source: str, target: Any, kind: str | None, dropna: bool):
    """The advisor's recommendation for one data set's target."""
    from ..advisor import recommend
    from .sources import DATASET_PREFIX, prepare_source

    prepared = prepare_source(source, None if source.startswith(DATASET_PREFIX) else target, kind=kind, dropna=dropna,
                              features=False)
    return recommend(prepared.y, kind=prepared.kind if kind else None)


def suite_metric(sources: dict[str, str], target: Any = None, *, kind: str | None = None, dropna: bool = False) -> str:
    """One metric for every data set of a suite: the advisor's for the first data set's target."""
    return _recommendation(next(iter(sources.values())), target, kind, dropna).primary.metric


def suite_losses(sources: dict[str, str], target: Any = None, *, kind: str | None = None, dropna: bool = False) -> list[str]:
    """The losses a suite compares when none are given: the advisor's candidates that it
    recommends for every data set (the same loss with the same parameters), in the first data
    set's order. Fewer than two in common is refused with each data set's candidates and the
    union to start from (candidates weighted for one data set's classes left out of it)."""
    each = {name: _recommendation(source, target, kind, dropna).candidates for name, source in sources.items()}
    common = [c for c in next(iter(each.values())) if all(c in cs for cs in each.values())]
    if len(common) >= 2:
        return common
    union = [c for c in dict.fromkeys(c for cs in each.values() for c in cs) if "weight=" not in c]
    listed = "; ".join(f"{name}: {', '.join(cs)}" for name, cs in each.items())
    raise ValueError(f"a suite compares the same losses on every data set, and the advisor recommends "
                     f"{'only ' + common[0] if common else 'no loss'} for all of them ({listed}). Received: no losses. "
                     f"Pass losses= with at least two, e.g. losses={','.join(union)!r} (each is checked on every data "
                     "set before any trains).")


def run_suite(folder: Path, names: Sequence[str], *, check: Callable[[str], Any], run: Callable[[str], Any],
              on_dataset: Callable[[str], None] | None = None) -> Suite:
    """Every data set's study in ``folder/<name>/``: ``check(name)`` on each before anything
    trains (its error names the data set), the manifest written, then ``run(name)`` on each in
    turn (``on_dataset(name)`` first). A suite run again resumes each study where it stopped."""
    subfolders = {name: name for name in names}
    Suite.check_manifest(folder, subfolders)
    for name in names:  # every check on every data set, before anything trains
        try:
            check(name)
        except ValueError as err:
            raise ValueError(f"data set {name}: {err}") from None
    Suite.write_manifest(folder, subfolders)
    for name in names:
        if on_dataset is not None:
            on_dataset(name)
        run(name)
    return Suite.load(folder)
