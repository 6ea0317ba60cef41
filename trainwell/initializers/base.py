"""The initializer base, the constant family and the random family's base with its plain distributions."""
import math
import numbers

from trainwell import backend
from trainwell import _registry
from trainwell._errors import bad_type, bad_value, check_number

REGISTRY = _registry.Registry("initializer")

# Standard deviation of a unit normal truncated to [-2, 2]:
# sqrt(1 - 4*phi(2) / (Phi(2) - Phi(-2))). Dividing by it makes the truncated draw's std exact.
TRUNCATED_STD_FACTOR = 0.87962566103423978


def compute_fans(shape):
    """(fan_in, fan_out) of a weight shape, as Keras counts them.

    Scalar: (1, 1). `(d,)`: (d, d). Dense `(a, b)`: (a, b). Conv `(*spatial, in_ch, out_ch)`:
    (in_ch * prod(spatial), out_ch * prod(spatial)); e.g. (3, 3, 64, 128) -> (576, 1152).
    PyTorch's layouts (out, in, kh, kw) give the same numbers for the same layer.
    """
    shape = tuple(int(size) for size in shape)
    if len(shape) < 2:
        return (shape[0], shape[0]) if shape else (1, 1)
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer:
    """Base class: `initializer(shape, dtype=None)` returns a backend array (dtype defaults to floatx).

    Any callable `f(shape, dtype=None)` may stand in for an initializer wherever one is accepted.
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype=None).")

    def get_config(self):
        """The constructor arguments, as a JSON-friendly dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """A new instance built from `get_config()`'s output."""
        return cls(**config)


@REGISTRY.register("zeros", "zero")
class Zeros(Initializer):
    """All zeros. Keras's default for biases and BatchNormalization's beta and moving mean."""

    def __call__(self, shape, dtype=None):
        shape, dtype = _check_request(type(self).__name__, shape, dtype)
        return backend.xp.zeros(shape, dtype=dtype)


@REGISTRY.register("ones", "one")
class Ones(Initializer):
    """All ones. Keras's default for BatchNormalization's gamma and moving variance."""

    def __call__(self, shape, dtype=None):
        shape, dtype = _check_request(type(self).__name__, shape, dtype)
        return backend.xp.ones(shape, dtype=dtype)


@REGISTRY.register("constant")
class Constant(Initializer):
    """Every element equals the scalar `value` (defaults to 0.0). Example: `Constant(0.1)`."""

    def __init__(self, value=0.0):
        self.value = _real("Constant", "value", value)

    def __call__(self, shape, dtype=None):
        shape, dtype = _check_request(type(self).__name__, shape, dtype)
        return backend.xp.full(shape, self.value, dtype=dtype)

    def get_config(self):
        return {"value": self.value}


class RandomInitializer(Initializer):
    """Base of the random initializers: owns the seed.

    `seed=None` draws an integer seed once, at construction, from the library generator, so
    `trainwell.utils.set_random_seed(s)` before building makes every initializer reproducible,
    and calling one instance twice gives the same array (as in Keras). `get_config` keeps the seed
    as given (None stays None), so an object rebuilt from a seedless config draws a fresh seed.
    """

    def __init__(self, seed=None):
        check_number(type(self).__name__, "seed", seed, low=0, integer=True, allow_none=True)
        self._init_seed = None if seed is None else int(seed)
        # Keras draws default seeds in [1, 1e9]; a small int keeps configs readable.
        self.seed = int(backend.generator().integers(1, 10**9)) if seed is None else int(seed)

    def get_config(self):
        return {"seed": self._init_seed}

    def _request(self, shape, dtype):
        """Checked (shape, dtype), floating only, and this call's fresh generator."""
        shape, dtype = _check_request(type(self).__name__, shape, dtype, floating=True)
        return shape, dtype, backend.new_generator(self.seed)


@REGISTRY.register("random_normal", "normal")
class RandomNormal(RandomInitializer):
    """N(mean, stddev^2). Defaults: mean=0.0, stddev=0.05, seed=None.

    PyTorch's `nn.init.normal_` defaults to std=1.0. Example: `RandomNormal(stddev=0.01, seed=0)`.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = _real("RandomNormal", "mean", mean)
        self.stddev = _real("RandomNormal", "stddev", stddev, low=0, low_open=True)
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        shape, dtype, rng = self._request(shape, dtype)
        return (self.mean + self.stddev * rng.standard_normal(shape)).astype(dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@REGISTRY.register("random_uniform", "uniform")
class RandomUniform(RandomInitializer):
    """U[minval, maxval). Defaults: minval=-0.05, maxval=0.05, seed=None (Embedding's default).

    PyTorch's `nn.init.uniform_` defaults to [0, 1).
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = _real("RandomUniform", "minval", minval)
        self.maxval = _real("RandomUniform", "maxval", maxval)
        if not self.minval < self.maxval:
            raise bad_value("RandomUniform", "maxval", f"greater than minval={minval!r}", maxval)
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        shape, dtype, rng = self._request(shape, dtype)
        return (self.minval + (self.maxval - self.minval) * rng.random(shape)).astype(dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


@REGISTRY.register("truncated_normal")
class TruncatedNormal(RandomInitializer):
    """N(mean, stddev^2) with draws outside mean ± 2*stddev re-drawn. Defaults: 0.0, 0.05, None.

    The result's std is about 0.88*stddev. PyTorch's `trunc_normal_` cuts at the absolute
    bounds a=-2, b=2 whatever the std, so with std=0.05 it truncates almost nothing.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = _real("TruncatedNormal", "mean", mean)
        self.stddev = _real("TruncatedNormal", "stddev", stddev, low=0, low_open=True)
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        shape, dtype, rng = self._request(shape, dtype)
        return (self.mean + self.stddev * _truncated_standard_normal(rng, shape)).astype(dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


def _real(where, argument, value, **limits):
    """A checked, finite real number as a Python float (so configs stay JSON-friendly)."""
    return float(check_number(where, argument, value, **limits))


def _check_request(where, shape, dtype, floating=False):
    """(shape as a tuple of ints, dtype object), refusing bad shapes and, if asked, non-float dtypes."""
    xp = backend.xp
    if not isinstance(shape, (tuple, list)) or not all(
            isinstance(size, numbers.Integral) and not isinstance(size, bool) for size in shape):
        raise bad_type(where, "shape", "a tuple of non-negative integers", shape)
    if any(size < 0 for size in shape):
        raise bad_value(where, "shape", "a tuple of non-negative integers", tuple(shape))
    try:
        dtype = xp.dtype(backend.floatx() if dtype is None else dtype)
    except TypeError:
        raise bad_type(where, "dtype", "a dtype such as 'float32'", dtype) from None
    if floating and dtype.kind != "f":
        raise bad_value(where, "dtype", "a floating-point dtype", dtype.name)
    return tuple(int(size) for size in shape), dtype


def _truncated_standard_normal(rng, shape):
    """N(0, 1) draws cut to [-2, 2] by rejection: redraw only the rejected entries until none are left."""
    xp = backend.xp
    z = rng.standard_normal(shape)
    flat = z.reshape(-1)  # a view: writing into it fills z
    rejected = xp.flatnonzero(xp.abs(flat) > 2.0)
    while rejected.size:
        redraw = rng.standard_normal(rejected.size)
        flat[rejected] = redraw
        rejected = rejected[xp.abs(redraw) > 2.0]
    return z
