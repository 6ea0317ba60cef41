"""Boston house prices (Harrison & Rubinfeld, 1978; StatLib), read from a numeric .npz without pickle."""
import os

import numpy

from trainwell._errors import bad_type, bad_value, check_number
from trainwell.datasets._download import fetch
from trainwell.datasets._npz import read_npz

URLS = ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/boston_housing.npz",)

# The sha256 Keras publishes for this file (keras/src/datasets/boston_housing.py).
SHA256 = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path=None, test_split=0.2, seed=113, cache_dir=None):
    """Boston housing: 506 districts, 13 numeric attributes each, target the median home value in k$.

    Returns ((x_train, y_train), (x_test, y_test)): x float arrays of shape (n, 13), y of shape (n,).
    The samples are shuffled with NumPy's legacy `RandomState(seed).shuffle`, then the first
    int(n * (1 - test_split)) form the training set: with the defaults (test_split=0.2, seed=113,
    Keras's) that is 404 training and 102 test samples in Keras's order.

    path: a local .npz holding arrays `x` and `y`; None downloads Keras's `boston_housing.npz` once
    into `<cache>/boston_housing/` (cache: `cache_dir`, else $TRAINWELL_DATA_DIR, else
    ~/.trainwell/datasets), checked against its sha256. The file is plain numbers, so it is read with
    allow_pickle=False; a file holding object arrays is refused. Keras's `path` is a file name inside
    ~/.keras/datasets instead.

    The data has an ethical problem (attribute "B" encodes a racial proportion); it is kept for the
    textbook regression exercise. Example: `(x_train, y_train), (x_test, y_test) = load_data()`.
    """
    where = "boston_housing.load_data"
    check_number(where, "test_split", test_split, low=0, high=1, high_open=True)
    check_number(where, "seed", seed, low=0, high=2**32 - 1, integer=True)
    if path is None:
        path = fetch("boston_housing.npz", URLS, SHA256, "boston_housing", cache_dir=cache_dir, where=where)
    elif not isinstance(path, (str, os.PathLike)):
        raise bad_type(where, "path", "a file path (str or os.PathLike) or None", path)
    x, y = _read(path, where)
    indices = numpy.arange(len(x))
    numpy.random.RandomState(seed).shuffle(indices)  # Keras's generator, so the split matches Keras's
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])


def _read(path, where):
    arrays = read_npz(path, ("x", "y"), where)
    x, y = arrays["x"], arrays["y"]
    if x.dtype.kind not in "fiu" or y.dtype.kind not in "fiu" or x.ndim != 2 or y.ndim != 1 or len(x) != len(y):
        raise bad_value(where, "path", "numeric x of shape (n, features) and y of shape (n,)", os.fspath(path),
                        fix=f"It holds x {x.shape} {x.dtype} and y {y.shape} {y.dtype}.")
    return x, y
