"""The bundled tables (digits, wine, breast_cancer, diabetes, iris) with the Keras call shape."""
import sys

import numpy as np
import pytest
import sklearn.datasets

from trainwell import datasets


def as_row_set(x):
    return sorted(map(tuple, np.asarray(x).reshape(len(x), -1).tolist()))


@pytest.mark.parametrize("name, loader, test_rows", [
    # stratified: wine 59/71/48 per class -> round(11.8) + round(14.2) + round(9.6) = 12 + 14 + 10 = 36
    ("wine", sklearn.datasets.load_wine, 36),
    # breast cancer 212/357 -> round(42.4) + round(71.4) = 42 + 71 = 113
    ("breast_cancer", sklearn.datasets.load_breast_cancer, 113),
    # iris 50/50/50 -> 3 * 10 = 30
    ("iris", sklearn.datasets.load_iris, 30),
    # diabetes is regression, not stratified: round(0.2 * 442) = round(88.4) = 88
    ("diabetes", sklearn.datasets.load_diabetes, 88),
])
def test_split_holds_every_sklearn_row_once_with_the_stated_test_size(name, loader, test_rows):
    (x_train, y_train), (x_test, y_test) = getattr(datasets, name).load_data()
    bunch = loader()
    assert len(x_test) == len(y_test) == test_rows and len(x_train) + test_rows == len(bunch.data)
    assert as_row_set(np.concatenate([x_train, x_test])) == as_row_set(bunch.data)
    pairs = sorted(zip(map(tuple, np.concatenate([x_train, x_test]).tolist()), np.concatenate([y_train, y_test])))
    assert pairs == sorted(zip(map(tuple, bunch.data.tolist()), bunch.target))
    if name != "diabetes":
        assert y_train.dtype == np.int64


def test_classification_sets_are_stratified_and_the_seed_repeats_the_split():
    (_, y_train), (_, y_test) = datasets.wine.load_data()
    assert np.bincount(y_test).tolist() == [12, 14, 10] and np.bincount(y_train).tolist() == [47, 57, 38]
    (x_a, _), _ = datasets.wine.load_data(seed=5)
    (x_b, _), _ = datasets.wine.load_data(seed=5)
    (x_c, _), _ = datasets.wine.load_data(seed=6)
    np.testing.assert_array_equal(x_a, x_b)
    assert not np.array_equal(x_a, x_c)


def test_digits_come_from_the_bundled_copy_without_scikit_learn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    (x_train, y_train), (x_test, _) = datasets.digits.load_data()
    assert x_train.shape[1:] == (8, 8) and len(x_train) + len(x_test) == 1797 and x_train.max() == 16
    with pytest.raises(ImportError, match=r"datasets.wine reads its data from scikit-learn.*trainwell\[data\]"):
        datasets.wine.load_data()


@pytest.mark.parametrize("arguments, error, message", [
    ({"test_size": 1}, ValueError, r"wine.load_data: test_size must be a number in \(0, 1\)"),
    ({"seed": -1}, ValueError, "seed must be an integer >= 0"),
    ({"stratify": "yes"}, TypeError, "stratify must be True, False or None"),
])
def test_bad_arguments_are_refused_with_clear_errors(arguments, error, message):
    with pytest.raises(error, match=message):
        datasets.wine.load_data(**arguments)
