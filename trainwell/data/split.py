"""Splitting samples into training, validation and test sets, optionally stratified by class."""
import numpy

from trainwell import backend
from trainwell._errors import bad_value, check_number


def train_test_split(x, y, test_size=0.2, stratify=False, seed=None):
    """Split (x, y) into ((x_train, y_train), (x_test, y_test)) after a seeded shuffle.

    test_size: fraction of samples for the test set (default 0.2). stratify=True keeps each
    class's share equal in both parts (labels are y, or argmax(y) for one-hot rows): each class
    gives round(test_size * count) samples to the test set. seed=None uses trainwell's generator.
    The test set keeps the original order of its samples; the training set is shuffled.
    """
    train, _, test = _split("train_test_split", x, y, 0.0, test_size, stratify, seed)
    return train, test


def train_val_test_split(x, y, val_size=0.1, test_size=0.2, stratify=False, seed=None):
    """Split (x, y) into ((x_train, y_train), (x_val, y_val), (x_test, y_test)) after a seeded shuffle.

    val_size and test_size are fractions of all samples (defaults 0.1 and 0.2; their sum must be
    below 1). Without stratify, round(test_size·n) shuffled samples go to the test set and the
    next round(val_size·n) to the validation set. stratify=True does this per class (labels are y,
    or argmax(y) for one-hot rows), so every class keeps its share in all three parts. The
    validation and test sets keep the original order of their samples; the training set is
    shuffled. seed=None draws from trainwell's generator (`utils.set_random_seed`).
    With val_size=0 the draws equal train_test_split's for the same seed.
    Fit scalers and Normalization.adapt on x_train only, then apply them to the other parts.

    Example:
        (x_train, y_train), (x_val, y_val), (x_test, y_test) = train_val_test_split(
            x, y, val_size=0.1, test_size=0.2, stratify=True, seed=42)
    """
    check_number("train_val_test_split", "val_size", val_size, low=0, high=1, low_open=True, high_open=True)
    return _split("train_val_test_split", x, y, val_size, test_size, stratify, seed)


def _split(where, x, y, val_size, test_size, stratify, seed):
    check_number(where, "test_size", test_size, low=0, high=1, low_open=True, high_open=True)
    if val_size + test_size >= 1:
        raise bad_value(where, "val_size + test_size", "below 1, leaving samples to train on",
                        val_size + test_size)
    x, y = numpy.asarray(x), numpy.asarray(y)
    if len(x) != len(y):
        raise bad_value(where, "y", f"as many samples as x ({len(x)})", y)
    rng = numpy.random.default_rng(seed) if seed is not None else numpy.random.default_rng(
        int(backend.generator().integers(0, 2**63 - 1)))
    if stratify:
        labels = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y))
        test, val = [], []
        for label in numpy.unique(labels):
            members = rng.permutation(numpy.flatnonzero(labels == label))
            n_test, n_val = int(round(test_size * len(members))), int(round(val_size * len(members)))
            test.extend(members[:n_test])
            val.extend(members[n_test:n_test + n_val])
        test, val = (numpy.array(sorted(part), dtype=numpy.int64) for part in (test, val))
    else:
        order = rng.permutation(len(x))
        n_test, n_val = int(round(test_size * len(x))), int(round(val_size * len(x)))
        test, val = numpy.sort(order[:n_test]), numpy.sort(order[n_test:n_test + n_val])
    mask = numpy.ones(len(x), dtype=bool)
    mask[test] = False
    mask[val] = False
    train = rng.permutation(numpy.flatnonzero(mask))
    if len(train) == 0:
        raise bad_value(where, "val_size + test_size", f"small enough to leave training samples out of {len(x)}",
                        val_size + test_size)
    for argument, size, part in (("test_size", test_size, test), ("val_size", val_size, val)):
        if size and len(part) == 0:
            raise bad_value(where, argument, f"large enough to give that set at least one of the {len(x)} samples",
                            size)
    return (x[train], y[train]), (x[val], y[val]), (x[test], y[test])
