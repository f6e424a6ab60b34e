"""Where a study's rows come from: arrays, a data file or a bundled data set (one of them).

The API takes a source three ways: arrays ``X`` and ``y``, ``data=`` (a file, or
``"dataset:NAME"`` for a bundled data set) and ``dataset=``. This module settles which one
was given, refuses more than one, and prepares it (:func:`~losslab.experiment.prepare.prepare`);
:func:`suite_sources` lists the data sets of a suite.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .prepare import Prepared, prepare

DATASET_PREFIX = "dataset:"


def source(data: str | Path | None) -> dict[str, str]:
    """``data=`` as the API takes it: ``{"data": path}``, ``{"dataset": NAME}`` for ``"dataset:NAME"``, or ``{}``."""
    if data is None:
        return {}
    text = str(data)
    if text.startswith(DATASET_PREFIX):
        return {"dataset": text.split(":", 1)[1]}
    return {"data": text}


def where(text: str, target: Any = None) -> dict[str, Any]:
    """A suite's source text as :func:`losslab.api.compare` takes it: a bundled data set has its
    target built in; a file is read with ``target``."""
    if text.startswith(DATASET_PREFIX):
        return {"dataset": text.split(":", 1)[1]}
    return {"data": text, "target": target}


def check_one(*, X: Any, y: Any, data: Any, dataset: str | None) -> None:
    """Refuse anything but exactly one of arrays (``X`` with ``y``), a data file and a bundled data set."""
    if dataset is not None and "," in dataset:
        raise ValueError("several data sets are a suite: use losslab.compare_suite(datasets=[...]). "
                         f"Received: dataset={dataset!r}.")
    given = sum(x is not None for x in (X, data, dataset))
    if given != 1:
        raise ValueError("expected exactly one of X (with y), data (a file) or dataset (a bundled name). Received: "
                         + ("none" if given == 0 else "more than one") + ".")
    if X is not None and y is None:
        raise ValueError("expected y beside X. Received: y=None.")


def check_targets(y: Any, data: Any, dataset: str | None) -> None:
    """Refuse targets ``y`` given together with a data file or a bundled data set."""
    if y is not None and (data is not None or dataset is not None):
        raise ValueError("expected y, data (a file) or dataset (a bundled name): one of them. Received: more than one.")


def prepare_source(data: str | Path | None = None, target: str | Sequence[str] | None = None, *, X: Any = None,
                   y: Any = None, dataset: str | None = None, kind: str | None = None, dropna: bool = False,
                   exclude: Sequence[str] | str | None = None, include: Sequence[str] | str | None = None,
                   features: bool = True) -> Prepared:
    """The source given as arrays, ``data`` (a file or ``"dataset:NAME"``) or ``dataset``, prepared
    (see :func:`losslab.experiment.prepare.prepare`)."""
    given = source(data)
    if dataset is not None:
        if given:
            raise ValueError(f"expected a data file or a data set, not both. Received: data={data!r}, dataset={dataset!r}.")
        given = {"dataset": dataset}
    if X is not None and given:
        raise ValueError("expected exactly one of X (with y), data (a file) or dataset (a bundled name). Received: more than one.")
    return prepare(**given, target=target, X=X, y=y, kind=kind, dropna=dropna, exclude=exclude, include=include,
                   features=features)


def suite_sources(datasets: str | Sequence[str] | None = None, datasets_dir: str | Path | None = None) -> dict[str, str]:
    """Data set name -> source (``dataset:NAME`` or a file path) for a suite: bundled names
    (``"iris,wine"`` or a list), or every data file of the folder ``datasets_dir``."""
    from ..data import SUPPORTED_EXTENSIONS

    if (datasets is None) == (datasets_dir is None):
        raise ValueError("expected several data sets: datasets='a,b,c' or datasets_dir=FOLDER (one of the two). "
                         f"Received: datasets={datasets!r}, datasets_dir={datasets_dir!r}.")
    if datasets is not None:
        names = [d.strip() for d in (datasets.split(",") if isinstance(datasets, str) else datasets) if d.strip()]
        sources = {n: f"{DATASET_PREFIX}{n}" for n in names}
    else:
        folder = Path(datasets_dir)
        if not folder.is_dir():
            raise ValueError(f"expected datasets_dir to be a folder. Received: datasets_dir={str(folder)!r}.")
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUPPORTED_EXTENSIONS)
        sources = {p.stem: str(p) for p in files}
        if not sources:
            raise ValueError(f"no data files in {folder}: expected {', '.join(SUPPORTED_EXTENSIONS)} files.")
    if len(sources) < 2:
        raise ValueError(f"a suite needs at least 2 data sets. Received: {', '.join(sources) or 'none'}.")
    return sources
