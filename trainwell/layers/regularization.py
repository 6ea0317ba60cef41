"""Dropout, AlphaDropout and SpatialDropout2D: random masks while training, the identity in inference."""
import numbers

from trainwell import backend
from trainwell._errors import bad_type, bad_value, check_number
from trainwell.layers._windows import check_data_format, check_images
from trainwell.layers.base import REGISTRY, Layer


@REGISTRY.register()
class Dropout(Layer):
    """Inverted dropout: while training, zeroes each value with probability `rate`, scales the rest.

        y = x·m / (1 − rate),   m ~ Bernoulli(1 − rate) drawn afresh at every call

    so E[y] = x and inference needs no rescaling: with `training` false or None the layer is the
    identity. The gradient is the same multiplier: dx = dy·m / (1 − rate).

    Arguments: rate (required, in [0, 1]; 0 is the identity, 1 gives zeros); noise_shape=None
    (the mask's shape, broadcast against the input; None entries take the input's size, so
    `(None, 1, features)` drops the same features at every timestep); seed=None (a seed for this
    layer's own generator; None draws one from the library's generator, which
    `trainwell.utils.set_random_seed` fixes). Input and output shapes are equal.

    Monte Carlo dropout keeps the masks on at prediction time by forcing `training=True`:

        class MCDropout(Dropout):
            def call(self, inputs):
                return super().call(inputs, training=True)

    PyTorch's `nn.Dropout(p=0.5)` scales the same way; Keras and trainwell have no default rate.
    Example: `Sequential([Input(shape=(784,)), Dense(300, activation="relu"), Dropout(0.2), Dense(10)])`.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        where = type(self).__name__
        check_number(where, "rate", rate, low=0, high=1)
        noise_shape = _check_noise_shape(where, noise_shape)
        check_number(where, "seed", seed, low=0, integer=True, allow_none=True)
        super().__init__(**kwargs)
        self.rate, self.noise_shape, self.seed = float(rate), noise_shape, None if seed is None else int(seed)
        self.generator = backend.new_generator(seed)
        self._multiplier = None

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            self._multiplier = None
            return inputs
        multiplier, offset = self._noise(self._mask_shape(inputs.shape), inputs.dtype)
        outputs = inputs * multiplier
        if offset is not None:
            outputs += offset
        if backend.backward_enabled():
            self._multiplier = multiplier  # dy/dx, in the input dtype
        return outputs

    def backward(self, grad):
        multiplier, self._multiplier = self._multiplier, None
        if not self._input_grad_needed:
            return None
        return grad if multiplier is None else grad * multiplier  # dx = dy·m/(1 − rate)

    def release(self):
        self._multiplier = None
        super().release()

    def _noise(self, shape, dtype):
        """(multiplier, offset) with y = x·multiplier + offset; Dropout has no offset."""
        keep_probability = 1.0 - self.rate
        if keep_probability == 0:
            return backend.xp.zeros(shape, dtype=dtype), None
        multiplier = _uniform(self.generator, shape, dtype)
        backend.xp.less(multiplier, keep_probability, out=multiplier)  # m, written over the draws: 1 keeps
        multiplier *= 1.0 / keep_probability
        return multiplier, None

    def _mask_shape(self, input_shape):
        if self.noise_shape is None:
            return tuple(input_shape)
        shape = tuple(size if size is not None else input_size
                      for size, input_size in zip(self.noise_shape, input_shape))
        if len(shape) != len(input_shape) or any(size not in (1, input_size)
                                                 for size, input_size in zip(shape, input_shape)):
            raise bad_value(self.name, "noise_shape",
                            f"broadcastable to the input shape {tuple(input_shape)} (each entry 1, None or the "
                            f"input's size)", self.noise_shape)
        return shape

    def get_config(self):
        noise_shape = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "noise_shape": noise_shape, "seed": self.seed}


@REGISTRY.register()
class AlphaDropout(Dropout):
    """Dropout for self-normalizing (SELU) networks: keeps a zero mean and unit variance.

    While training, each value is kept with probability 1 − rate and otherwise set to SELU's
    negative saturation value α' = −λα = −1.7580993408473766; an affine map then restores the
    mean and variance of standard-normal inputs:

        y = a·(x·k + α'·(1 − k)) + b,   k ~ Bernoulli(1 − rate)
        a = ((1 − rate)·(1 + rate·α'²))^(−1/2),   b = −a·α'·rate

    (rate 0.1: a = 0.9212845161, b = 0.1619709701). The gradient is dx = a·k·dy. With `training`
    false or None the layer is the identity.

    Arguments: rate (required, in [0, 1): at rate 1 nothing is kept and `a` is infinite);
    noise_shape=None and seed=None as in `Dropout`. Input and output shapes are equal.
    PyTorch's `nn.AlphaDropout(p=0.5)` computes the same map. Example:
    `Sequential([Input(shape=(784,)), Dense(300, activation="selu", kernel_initializer="lecun_normal"),
    AlphaDropout(0.1), Dense(10)])`.
    """

    SATURATION = -1.7580993408473766  # α' = −scale·alpha of SELU

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        check_number("AlphaDropout", "rate", rate, low=0, high=1, high_open=True)
        super().__init__(rate, noise_shape=noise_shape, seed=seed, **kwargs)

    def _noise(self, shape, dtype):
        xp = backend.xp
        alpha_p = self.SATURATION
        a = ((1.0 - self.rate) * (1.0 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        keep = _uniform(self.generator, shape, dtype)
        xp.greater_equal(keep, self.rate, out=keep)  # k, written over the draws
        multiplier = keep * a  # dy/dx = a·k
        offset = keep * (-a * alpha_p)
        offset += a * alpha_p + b  # a·α'·(1 − k) + b
        return multiplier, offset


@REGISTRY.register()
class SpatialDropout2D(Dropout):
    """Dropout of whole channels of (N, H, W, C) images: one draw per sample and channel.

        y[n, h, w, c] = x[n, h, w, c]·m[n, c] / (1 − rate),   m ~ Bernoulli(1 − rate)

    Neighbouring pixels of a feature map are strongly correlated, so dropping single pixels hardly
    regularizes a convolutional layer; dropping the whole map does. This is `Dropout` with
    noise_shape (N, 1, 1, C); the identity in inference. Arguments: rate (required, in [0, 1]);
    data_format=None (channels_last, the only layout); seed=None as in `Dropout`.
    PyTorch's `nn.Dropout2d(p=0.5)` does the same on (N, C, H, W). Example: `SpatialDropout2D(0.2)`.
    """

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        self.data_format = check_data_format("SpatialDropout2D", data_format)
        super().__init__(rate, noise_shape=(None, 1, 1, None), seed=seed, **kwargs)

    def build(self, input_shape):
        check_images(self, input_shape)

    def get_config(self):
        config = {**super().get_config(), "data_format": self.data_format}
        del config["noise_shape"]  # fixed by the layer, not an argument
        return config


def _uniform(generator, shape, dtype):
    """U(0, 1) draws of `shape` in `dtype` (drawn in float32 for dtypes the generator lacks)."""
    xp = backend.xp
    if xp.dtype(dtype) in (xp.dtype("float32"), xp.dtype("float64")):
        return generator.random(shape, dtype=dtype)
    return generator.random(shape, dtype="float32").astype(dtype)


def _check_noise_shape(where, noise_shape):
    if noise_shape is None:
        return None
    if isinstance(noise_shape, (str, bytes)) or not hasattr(noise_shape, "__iter__"):
        raise bad_type(where, "noise_shape", "a tuple of positive integers or None", noise_shape)
    noise_shape = tuple(noise_shape)
    for size in noise_shape:
        if size is not None and (isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1):
            raise bad_value(where, "noise_shape", "a tuple of positive integers or None", noise_shape)
    return tuple(None if size is None else int(size) for size in noise_shape)

