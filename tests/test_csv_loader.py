"""load_csv on small Titanic-like tables the test writes: one-hot, filled gaps, the report, errors naming cells."""
import numpy as np
import pytest

from trainwell import backend
from trainwell.data import load_csv

TRAIN = """PassengerId,Survived,Pclass,Name,Sex,Age,Fare,Embarked
1,0,3,"Braund, Mr. Owen",male,22,7.25,S
2,1,1,"Cumings, Mrs. John",female,38,71.28,C
3,1,3,"Heikkinen, Miss. Laina",female,,7.93,S
4,1,1,"Futrelle, Mrs. Jacques",female,35,53.1,
5,0,3,"Allen, Mr. William",male,35,8.05,S
"""
DROP = ["PassengerId", "Name"]


def table(tmp_path, text, name="t.csv"):
    (tmp_path / name).write_text(text)
    return tmp_path / name


def test_titanic_like_table_is_one_hot_encoded_and_gaps_are_filled(tmp_path):
    x, y, report = load_csv(table(tmp_path, TRAIN), "Survived", drop=DROP)
    assert report["features"] == ["Pclass", "Sex=female", "Sex=male", "Age", "Fare", "Embarked=C", "Embarked=S"]
    # Age present: 22, 38, 35, 35 -> sorted 22, 35, 35, 38 -> median (35 + 35) / 2 = 35
    # Embarked present: S, C, S, S -> most frequent S
    expected = np.array([[3, 0, 1, 22, 7.25, 0, 1],
                         [1, 1, 0, 38, 71.28, 1, 0],
                         [3, 1, 0, 35, 7.93, 0, 1],
                         [1, 1, 0, 35, 53.1, 0, 1],
                         [3, 0, 1, 35, 8.05, 0, 1]])
    np.testing.assert_allclose(x, expected, rtol=1e-6)
    assert x.dtype == backend.floatx()
    assert y.tolist() == [0, 1, 1, 1, 0] and y.dtype == np.int64
    age = next(column for column in report["columns"] if column["name"] == "Age")
    assert age == {"name": "Age", "kind": "numeric", "fill": 35.0, "missing": 1}
    assert report["dropped"] == DROP and report["target_kind"] == "numeric" and report["rows"] == 5


def test_report_is_a_dict_that_prints_every_choice(tmp_path):
    _, _, report = load_csv(table(tmp_path, TRAIN), "Survived", drop=DROP)
    assert isinstance(report, dict)
    text = str(report)
    assert "one-hot: Sex -> female, male" in text and "one-hot: Embarked -> C, S" in text
    assert "filled: Age: 1 missing -> median 35.0" in text
    assert "filled: Embarked: 1 missing -> most frequent 'S'" in text
    assert "dropped: PassengerId, Name" in text and "features (7):" in text


def test_reuse_encodes_a_test_file_with_the_training_choices(tmp_path):
    _, _, report = load_csv(table(tmp_path, TRAIN), "Survived", drop=DROP)
    test = table(tmp_path, "PassengerId,Pclass,Name,Sex,Age,Fare,Embarked\n"
                           "6,2,\"A\",male,,,C\n7,3,\"B\",female,4,9.5,\n", name="test.csv")
    x, y, test_report = load_csv(test, None, reuse=report)
    # Fare median of the training file: sorted 7.25, 7.93, 8.05, 53.1, 71.28 -> 8.05
    np.testing.assert_allclose(x, [[2, 0, 1, 35, 8.05, 1, 0], [3, 1, 0, 4, 9.5, 0, 1]], rtol=1e-6)
    assert y is None and test_report["features"] == report["features"]
    assert [c["missing"] for c in test_report["columns"]] == [0, 0, 1, 1, 1]
    unseen = table(tmp_path, "Pclass,Sex,Age,Fare,Embarked\n1,male,3,4,S\n1,male,3,4,Q\n", name="unseen.csv")
    with pytest.raises(ValueError, match=r"at row 3 \(line 3\), column 'Embarked': value must be one of the "
                                         r"categories it was fitted on \['C', 'S'\]; got value='Q'"):
        load_csv(unseen, None, reuse=report)


def test_text_target_becomes_sorted_class_indices(tmp_path):
    _, y, report = load_csv(table(tmp_path, TRAIN), "Sex", drop=DROP)
    assert y.tolist() == [1, 0, 0, 0, 1] and report["classes"] == ["female", "male"]
    assert "classes female, male -> 0..1" in str(report)


def test_numeric_target_with_fractions_stays_float(tmp_path):
    _, y, _ = load_csv(table(tmp_path, "a;price\n1;2.5\n2;3\n"), "price", delimiter=";")
    assert y.dtype == np.float64 and y.tolist() == [2.5, 3.0]


def test_explicit_categorical_one_hot_encodes_a_numeric_looking_column(tmp_path):
    x, _, report = load_csv(table(tmp_path, TRAIN), "Survived", drop=DROP + ["Sex", "Age", "Fare", "Embarked"],
                            categorical=["Pclass"])
    assert report["features"] == ["Pclass=1", "Pclass=3"]
    assert x.tolist() == [[0, 1], [1, 0], [0, 1], [1, 0], [0, 1]]


def test_unknown_column_names_the_header_row_and_the_column(tmp_path):
    with pytest.raises(ValueError, match=r"load_csv\(t.csv\), header \(row 1\): unknown column 'Survivd'. "
                                         r"Valid names: Age, Embarked, Fare, Name"):
        load_csv(table(tmp_path, TRAIN), "Survivd")
    with pytest.raises(ValueError, match="unknown column 'Cabin'"):
        load_csv(table(tmp_path, TRAIN), "Survived", drop=["Cabin"])


def test_non_numeric_value_in_a_numeric_column_names_the_row_and_column(tmp_path):
    broken = TRAIN.replace(",38,", ",thirty-eight,")
    with pytest.raises(ValueError, match=r"load_csv\(t.csv\) at row 3 \(line 3\), column 'Age': value must be a "
                                         r"finite number; got value='thirty-eight'"):
        load_csv(table(tmp_path, broken), "Survived", drop=DROP, numeric=["Age"])
    # without numeric=, a column mixing numbers and text is refused at its first text cell
    with pytest.raises(ValueError, match=r"at row 3 \(line 3\), column 'Age': value must be a number, like the "
                                         r"column's other values"):
        load_csv(table(tmp_path, broken), "Survived", drop=DROP)


def test_row_numbers_count_records_and_line_numbers_count_file_lines(tmp_path):
    quoted = TRAIN.replace('"Braund, Mr. Owen"', '"Braund,\nMr. Owen"').replace(",35,8.05,", ",inf,8.05,")
    with pytest.raises(ValueError, match=r"at row 6 \(line 7\), column 'Age': value must be a finite number"):
        load_csv(table(tmp_path, quoted), "Survived", drop=DROP, numeric=["Age"])


def test_text_column_with_many_values_must_be_dropped_or_named(tmp_path):
    with pytest.raises(ValueError, match=r"column 'Name': number of distinct values must be at most "
                                         r"max_categories=3; got number of distinct values=5.*drop=\['Name'\]"):
        load_csv(table(tmp_path, TRAIN), "Survived", drop=["PassengerId"], max_categories=3)
    _, _, report = load_csv(table(tmp_path, TRAIN), "Survived", drop=["PassengerId"], categorical=["Name"],
                            max_categories=3)
    assert len(report["features"]) == 12  # Pclass 1 + names 5 + sexes 2 + Age 1 + Fare 1 + ports C, S 2 = 12


def test_missing_target_and_ragged_rows_are_refused_naming_the_row(tmp_path):
    with pytest.raises(ValueError, match=r"at row 5 \(line 5\), column 'Embarked': target value must be present"):
        load_csv(table(tmp_path, TRAIN), "Embarked", drop=DROP)
    ragged = TRAIN.replace("5,0,3,", "5,0,")
    with pytest.raises(ValueError, match=r"at row 6 \(line 6\): number of fields must be 8"):
        load_csv(table(tmp_path, ragged), "Survived")
    with pytest.raises(ValueError, match=r"column 'Age': number of present values must be at least 1"):
        load_csv(table(tmp_path, "Age,y\n,1\nNA,0\n"), "y")


@pytest.mark.parametrize("arguments, error, message", [
    ({"path": 3}, TypeError, "load_csv: path must be a file path"),
    ({"target": 5}, TypeError, "target must be a column name"),
    ({"delimiter": ",,"}, ValueError, "delimiter must be a single character"),
    ({"numeric": ["Age"], "categorical": ["Age"]}, ValueError, "numeric must be free of the columns listed"),
    ({"drop": ["Survived"]}, ValueError, "drop must be a list without the target 'Survived'"),
    ({"drop": [3]}, TypeError, "drop must be a column name or a list of column names"),
    ({"max_categories": 0}, ValueError, "max_categories must be an integer >= 1"),
    ({"reuse": {"a": 1}}, TypeError, "reuse must be the report returned by an earlier load_csv call"),
    ({"missing_values": "NA"}, TypeError, "missing_values must be a list of strings"),
    ({"missing_values": 5}, TypeError, "missing_values must be a list of strings"),
])
def test_bad_arguments_are_refused_with_clear_errors(tmp_path, arguments, error, message):
    call = {"path": table(tmp_path, TRAIN), "target": "Survived", **arguments}
    with pytest.raises(error, match=message):
        load_csv(**call)


def test_reuse_refuses_column_lists_and_empty_files_are_refused(tmp_path):
    _, _, report = load_csv(table(tmp_path, TRAIN), "Survived", drop=DROP)
    with pytest.raises(ValueError, match="left out when reuse= is given"):
        load_csv(table(tmp_path, TRAIN), None, drop=["Name"], reuse=report)
    with pytest.raises(ValueError, match="target must be None or the reused report's target 'Survived'"):
        load_csv(table(tmp_path, TRAIN), "Sex", reuse=report)
    with pytest.raises(ValueError, match="a CSV file with a header row"):
        load_csv(table(tmp_path, "", name="empty.csv"), "y")
    with pytest.raises(ValueError, match="at least one data row"):
        load_csv(table(tmp_path, "a,y\n\n", name="header_only.csv"), "y")
