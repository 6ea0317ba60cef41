"""Input checks, validation split, class weights and batch indices for fit/evaluate/predict."""
import numpy

from trainwell import backend
from trainwell._errors import bad_type, bad_value, check_number
from trainwell.data.batching import RowSource, is_streamed


def as_features(x, where, argument="x"):
    """`x` as samples to gather batches from; refuses non-numeric data and NaN/Inf.

    An in-memory array already of dtype floatx comes back as it is (no copy). Anything else (a
    NumPy memmap, an h5py Dataset, or an in-memory array of another dtype, such as uint8 images
    or float64 tables) comes back as a RowSource: the training loop gathers rows per batch and
    casts each batch to floatx, so a 2 GB memmap is never read, converted or copied whole and
    memory stays bounded by the batch. The NaN/Inf check scans the rows 4 MB at a time.
    """
    if x is None:
        raise bad_value(where, argument, "an array of samples", x)
    if isinstance(x, RowSource) or is_streamed(x):
        source = x if isinstance(x, RowSource) else RowSource(x)
    else:
        try:
            source = numpy.asarray(backend.to_numpy(x))
        except (TypeError, ValueError) as error:
            raise bad_type(where, argument, "an array of numbers", x) from error
    if source.dtype.kind not in "fiub" or source.ndim == 0:
        raise bad_type(where, argument, "an array of numbers with a batch axis", x)
    if isinstance(source, numpy.ndarray) and source.dtype != numpy.dtype(backend.floatx()):
        source = RowSource(source)
    _check_finite(source, where, argument)
    return source


def as_targets(y, where, argument="y"):
    """`y` as an in-memory numeric array (integer labels stay integers); refuses NaN/Inf.

    Targets are small next to the features, so a memmap or h5py `y` is read whole (by RowSource,
    not through the mapping).
    """
    if y is None:
        raise bad_value(where, argument, "an array of targets", y)
    array = numpy.asarray(RowSource(y)) if is_streamed(y) else numpy.asarray(backend.to_numpy(y))
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
    train = tuple(_rows(a, 0, split_at) for a in arrays)
    valid = tuple(_rows(a, split_at, n) for a in arrays)
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


def _rows(array, start, stop):
    """Rows start..stop-1 without reading them: a slice view, or a RowSource subset."""
    if array is None:
        return None
    return array.subset(start, stop) if isinstance(array, RowSource) else array[start:stop]


def _check_finite(array, where, argument):
    """Refuse NaN/Inf, scanning 4 MB chunks of rows so that no full-size boolean array is ever made."""
    if array.dtype.kind != "f":
        return
    bad, first_bad, seen = 0, None, 0
    for chunk in (array if isinstance(array, RowSource) else RowSource(array)).chunks():
        finite = numpy.isfinite(chunk)
        if not finite.all():
            rows = numpy.flatnonzero(~finite.reshape(len(chunk), -1).all(axis=1))
            first_bad = seen + int(rows[0]) if first_bad is None else first_bad
            bad += int(finite.size - numpy.count_nonzero(finite))
        seen += len(chunk)
    if bad:
        raise bad_value(where, argument, "free of NaN and infinite values", array,
                        f"It holds {bad} of them, the first in sample {first_bad}; clean or impute them first.")
