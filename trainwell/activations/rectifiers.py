"""ReLU and its relatives: relu (Keras's general form), leaky_relu, relu6, elu, selu, and the smooth
rectifiers softplus, silu (swish), gelu, hard_silu (hard_swish) and mish."""
import math

from trainwell import backend
from trainwell._special import erfc as _erfc
from trainwell.activations.base import REGISTRY, _mask, derivative_of
from trainwell.activations.saturating import hard_sigmoid, sigmoid

# SELU's fixed-point constants (Klambauer et al. 2017), as Keras and PyTorch use them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_GELU_TANH_SCALE = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715


def _relu_needs_input(negative_slope=0.0, max_value=None, threshold=0.0):
    # y tells the regions apart only when no argument is negative (all that Keras's ReLU layer accepts).
    return negative_slope < 0 or threshold < 0 or (max_value is not None and max_value < 0)


@REGISTRY.register()
def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit in Keras's general form; defaults give `max(x, 0)`.

    `y = min(x, max_value)` for `x > threshold`, `y = negative_slope * (x - threshold)` otherwise
    (with `threshold = 0` and no `max_value`: `max(x, negative_slope * x)`). Defaults:
    negative_slope=0.0, max_value=None, threshold=0.0. The derivative reads y alone unless an
    argument is negative. PyTorch splits this into ReLU, LeakyReLU (slope 0.01), ReLU6 and
    Threshold (which outputs a chosen value, not a slope, below the threshold).
    Example: `relu(x, negative_slope=0.1, max_value=6.0, threshold=0.5)`.
    """
    xp = backend.xp
    if negative_slope != 0 and max_value is None and threshold == 0:
        return xp.maximum(x, float(negative_slope) * x)
    y = x * (x > threshold) if threshold != 0 else xp.maximum(x, 0)
    if max_value is not None:
        y = xp.clip(y, 0, float(max_value))
    if negative_slope != 0:
        y -= float(negative_slope) * xp.maximum(float(threshold) - x, 0)
    return y


def _relu_in_place(x):
    """relu(x) with default arguments, written into x: for a caller that owns x and needs it no more."""
    return backend.xp.maximum(x, 0, out=x)


relu.in_place = _relu_in_place


@derivative_of(relu, needs_input=_relu_needs_input)
def relu_derivative(grad, x, y, negative_slope=0.0, max_value=None, threshold=0.0):
    """grad * (1 where threshold < x < max_value, negative_slope below threshold, else 0)."""
    if negative_slope != 0 and max_value is None and threshold == 0:
        return _leaky_relu_slope(grad, x, y, float(negative_slope))
    if negative_slope == 0 and max_value is None and threshold == 0:
        return grad * ((y if x is None else x) > 0)  # the common case, in one pass (see _where_free)
    if x is not None:
        passes = x > threshold
        if max_value is not None:
            passes &= (x > 0) & (x < max_value)
        below = x < threshold
    else:  # above the threshold y >= 0, below it y = negative_slope * (x - threshold) < 0
        passes = y > 0
        if max_value is not None:
            passes &= y < max_value
        below = y < 0
    return backend.xp.where(passes, grad, float(negative_slope) * grad * below)


@REGISTRY.register()
def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU `max(x, negative_slope * x)`.

    negative_slope defaults to 0.2 here and for the name "leaky_relu"; Keras's LeakyReLU layer
    defaults to 0.3 and PyTorch's nn.LeakyReLU to 0.01. The derivative reads y alone unless
    negative_slope < 0. Example: `leaky_relu(-1.0)` is -0.2.
    """
    return backend.xp.maximum(x, float(negative_slope) * x)


@derivative_of(leaky_relu, needs_input=lambda negative_slope=0.2: negative_slope < 0)
def leaky_relu_derivative(grad, x, y, negative_slope=0.2):
    """grad * (1 where x > negative_slope * x, else negative_slope)."""
    return _leaky_relu_slope(grad, x, y, float(negative_slope))


def _leaky_relu_slope(grad, x, y, negative_slope):
    if x is not None:
        return grad * (negative_slope + (1 - negative_slope) * _mask(x > negative_slope * x, grad))
    # negative_slope >= 0: y > 0 exactly where x > 0, and max() picks the larger of the two slopes there
    low, high = min(1.0, negative_slope), max(1.0, negative_slope)
    return grad * (low + (high - low) * _mask(y > 0, grad))


@REGISTRY.register()
def relu6(x):
    """`min(max(x, 0), 6)`, the same as PyTorch's ReLU6."""
    return backend.xp.clip(x, 0, 6)


@derivative_of(relu6, needs_input=False)
def relu6_derivative(grad, x, y):
    """grad * (1 where 0 < y < 6, else 0), through the output."""
    return grad * ((y > 0) & (y < 6))


@REGISTRY.register()
def elu(x, alpha=1.0):
    """Exponential linear unit: `x` if `x > 0`, else `alpha * (exp(x) - 1)` (computed with expm1).

    alpha defaults to 1.0, as in PyTorch. The derivative reads y alone when alpha >= 0:
    1 where y > 0, else `y + alpha`. Example: `elu(-1.0)` is -0.632.
    """
    xp = backend.xp
    # max(x, 0) + alpha * expm1(min(x, 0)): each term is exactly 0 on the other side (see _where_free)
    return xp.maximum(x, 0) + float(alpha) * xp.expm1(xp.minimum(x, 0))


@derivative_of(elu, needs_input=lambda alpha=1.0: alpha < 0)
def elu_derivative(grad, x, y, alpha=1.0):
    """grad * (1 where x > 0, else alpha * exp(x) = y + alpha)."""
    xp = backend.xp
    alpha = float(alpha)
    if x is not None:
        slope = alpha * xp.exp(xp.minimum(x, 0))  # alpha * exp(x) below 0, alpha above
        return grad * (slope + (1 - slope) * _mask(x > 0, grad))
    # y + alpha below 0 (min(y, 0) + alpha), 1 above: written without where (see _where_free)
    return grad * (xp.minimum(y, 0) + alpha + (1 - alpha) * _mask(y > 0, grad))


@REGISTRY.register()
def selu(x):
    """Scaled ELU: `SELU_SCALE * elu(x, SELU_ALPHA)`, scale 1.0507009873554805 and alpha
    1.6732632423543772, the constants that keep mean 0 and variance 1 (same in PyTorch)."""
    return SELU_SCALE * elu(x, SELU_ALPHA)


@derivative_of(selu, needs_input=False)
def selu_derivative(grad, x, y):
    """grad * (SELU_SCALE where y > 0, else y + SELU_SCALE * SELU_ALPHA), through the output."""
    below = SELU_SCALE * SELU_ALPHA  # the slope at 0 from the left: y + scale * alpha with y = 0
    return grad * (backend.xp.minimum(y, 0) + below + (SELU_SCALE - below) * _mask(y > 0, grad))


@REGISTRY.register()
def softplus(x):
    """`log(1 + exp(x))`, computed as `logaddexp(x, 0)` so it never overflows.

    PyTorch's Softplus has `beta=1` and switches to the identity above `threshold=20`; Keras has
    neither. The derivative, sigmoid(x), is read from the output as `1 - exp(-y)` (via expm1).
    """
    return backend.xp.logaddexp(x, 0)


@derivative_of(softplus, needs_input=False)
def softplus_derivative(grad, x, y):
    """grad * sigmoid(x) = grad * (1 - exp(-y)), through the output."""
    return -(grad * backend.xp.expm1(-y))


@REGISTRY.register("swish")
def silu(x):
    """Sigmoid linear unit `x * sigmoid(x)`, also named "swish"; no beta parameter (as PyTorch)."""
    return x * sigmoid(x)


@derivative_of(silu, needs_input=True)
def silu_derivative(grad, x, y):
    """grad * s * (1 + x * (1 - s)) with s = sigmoid(x); needs the input."""
    s = sigmoid(x)
    return grad * s * (1 + x * (1 - s))


@REGISTRY.register()
def gelu(x, approximate=False):
    """Gaussian error linear unit `x * Phi(x)`, Phi the standard normal CDF.

    approximate=False (default, and the name "gelu"): `x * (1 + erf(x / sqrt(2))) / 2`.
    approximate=True: `x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3))) / 2`.
    PyTorch's nn.GELU also defaults to the exact form; `keras.ops.gelu` defaults to the tanh one.
    """
    xp = backend.xp
    if approximate:
        inner = _GELU_TANH_SCALE * (x + _GELU_CUBIC * x * x * x)
        return 0.5 * x * (1 + xp.tanh(inner))
    return 0.5 * x * _erfc(-x / _SQRT_2)  # erfc(-z) = 1 + erf(z), accurate in the left tail


@derivative_of(gelu, needs_input=True)
def gelu_derivative(grad, x, y, approximate=False):
    """grad * (Phi(x) + x * phi(x)) (exact) or the tanh form's derivative; needs the input."""
    xp = backend.xp
    if approximate:
        t = xp.tanh(_GELU_TANH_SCALE * (x + _GELU_CUBIC * x * x * x))
        d_inner = _GELU_TANH_SCALE * (1 + 3 * _GELU_CUBIC * x * x)
        return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner)
    cdf = 0.5 * _erfc(-x / _SQRT_2)
    pdf = xp.exp(-0.5 * x * x) / _SQRT_2PI
    return grad * (cdf + x * pdf)


@REGISTRY.register("hard_swish")
def hard_silu(x):
    """`x * hard_sigmoid(x)`: 0 below -3, x above 3, `x * (x + 3) / 6` between (PyTorch Hardswish)."""
    return x * hard_sigmoid(x)


@derivative_of(hard_silu, needs_input=True)
def hard_silu_derivative(grad, x, y):
    """grad * (0 below -3, 1 above 3, x / 3 + 0.5 between); needs the input."""
    xp = backend.xp
    return grad * xp.where(x <= -3, 0, xp.where(x >= 3, 1, x / 3 + 0.5))


@REGISTRY.register()
def mish(x):
    """`x * tanh(softplus(x))` (Misra 2019; the same as PyTorch's Mish)."""
    return x * backend.xp.tanh(softplus(x))


@derivative_of(mish, needs_input=True)
def mish_derivative(grad, x, y):
    """grad * (t + x * (1 - t**2) * sigmoid(x)) with t = tanh(softplus(x)); needs the input."""
    t = backend.xp.tanh(softplus(x))
    return grad * (t + x * (1 - t * t) * sigmoid(x))


# _where_free: the hot derivatives above blend with a 0/1 mask instead of calling `where`. NumPy's
# `where` branches per element and costs about 5x more on unpredictable masks (1.1 ms against
# 0.2 ms for 1024x300 float32 on the benchmark machine), which showed in every ReLU/ELU step.
