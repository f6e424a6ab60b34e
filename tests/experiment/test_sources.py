"""experiment.sources: exactly one data source, settled once."""

from __future__ import annotations

import numpy as np
import pytest

from losslab.experiment import sources


def test_data_text_names_a_file_or_a_bundled_data_set():
    assert sources.source(None) == {}
    assert sources.source("dataset:iris") == {"dataset": "iris"}
    assert sources.source("houses.csv") == {"data": "houses.csv"}
    assert sources.where("dataset:wine", "y") == {"dataset": "wine"}  # its target is built in
    assert sources.where("t.csv", "y") == {"data": "t.csv", "target": "y"}


@pytest.mark.parametrize("given, message", [
    (dict(X=None, y=None, data=None, dataset=None), "exactly one of X .*Received: none"),
    (dict(X=np.zeros((2, 1)), y=[0, 1], data="t.csv", dataset=None), "exactly one of X .*Received: more than one"),
    (dict(X=np.zeros((2, 1)), y=None, data=None, dataset=None), "expected y beside X. Received: y=None"),
    (dict(X=None, y=None, data=None, dataset="iris,wine"), "suite: use losslab.compare_suite.*dataset='iris,wine'"),
])
def test_check_one_refuses_anything_but_one_source(given, message):
    with pytest.raises(ValueError, match=message):
        sources.check_one(**given)


def test_one_source_passes_and_targets_go_alone():
    sources.check_one(X=np.zeros((2, 1)), y=[0, 1], data=None, dataset=None)
    sources.check_one(X=None, y=None, data=None, dataset="iris")
    sources.check_targets([0, 1], None, None)
    with pytest.raises(ValueError, match="one of them. Received: more than one"):
        sources.check_targets([0, 1], None, "iris")


def test_prepare_source_reads_dataset_text_and_refuses_two():
    assert sources.prepare_source("dataset:iris", features=False).kind == "multiclass"
    with pytest.raises(ValueError, match="not both"):
        sources.prepare_source("dataset:iris", dataset="wine")
    with pytest.raises(ValueError, match="exactly one of X"):
        sources.prepare_source("dataset:iris", X=np.zeros((3, 1)), y=[0, 1, 0])


def test_suite_sources(tmp_path):
    assert sources.suite_sources("iris, wine") == {"iris": "dataset:iris", "wine": "dataset:wine"}
    assert sources.suite_sources(["iris", "wine"]) == {"iris": "dataset:iris", "wine": "dataset:wine"}
    for name in ("b.csv", "a.parquet", "notes.txt"):
        (tmp_path / name).write_text("")
    assert sources.suite_sources(datasets_dir=tmp_path) == {"a": str(tmp_path / "a.parquet"), "b": str(tmp_path / "b.csv")}
    with pytest.raises(ValueError, match="datasets='a,b,c' or datasets_dir=FOLDER"):
        sources.suite_sources("iris", tmp_path)
    with pytest.raises(ValueError, match="expected datasets_dir to be a folder"):
        sources.suite_sources(datasets_dir=tmp_path / "b.csv")
    with pytest.raises(ValueError, match="at least 2 data sets. Received: iris"):
        sources.suite_sources("iris")
