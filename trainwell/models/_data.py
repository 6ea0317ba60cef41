"""Input checks, validation split, class weights and batch indices for fit/evaluate/predict."""
import numpy

from trainwell import backend
from trainwell._errors import bad_type, bad_value, check_number


def as_features(x, where, argument="x"):
    """`x` as a float array of floatx; refuses non-numeric data and NaN/Inf."""
    if x is None:
        raise bad_value(where, argument, "an array of samples", x)
    try:
        array = numpy.asarray(backend.to_numpy(x))
    except (TypeError, ValueError) as error:
        raise bad_type(where, argument, "an array of numbers", x) from error
    if array.dtype.kind not in "fiub" or array.ndim == 0:
        raise bad_type(where, argument, "an array of numbers with a batch axis", x)
    array = array.astype(backend.floatx(), copy=False)
    _check_finite(array, where, argument)
    return array


def as_targets(y, where, argument="y"):
    """`y` as a numeric array (integer labels stay integers); refuses NaN/Inf."""
    if y is None:
        raise bad_value(where, argument, "an array of targets", y)
    array = numpy.asarray(backend.to_numpy(y))
    if array.dtype.kind not in "fiub" or array.ndim == 0:
        raise bad_type(where, argument, "an array of numbers with a batch axis", y)
    if array.dtype.kind == "f":
        array = array.astype(backend.floatx(), copy=False)
        _check_finite(array, where, argument)
    return array


def check_lengths(where, **arrays):
    """All given arrays have the same number of samples."""
    lengths = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"{where}: the arrays must hold the same number of samples; {listed}.")


def sample_weights(where, y, sample_weight, class_weight):
    """Per-sample weights from `sample_weight` or `class_weight` (never both, as Keras)."""
    if sample_weight is not None and class_weight is not None:
        raise ValueError(f"{where}: give sample_weight or class_weight, not both.")
    if sample_weight is not None:
        weights = numpy.asarray(sample_weight, dtype=backend.floatx())
        if weights.ndim != 1:
            raise bad_value(where, "sample_weight", "a 1-D array with one weight per sample", sample_weight)
        _check_finite(weights, where, "sample_weight")
        return weights
    if class_weight is not None:
        if not isinstance(class_weight, dict):
            raise bad_type(where, "class_weight", "a dict {class index: weight}", class_weight)
        labels = numpy.argmax(y, axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else numpy.round(y).reshape(len(y))
        weights = numpy.ones(len(y), dtype=backend.floatx())
        for label, weight in class_weight.items():
            weights[labels == int(label)] = weight
        return weights
    return None


def split_validation(where, fraction, *arrays):
    """Keras's validation_split: the last `fraction` of the samples, taken before any shuffling."""
    check_number(where, "validation_split", fraction, low=0, high=1, high_open=True)
    n = len(arrays[0])
    split_at = int(n * (1 - fraction))
    if split_at == 0 or split_at == n:
        raise ValueError(f"{where}: validation_split={fraction} leaves an empty training or validation set "
                         f"with {n} samples.")
    train = tuple(None if a is None else a[:split_at] for a in arrays)
    valid = tuple(None if a is None else a[split_at:] for a in arrays)
    return train, valid


def batch_indices(n, batch_size, shuffle):
    """Index arrays (or slices) of consecutive batches; a fresh permutation each call when shuffling."""
    if shuffle:
        order = backend.to_numpy(backend.generator().permutation(n))
        return [order[start:start + batch_size] for start in range(0, n, batch_size)]
    return [slice(start, min(start + batch_size, n)) for start in range(0, n, batch_size)]


def check_batch_size(where, batch_size):
    if batch_size is None:
        return 32
    return check_number(where, "batch_size", batch_size, low=1, integer=True)


def _check_finite(array, where, argument):
    if array.dtype.kind == "f" and not numpy.isfinite(array).all():
        bad = int(numpy.size(array) - numpy.count_nonzero(numpy.isfinite(array)))
        raise ValueError(f"{where}: {argument} contains {bad} NaN or infinite value(s); clean or impute them first.")
