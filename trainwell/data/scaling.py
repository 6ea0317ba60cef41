"""Input scaling fitted on training data only: min-max to a range ([0, 1], [-1, 1]) and standardization."""
import dataclasses
import numbers

import numpy

from trainwell import backend
from trainwell._errors import bad_type, bad_value
from trainwell.data.batching import RowSource, is_streamed


class _Scaler:
    """Shared fit/transform machinery: every scaler computes x' = (x − center)·factor + low per column.

    A "column" is one index of the kept `axis` (the last axis by default, the columns of a table);
    statistics are taken over every other axis, the samples (axis 0) included. Subclasses name
    the statistics they keep (`_statistics`: config name -> ColumnStatistics field) and give
    (center, factor, low) in `_affine`.
    """

    _statistics = {}

    def __init__(self, axis=-1):
        self.axis = _check_axis(type(self).__name__, axis)
        self.n_samples_seen_ = None
        self._state = None

    def fit(self, x):
        """Compute the column statistics of `x` (the training data only); returns the scaler."""
        where = f"{type(self).__name__}.fit"
        statistics = column_statistics(x, self.axis, where)
        constant = numpy.flatnonzero(backend.to_numpy(statistics.maximum == statistics.minimum).reshape(-1))
        if constant.size:
            column = _column_name(int(constant[0]), statistics.mean.shape)
            value = float(backend.to_numpy(statistics.minimum).reshape(-1)[constant[0]])
            raise bad_value(where, "x", "an array whose every column takes at least two values", x,
                            f"Column {column} is constant (every value is {value:g}): its range and variance "
                            "are zero, so it cannot be scaled. Drop it before scaling.")
        self._state = {name: getattr(statistics, field) for name, field in self._statistics.items()}
        self.n_samples_seen_ = statistics.samples
        return self

    def transform(self, x):
        """The scaled copy of `x` as a NumPy array (float dtype of `x`, or floatx for integers)."""
        array = self._prepare(x, f"{type(self).__name__}.transform")
        center, factor, low = self._affine()
        return backend.to_numpy((array - self._shaped(center, array)) * self._shaped(factor, array) + low)

    def fit_transform(self, x):
        """fit(x) then transform(x)."""
        return self.fit(x).transform(x)

    def inverse_transform(self, x):
        """Undo `transform`: x = (x' − low)/factor + center."""
        array = self._prepare(x, f"{type(self).__name__}.inverse_transform")
        center, factor, low = self._affine()
        return backend.to_numpy((array - low) / self._shaped(factor, array) + self._shaped(center, array))

    def get_config(self):
        """Constructor arguments plus the fitted statistics (as lists), for from_config."""
        config = {"axis": list(self.axis) if isinstance(self.axis, tuple) else self.axis}
        if self._state is not None:
            config["n_samples_seen"] = self.n_samples_seen_
            config.update({name: backend.to_numpy(value).tolist() for name, value in self._state.items()})
        return config

    @classmethod
    def from_config(cls, config):
        """A scaler rebuilt from `get_config`, fitted again if the config holds statistics."""
        config = dict(config)
        seen = config.pop("n_samples_seen", None)
        state = {name: config.pop(name) for name in cls._statistics if name in config}
        scaler = cls(**config)
        if seen is not None:
            scaler._state = {name: backend.cast(value, "float64") for name, value in state.items()}
            scaler.n_samples_seen_ = seen
        return scaler

    def _fitted(self, name):
        """A fitted statistic as a NumPy array (None before fit)."""
        return None if self._state is None else backend.to_numpy(self._state[name])

    def _prepare(self, x, where):
        if self._state is None:
            raise RuntimeError(f"{where}: the scaler is not fitted yet; call fit(x_train) first.")
        array = numpy.asarray(RowSource(x)) if is_streamed(x) else backend.to_numpy(x)
        if array.dtype.kind not in "fiub" or array.ndim == 0:
            raise bad_type(where, "x", "an array of numbers", x)
        keep = kept_axes(self.axis, array.ndim, where)
        fitted_shape = tuple(next(iter(self._state.values())).shape)
        if tuple(array.shape[d] for d in keep) != fitted_shape:
            raise bad_value(where, "x", f"an array with columns of shape {fitted_shape} on axis {self.axis}, "
                            "as in fit", x)
        array = backend.cast(array, array.dtype if array.dtype.kind == "f" else backend.floatx())
        if not bool(backend.xp.isfinite(array).all()):
            column_statistics(array, self.axis, where)  # raises, naming the first bad column and sample
        return array

    def _shaped(self, value, array):
        """A column statistic shaped to broadcast against `array` and in its dtype."""
        keep = kept_axes(self.axis, array.ndim, "scaler")
        shape = [array.shape[d] if d in keep else 1 for d in range(array.ndim)]
        return value.reshape(shape).astype(array.dtype)


class MinMaxScaler(_Scaler):
    """Min-max scaling of each column to `feature_range` = (low, high), fitted on the training data.

        x' = (x − min)/(max − min)·(high − low) + low,    inverse: x = (x' − low)·(max − min)/(high − low) + min

    with min and max per column over the training samples. The default range (0, 1) gives
    (x − min)/(max − min); feature_range=(-1, 1) gives the lecture's 2(x − min)/(max − min) − 1.
    Values outside the training range map outside (low, high); nothing is clipped.
    Arguments: feature_range=(0.0, 1.0); axis=-1 (the axis whose every index is a column: the
    features of a table; an int, a tuple, or None for one min and max over all values).
    Fitted attributes: data_min_, data_max_ (NumPy arrays, one value per column), n_samples_seen_.
    Refuses NaN/Inf and constant columns (max = min), naming the column.
    Like scikit-learn's MinMaxScaler (which silently leaves constant columns unscaled).

    Example:
        scaler = MinMaxScaler(feature_range=(-1, 1)).fit(x_train)
        x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    """

    _statistics = {"data_min": "minimum", "data_max": "maximum"}
    data_min_ = property(lambda self: self._fitted("data_min"))
    data_max_ = property(lambda self: self._fitted("data_max"))

    def __init__(self, feature_range=(0.0, 1.0), axis=-1):
        super().__init__(axis)
        if (not isinstance(feature_range, (tuple, list)) or len(feature_range) != 2
                or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) and numpy.isfinite(v)
                           for v in feature_range) or not feature_range[0] < feature_range[1]):
            raise bad_value("MinMaxScaler", "feature_range", "a pair (low, high) of finite numbers with low < high",
                            feature_range)
        self.feature_range = (float(feature_range[0]), float(feature_range[1]))

    def _affine(self):
        low, high = self.feature_range
        minimum, maximum = self._state["data_min"], self._state["data_max"]
        return minimum, (high - low) / (maximum - minimum), low

    def get_config(self):
        return {"feature_range": list(self.feature_range), **super().get_config()}


class StandardScaler(_Scaler):
    """Standardization of each column to mean 0 and standard deviation 1, fitted on the training data.

        x' = (x − μ)/σ,    inverse: x = x'·σ + μ

    with μ the column mean and σ = √(mean((x − μ)²)) the *population* standard deviation (divided
    by n, ddof=0) over the training samples, as scikit-learn's StandardScaler and Keras's
    Normalization layer use. (pandas' `.std()` divides by n − 1.) Statistics are accumulated in
    float64, chunk by chunk, so fitting on a memmap reads it once with bounded memory.
    Arguments: axis=-1 (as MinMaxScaler). Fitted attributes: mean_, var_ (σ²), scale_ (σ),
    n_samples_seen_. Refuses NaN/Inf and zero-variance (constant) columns, naming the column.

    Example:
        scaler = StandardScaler()
        x_train = scaler.fit_transform(x_train)
        x_test = scaler.transform(x_test)  # test data scaled with the training statistics
    """

    _statistics = {"mean": "mean", "variance": "variance"}
    mean_ = property(lambda self: self._fitted("mean"))
    var_ = property(lambda self: self._fitted("variance"))
    scale_ = property(lambda self: None if self._state is None else numpy.sqrt(self.var_))

    def _affine(self):
        return self._state["mean"], 1.0 / backend.xp.sqrt(self._state["variance"]), 0.0


@dataclasses.dataclass
class ColumnStatistics:
    """Samples seen, the shape of one sample, values per column, and per-column mean, population
    variance, minimum and maximum (backend float64 arrays of the kept axes' shape)."""

    samples: int
    sample_shape: tuple
    count: int
    mean: object
    variance: object
    minimum: object
    maximum: object


def column_statistics(data, axis=-1, where="column_statistics", argument="x"):
    """Statistics of each index of the kept `axis` over all other axes, in one chunked pass.

    `data` is an array (in memory, a memmap or an h5py Dataset, read 4 MB at a time) or an
    iterable of batches. Chunks are merged with the pairwise update of Chan, Golub and LeVeque:
    n = n_a + n_b, δ = μ_b − μ_a, μ = μ_a + δ·n_b/n, M2 = M2_a + M2_b + δ²·n_a·n_b/n, σ² = M2/n.
    Refuses NaN/Inf, naming the column and the sample.
    """
    xp = backend.xp
    total = None
    samples, keep, kept_shape, sample_shape = 0, None, None, None
    for batch in _batches(data, where, argument):
        if batch.dtype.kind not in "fiub" or batch.ndim == 0:
            raise bad_type(where, argument, "numbers with a batch axis", data)
        if keep is None:
            keep = kept_axes(axis, batch.ndim, where)
            kept_shape, sample_shape = tuple(batch.shape[d] for d in keep), tuple(batch.shape[1:])
        elif batch.ndim != len(sample_shape) + 1 or tuple(batch.shape[d] for d in keep) != kept_shape:
            raise bad_value(where, argument, f"batches of {len(sample_shape) + 1}-D arrays whose kept axes have "
                            f"shape {kept_shape}", batch)
        if len(batch) == 0:
            continue
        columns = _columns(backend.cast(batch, "float64"), keep)
        finite = xp.isfinite(columns)
        if not bool(finite.all()):
            row, column = (int(i[0]) for i in xp.nonzero(~finite))
            sample = samples + row // (columns.shape[0] // max(len(batch), 1))
            raise bad_value(where, argument, "free of NaN and infinite values", data,
                            f"Column {_column_name(column, kept_shape)} holds one in sample {sample}; "
                            "impute or drop it first.")
        mean = columns.mean(axis=0)
        m2 = ((columns - mean) ** 2).sum(axis=0)
        part = (columns.shape[0], mean, m2, columns.min(axis=0), columns.max(axis=0))
        total = part if total is None else _merge(total, part)
        samples += len(batch)
    if total is None or total[0] == 0:
        raise bad_value(where, argument, "a non-empty array of samples", data)
    n, mean, m2, low, high = total
    return ColumnStatistics(samples, sample_shape, n, mean.reshape(kept_shape), (m2 / n).reshape(kept_shape),
                            low.reshape(kept_shape), high.reshape(kept_shape))


def kept_axes(axis, ndim, where):
    """`axis` (int, tuple or None) as sorted non-negative axes of an ndim-array; the sample axis 0 is refused."""
    axes = () if axis is None else (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    if any(not -ndim <= a < ndim or a % ndim == 0 for a in axes):
        raise bad_value(where, "axis", f"non-sample axes of {ndim}-D inputs (1..{ndim - 1} or negative)", axis)
    return tuple(sorted({a % ndim for a in axes}))


def _check_axis(where, axis):
    if axis is None or (isinstance(axis, numbers.Integral) and not isinstance(axis, bool)):
        return axis
    if isinstance(axis, (tuple, list)) and axis and all(
            isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axis):
        return tuple(int(a) for a in axis)
    raise bad_type(where, "axis", "an int, a tuple of ints or None", axis)


def _batches(data, where, argument):
    """Chunks of an array (RowSource reads memmaps and h5py without loading them) or the given batches."""
    if hasattr(data, "shape") and hasattr(data, "dtype"):
        source = data if isinstance(data, RowSource) else RowSource(
            data if is_streamed(data) else numpy.asarray(backend.to_numpy(data)))
        return source.chunks()
    if hasattr(data, "__next__") or (
            isinstance(data, (list, tuple)) and data and all(hasattr(b, "shape") for b in data)):
        return (numpy.asarray(backend.to_numpy(b)) for b in data)
    try:
        array = numpy.asarray(data)
    except (TypeError, ValueError) as error:
        raise bad_type(where, argument, "an array or an iterable of batches", data) from error
    if array.ndim == 0:
        raise bad_type(where, argument, "an array with a batch axis", data)
    return RowSource(array).chunks()


def _columns(batch, keep):
    """`batch` as a 2-D array: one row per combination of reduced axes, one column per kept index."""
    xp = backend.xp
    reduced = [d for d in range(batch.ndim) if d not in keep]
    moved = xp.transpose(batch, reduced + list(keep))
    return moved.reshape(-1, int(numpy.prod([batch.shape[d] for d in keep], dtype=numpy.int64)))


def _merge(a, b):
    n_a, mean_a, m2_a, low_a, high_a = a
    n_b, mean_b, m2_b, low_b, high_b = b
    n = n_a + n_b
    delta = mean_b - mean_a
    xp = backend.xp
    return (n, mean_a + delta * (n_b / n), m2_a + m2_b + delta * delta * (n_a * n_b / n),
            xp.minimum(low_a, low_b), xp.maximum(high_a, high_b))


def _column_name(flat_index, kept_shape):
    """A column's index as users write it: an int for one kept axis, a tuple for several."""
    if len(kept_shape) == 1:
        return str(flat_index)
    if not kept_shape:
        return "(all values)"
    return str(tuple(int(i) for i in numpy.unravel_index(flat_index, kept_shape)))
