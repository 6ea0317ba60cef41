"""Preprocessing inside the model: Normalization (statistics from `adapt`) and Rescaling (a fixed affine map)."""
import numbers

import numpy

from trainwell import backend
from trainwell._errors import bad_type, bad_value
from trainwell.data.scaling import _check_axis, column_statistics, kept_axes
from trainwell.layers.base import REGISTRY, Layer


@REGISTRY.register()
class Normalization(Layer):
    """Standardizes inputs with a mean and variance per index of `axis`, learned by `adapt()` or given.

        y = (x − mean)/max(√variance, ε)            (invert=True: y = mean + x·max(√variance, ε))

    with ε = 1e-7 (`backend.epsilon()`), Keras 3's exact form: a constant column (variance 0) maps
    to 0 instead of dividing by zero. Gradient: dx = dy/max(√variance, ε) (invert: dy·max(√variance, ε));
    the layer has no trainable weights.

    `adapt(data)` sets mean and the population variance (divided by n) of `data` per index of
    `axis`, over every other axis. `data` is an array (in memory, a NumPy memmap or an h5py Dataset,
    read 4 MB at a time) or an iterable of batches, merged exactly (Chan's pairwise update).
    Adapt on the training data only. Adapted statistics are the non-trainable weights `mean` and
    `variance` (shape: the kept axes), so get_weights/set_weights and model saving carry them.
    Given `mean` and `variance` are constants carried by the config instead (no weights), as in Keras.

    Arguments: axis=-1 (an int, a tuple of ints, or None for one scalar mean and variance; the
    sample axis 0 cannot be kept); mean=None and variance=None (numbers or arrays, both or neither,
    broadcast to the kept axes aligned from the right; variance must be >= 0); invert=False.
    Input and output shapes are equal.

    Differs from Keras: NaN/Inf in `adapt` data are refused (Keras would store NaN statistics), and
    Keras's always-zero legacy weight `count` is not kept. PyTorch has no such layer;
    torchvision's `transforms.Normalize(mean, std)` takes standard deviations and runs outside the model.

    Example:
        norm = Normalization()
        norm.adapt(x_train)
        model = Sequential([Input(shape=(8,)), norm, Dense(30, activation="relu"), Dense(1)])
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        axis = _check_axis("Normalization", axis)
        if (mean is None) != (variance is None):
            raise bad_value("Normalization", "mean and variance", "given together or not at all",
                            {"mean": mean, "variance": variance})
        if not isinstance(invert, bool):
            raise bad_type("Normalization", "invert", "True or False", invert)
        if mean is not None:
            mean, variance = (_as_statistic("Normalization", name, value)
                              for name, value in (("mean", mean), ("variance", variance)))
            kept = 0 if axis is None else 1 if isinstance(axis, int) else len(axis)
            if mean.shape != variance.shape or mean.ndim > kept:
                raise bad_value("Normalization", "mean", f"an array of the variance's shape {variance.shape} "
                                f"with at most {kept} axes (one per kept axis)", mean)
            if (variance < 0).any():
                raise bad_value("Normalization", "variance", "non-negative", variance)
        super().__init__(**kwargs)
        self.axis, self.invert = axis, invert
        self.input_mean, self.input_variance = mean, variance
        self.mean = self.variance = self._fixed = None

    def build(self, input_shape):
        keep = kept_axes(self.axis, len(input_shape), self.name)
        if any(input_shape[d] is None for d in keep):
            raise ValueError(f"{self.name}: the kept axes {keep} of the input must have known sizes; "
                             f"got inputs of shape {tuple(input_shape)}.")
        kept_shape = tuple(input_shape[d] for d in keep)
        self._broadcast_shape = tuple(input_shape[d] if d in keep else 1 for d in range(len(input_shape)))
        if self.input_mean is None:
            self.mean = self.add_weight("mean", kept_shape, "zeros", trainable=False)
            self.variance = self.add_weight("variance", kept_shape, "ones", trainable=False)
            return
        expanded = [1] * len(input_shape)  # the given values' axes sit on the last kept axes
        for position, size in zip(keep[len(keep) - self.input_mean.ndim:], self.input_mean.shape):
            expanded[position] = size
        xp, dtype = backend.xp, self.dtype or backend.floatx()
        try:
            self._fixed = tuple(xp.broadcast_to(backend.cast(value.reshape(expanded), dtype), self._broadcast_shape)
                                for value in (self.input_mean, self.input_variance))
        except ValueError:
            raise bad_value(self.name, "mean", f"broadcastable to the kept axes' shape {kept_shape}",
                            self.input_mean) from None

    def adapt(self, data):
        """Set `mean` and `variance` from `data` (the training inputs), per index of `axis`."""
        where = f"{self.name}.adapt"
        if self.input_mean is not None:
            raise ValueError(f"{where}: this layer was given mean and variance when it was made; "
                             "make it without them to adapt it.")
        statistics = column_statistics(data, self.axis, where, "data")
        self.build_for((None,) + statistics.sample_shape)
        self.mean.assign(statistics.mean)
        self.variance.assign(statistics.variance)

    def call(self, inputs):
        mean, std = self._statistics(inputs.dtype)
        if self.invert:
            return mean + inputs * std
        return (inputs - mean) / std

    def backward(self, grad):
        _, std = self._statistics(grad.dtype)
        return grad * std if self.invert else grad / std

    def _statistics(self, dtype):
        """mean and max(√variance, ε), shaped to broadcast against the inputs."""
        xp = backend.xp
        if self._fixed is not None:
            mean, variance = self._fixed
        else:
            mean = self.mean.value.reshape(self._broadcast_shape)
            variance = self.variance.value.reshape(self._broadcast_shape)
        std = xp.maximum(xp.sqrt(variance), backend.epsilon())
        return mean.astype(dtype, copy=False), std.astype(dtype, copy=False)

    def get_config(self):
        def listed(value):
            return None if value is None else value.tolist()
        return {**super().get_config(), "axis": list(self.axis) if isinstance(self.axis, tuple) else self.axis,
                "mean": listed(self.input_mean), "variance": listed(self.input_variance), "invert": self.invert}


@REGISTRY.register()
class Rescaling(Layer):
    """Multiplies inputs by `scale` and adds `offset`: y = x·scale + offset (in training and inference).

    Gradient: dx = dy·scale. `scale` and `offset` are numbers or arrays that broadcast against one
    sample from the right (per-channel values for channels-last images). Integer inputs (uint8
    images) come out as floats. No weights: the config carries both values.
    Arguments: scale (required), offset=0.0. Input and output shapes are equal.
    Common uses: scale=1/255 maps [0, 255] to [0, 1]; scale=1/127.5, offset=-1 maps it to [-1, 1].
    PyTorch has no layer for it (torchvision's `ToTensor` divides by 255 outside the model).

    Example:
        model = Sequential([Input(shape=(28, 28)), Rescaling(1 / 255), Flatten(), Dense(10, activation="softmax")])
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        self.scale = _as_statistic("Rescaling", "scale", scale)
        self.offset = _as_statistic("Rescaling", "offset", offset)
        super().__init__(**kwargs)

    def build(self, input_shape):
        for name, value in (("scale", self.scale), ("offset", self.offset)):
            sample = tuple(input_shape[1:])
            if value.ndim > len(sample) or any(s not in (1, d) and d is not None
                                               for s, d in zip(value.shape[::-1], sample[::-1])):
                raise bad_value(self.name, name, f"a number or an array that broadcasts against samples of shape "
                                f"{sample} without enlarging them", value)

    def call(self, inputs):
        return inputs * self._value(self.scale, inputs.dtype) + self._value(self.offset, inputs.dtype)

    def backward(self, grad):
        return grad * self._value(self.scale, grad.dtype)

    @staticmethod
    def _value(value, dtype):
        return backend.cast(value, dtype) if value.ndim else float(value)

    def get_config(self):
        def plain(value):
            return value.tolist()  # a Python float for a number, nested lists for an array
        return {**super().get_config(), "scale": plain(self.scale), "offset": plain(self.offset)}


def _as_statistic(where, name, value):
    """A finite number or array of numbers as a float64 NumPy array (kept on the host for the config)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, list, tuple)) and not hasattr(value, "shape"):
        raise bad_type(where, name, "a number or an array of numbers", value)
    try:
        array = numpy.asarray(backend.to_numpy(value), dtype=numpy.float64)
    except (TypeError, ValueError) as error:
        raise bad_type(where, name, "a number or an array of numbers", value) from error
    if not numpy.isfinite(array).all():
        raise bad_value(where, name, "finite", value)
    return array
