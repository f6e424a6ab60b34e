"""load_table on real files written to tmp_path, good ones and bad ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from losslab.data import SUPPORTED_EXTENSIONS, load_table

HOUSES = pd.DataFrame({
    "rooms": [3, 4, 2, 5, 3, 4],
    "area": [70.5, 95.0, 48.2, 130.0, 66.0, 88.8],
    "city": ["lyon", "paris", "lyon", "nice", "paris", "nice"],
    "price": [210.0, 450.0, 150.0, 520.0, 390.0, 300.0],
})


@pytest.fixture
def csv_path(tmp_path):
    path = tmp_path / "houses.csv"
    HOUSES.to_csv(path, index=False)
    return path


def test_csv(csv_path):
    ds = load_table(csv_path, "price")
    assert ds.name == "houses" and ds.source == str(csv_path) and ds.dropped_rows == 0
    assert list(ds.X.columns) == ["rooms", "area", "city"]
    pd.testing.assert_series_equal(ds.y, HOUSES["price"])
    assert ds.summary()["numeric_features"] == 2 and ds.summary()["categorical_features"] == 1
    assert ds.description == "houses.csv: 6 rows, 3 features, target price."


def test_several_target_columns(csv_path):
    ds = load_table(csv_path, ["price", "area"])
    assert isinstance(ds.y, pd.DataFrame) and ds.target_columns == ["price", "area"]
    assert list(ds.X.columns) == ["rooms", "city"]


def test_tsv_and_uppercase_extension(tmp_path):
    path = tmp_path / "houses.TSV"
    HOUSES.to_csv(path, sep="\t", index=False)
    ds = load_table(path, "price")
    pd.testing.assert_frame_equal(ds.X, HOUSES[["rooms", "area", "city"]], check_dtype=False)


@pytest.mark.parametrize("suffix", [".parquet", ".pq"])
def test_parquet(tmp_path, suffix):
    path = tmp_path / f"houses{suffix}"
    HOUSES.to_parquet(path, index=False)
    ds = load_table(path, "city")
    assert list(ds.y) == list(HOUSES["city"])
    np.testing.assert_array_equal(ds.X["area"].to_numpy(), HOUSES["area"].to_numpy())


def test_npy_target_is_a_column_index_default_last(tmp_path):
    array = np.arange(20, dtype=np.float64).reshape(5, 4)
    path = tmp_path / "data.npy"
    np.save(path, array)
    ds = load_table(path)
    assert list(ds.X.columns) == ["col0", "col1", "col2"] and ds.y.name == "col3"
    np.testing.assert_array_equal(ds.y.to_numpy(), array[:, 3])
    for target in (-1, "-1", "last", 3, "3"):
        assert load_table(path, target).y.name == "col3"
    first = load_table(path, "0")
    np.testing.assert_array_equal(first.X.to_numpy(), array[:, 1:])
    both = load_table(path, ["0", "-1"])
    assert both.target_columns == ["col0", "col3"] and list(both.X.columns) == ["col1", "col2"]


def test_npy_errors(tmp_path):
    path = tmp_path / "data.npy"
    np.save(path, np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"expected target to be a column index for a \.npy file \(0 to 2, negative from the end, or 'last'\)\. Received: target='price'"):
        load_table(path, "price")
    with pytest.raises(ValueError, match=r"expected a target column index from -3 to 2\. Received: target=3"):
        load_table(path, 3)
    with pytest.raises(ValueError, match=r"expected distinct target columns"):
        load_table(path, ["0", "-3"])
    flat = tmp_path / "flat.npy"
    np.save(flat, np.zeros(5))
    with pytest.raises(ValueError, match=r"expected the array to be a 2-D array \(rows x columns\).*Received: shape \(5,\)"):
        load_table(flat)
    objects = tmp_path / "objects.npy"
    np.save(objects, np.array([[1, "a"], [2, "b"]], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match=r"holds Python objects, which losslab does not unpickle"):
        load_table(objects)
    text = tmp_path / "text.npy"
    np.save(text, np.array([["1", "a"], ["2", "b"]]))
    with pytest.raises(ValueError, match=r"expected the array to hold numbers\. Received: dtype <U1"):
        load_table(text)


def test_npz_with_X_and_y(tmp_path):
    X, y = np.arange(12.0).reshape(4, 3), np.array([0, 1, 0, 1])
    path = tmp_path / "data.npz"
    np.savez(path, X=X, y=y)
    for target in (None, "y"):
        ds = load_table(path, target)
        np.testing.assert_array_equal(ds.X.to_numpy(), X)
        np.testing.assert_array_equal(ds.y.to_numpy(), y)
    assert list(ds.X.columns) == ["x0", "x1", "x2"] and ds.y.name == "y"
    multi = tmp_path / "multi.npz"
    np.savez(multi, X=X, y=np.column_stack([y, 2 * y]))
    assert load_table(multi).target_columns == ["y0", "y1"]


def test_npz_errors(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, X=np.zeros((4, 2)), y=np.zeros(4))
    with pytest.raises(ValueError, match=r"expected no target, or target='y', for a \.npz file.*Received: target='price'"):
        load_table(path, "price")
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, features=np.zeros((4, 2)), labels=np.zeros(4))
    with pytest.raises(ValueError, match=r"expected arrays named X and y in a \.npz file\. Received: .* with arrays \['features', 'labels'\]"):
        load_table(wrong)
    short = tmp_path / "short.npz"
    np.savez(short, X=np.zeros((4, 2)), y=np.zeros(3))
    with pytest.raises(ValueError, match=r"expected array y with one row per row of X\. Received: X.shape=\(4, 2\), y.shape=\(3,\)"):
        load_table(short)


# ---------------------------------------------------------------------------- bad paths
def test_missing_file(tmp_path):
    with pytest.raises(ValueError, match=r"expected path to be an existing file\. Received: path='.*nope\.csv' \(no such file"):
        load_table(tmp_path / "nope.csv", "price")


def test_directory(tmp_path):
    with pytest.raises(ValueError, match=r"expected path to be a file\. Received: path='.*', a directory\. Pass one of the files inside it"):
        load_table(tmp_path, "price")


def test_unsupported_extension_lists_the_supported_ones(tmp_path):
    path = tmp_path / "houses.xlsx"
    path.write_bytes(b"not really excel")
    with pytest.raises(ValueError, match=r"expected a file ending in \.csv, \.tsv, \.parquet, \.pq, \.npy, \.npz\. Received: .*\(extension '\.xlsx'\)"):
        load_table(path, "price")
    assert SUPPORTED_EXTENSIONS == (".csv", ".tsv", ".parquet", ".pq", ".npy", ".npz")
    bare = tmp_path / "houses"
    bare.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match=r"\(extension 'none'\)"):
        load_table(bare, "b")


def test_corrupt_parquet(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_text("rooms,price\n1,2\n")
    with pytest.raises(ValueError, match=r"expected a Parquet file\. Received: path='.*broken\.parquet', which Parquet cannot read"):
        load_table(path, "price")


# ---------------------------------------------------------------------------- bad contents
def test_empty_csv(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(ValueError, match=r"expected a header row and data rows\. Received: path='.*empty\.csv', an empty file"):
        load_table(path, "price")


def test_header_only_csv(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("rooms,price\n")
    with pytest.raises(ValueError, match=r"expected at least one data row\. Received: .* with columns \['rooms', 'price'\] but no rows"):
        load_table(path, "price")


def test_unknown_target_lists_the_columns_and_suggests_a_close_match(csv_path):
    with pytest.raises(ValueError, match=r"unknown target column 'prices'\. Did you mean 'price'\? Columns of '.*houses\.csv': rooms, area, city, price\."):
        load_table(csv_path, "prices")
    with pytest.raises(ValueError, match=r"unknown target column 'Price'\. Did you mean 'price'\?"):
        load_table(csv_path, "Price")
    with pytest.raises(ValueError, match=r"unknown target column 'price,area'\. For several target columns pass a list: \['price', 'area'\]"):
        load_table(csv_path, "price,area")
    with pytest.raises(ValueError, match=r"unknown target column 'zzz'\. Columns of"):
        load_table(csv_path, "zzz")


def test_target_is_required_for_tables(csv_path):
    with pytest.raises(ValueError, match=r"expected target, the name of the target column.*Received: none\. Columns of '.*': rooms, area, city, price"):
        load_table(csv_path)


def test_target_named_twice(csv_path):
    with pytest.raises(ValueError, match=r"expected distinct target columns\. Received: target=\['price', 'price'\] names \['price'\] more than once"):
        load_table(csv_path, ["price", "price"])


def test_repeated_header_name(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("price,rooms,price\n1,2,3\n4,5,6\n")
    with pytest.raises(ValueError, match=r"expected distinct column names\. Received: .* repeats \['price'\] in its header"):
        load_table(path, "price")


def test_no_feature_column_left(tmp_path):
    path = tmp_path / "only.csv"
    path.write_text("price,area\n1,2\n3,4\n")
    with pytest.raises(ValueError, match=r"expected at least one feature column besides the target\. Received: .* has only the column\(s\) \['price', 'area'\]"):
        load_table(path, ["price", "area"])


@pytest.fixture
def gappy_path(tmp_path):
    path = tmp_path / "gappy.csv"
    # Row 1 misses a feature, row 2 the target, row 4 both; rows 0 and 3 are complete.
    path.write_text("rooms,city,price\n3,lyon,210\n,paris,450\n2,lyon,\n5,nice,520\n,,300\n")
    return path


def test_missing_values_are_kept_and_counted_features_and_target_apart(gappy_path):
    # Issue 12, failure 11: missing values no longer stop anything; they are counted, and a
    # study imputes features and drops rows whose target is missing (experiment.prepare).
    ds = load_table(gappy_path, "price")
    assert len(ds.X) == 5 and ds.dropped_rows == 0
    assert int(ds.X.isna().sum().sum()) == 3 and int(ds.y.isna().sum()) == 1
    message = ds.description
    assert "\n" not in message
    assert "3 row(s) with missing values" in message
    assert "(2 with missing features, 1 with a missing target; columns 'rooms', 'city', 'price')" in message


def test_none_is_a_value_among_words_and_missing_among_numbers(tmp_path):
    # R's vcd::Arthritis: Improved is None / Some / Marked. pandas' default markers read 'None'
    # as missing, which dropped half the target and made three classes two.
    path = tmp_path / "arthritis.csv"
    path.write_text("Improved,age,dose,sex,note\nNone,27,None,Male,a\nSome,29,3.5,Female,NA\n"
                    "Marked,30,,Male,b\nNone,32,2,NULL,None\n")
    ds = load_table(path, "Improved")
    assert ds.y.tolist() == ["None", "Some", "Marked", "None"]
    assert ds.X["age"].tolist() == [27, 29, 30, 32]
    # Among numbers 'None' is missing, and the column is numeric (float64, not text).
    assert pd.api.types.is_float_dtype(ds.X["dose"]) and ds.X["dose"].isna().tolist() == [True, False, True, False]
    assert ds.X["dose"].iloc[1] == 3.5
    # The other markers stay missing in text columns; 'None' there is a word.
    assert ds.X["sex"].isna().tolist() == [False, False, False, True]
    assert ds.X["note"].tolist()[3] == "None" and ds.X["note"].isna().tolist() == [False, True, False, False]


def test_none_alone_in_a_column_is_a_value(tmp_path):
    path = tmp_path / "nones.csv"
    path.write_text("flag,y\nNone,1\nNone,2\n")
    assert load_table(path, "y").X["flag"].tolist() == ["None", "None"]


def test_dropna_drops_and_records(gappy_path):
    ds = load_table(gappy_path, "price", dropna=True)
    assert ds.dropped_rows == 2 + 1 and len(ds.X) == 2
    assert ds.y.tolist() == [210.0, 520.0] and ds.X.index.tolist() == [0, 1]
    assert "Dropped 3 row(s) with missing values" in ds.description
    assert ds.summary()["dropped_rows"] == 3


def test_dropna_refuses_to_drop_everything(tmp_path):
    path = tmp_path / "holes.csv"
    path.write_text("a,b\n1,\n,2\n")
    with pytest.raises(ValueError, match=r"every one of the 2 rows .* has a missing value, so dropna leaves nothing"):
        load_table(path, "b", dropna=True)


def test_infinite_values(tmp_path):
    path = tmp_path / "inf.csv"
    path.write_text("a,b,y\n1,inf,0\n2,3,1\n")
    with pytest.raises(ValueError, match=r"expected finite numbers\. Received: 1 infinite value\(s\) in .* \(columns 'b'\)"):
        load_table(path, "y")


def test_unparsable_csv(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3,4,5,6\n")
    with pytest.raises(ValueError, match=r"expected CSV text\. Received: .*, which does not parse"):
        load_table(path, "b")
