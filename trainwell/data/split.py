"""Splitting samples into training and test sets, optionally stratified by class."""
import numpy

from trainwell import backend
from trainwell._errors import bad_value, check_number


def train_test_split(x, y, test_size=0.2, stratify=False, seed=None):
    """Split (x, y) into ((x_train, y_train), (x_test, y_test)) after a seeded shuffle.

    test_size: fraction of samples for the test set (default 0.2). stratify=True keeps each
    class's share equal in both parts (labels are y, or argmax(y) for one-hot rows): each class
    gives round(test_size * count) samples to the test set. seed=None uses trainwell's generator.
    """
    check_number("train_test_split", "test_size", test_size, low=0, high=1, low_open=True, high_open=True)
    x, y = numpy.asarray(x), numpy.asarray(y)
    if len(x) != len(y):
        raise bad_value("train_test_split", "y", f"as many samples as x ({len(x)})", y)
    rng = numpy.random.default_rng(seed) if seed is not None else numpy.random.default_rng(
        int(backend.generator().integers(0, 2**63 - 1)))
    if stratify:
        labels = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y))
        test = []
        for label in numpy.unique(labels):
            members = rng.permutation(numpy.flatnonzero(labels == label))
            test.extend(members[:int(round(test_size * len(members)))])
        test = numpy.array(sorted(test), dtype=numpy.int64)
    else:
        test = numpy.sort(rng.permutation(len(x))[:int(round(test_size * len(x)))])
    mask = numpy.ones(len(x), dtype=bool)
    mask[test] = False
    train = rng.permutation(numpy.flatnonzero(mask))
    return (x[train], y[train]), (x[test], y[test])
