"""The saturating curves: sigmoid, tanh, hard_sigmoid, softsign, and softmax / log_softmax over an axis."""
from trainwell import backend
from trainwell.activations.base import REGISTRY, derivative_of


@REGISTRY.register()
def sigmoid(x):
    """Logistic sigmoid `1 / (1 + exp(-x))`, in a form that cannot overflow for large |x|."""
    xp = backend.xp
    e = xp.exp(-xp.abs(x))  # in (0, 1]: exp(-|x|) never overflows
    return xp.where(x >= 0, 1, e) / (1 + e)  # 1/(1+e^-x) for x >= 0, e^x/(1+e^x) below


@derivative_of(sigmoid, needs_input=False)
def sigmoid_derivative(grad, x, y):
    """grad * y * (1 - y), through the output."""
    return grad * y * (1 - y)


@REGISTRY.register()
def tanh(x):
    """Hyperbolic tangent `(exp(x) - exp(-x)) / (exp(x) + exp(-x))`."""
    return backend.xp.tanh(x)


@derivative_of(tanh, needs_input=False)
def tanh_derivative(grad, x, y):
    """grad * (1 - y**2), through the output."""
    return grad * (1 - y * y)


@REGISTRY.register()
def hard_sigmoid(x):
    """`clip(x / 6 + 0.5, 0, 1)` (Keras 3 and PyTorch's Hardsigmoid; tf.keras 2 used 0.2 * x + 0.5)."""
    return backend.xp.clip(x / 6 + 0.5, 0, 1)


@derivative_of(hard_sigmoid, needs_input=False)
def hard_sigmoid_derivative(grad, x, y):
    """grad / 6 where 0 < y < 1, else 0, through the output."""
    return grad * ((y > 0) & (y < 1)) / 6


@REGISTRY.register()
def softsign(x):
    """`x / (1 + abs(x))`."""
    return x / (1 + backend.xp.abs(x))


@derivative_of(softsign, needs_input=False)
def softsign_derivative(grad, x, y):
    """grad / (1 + |x|)**2 = grad * (1 - |y|)**2, through the output."""
    one_minus = 1 - backend.xp.abs(y)
    return grad * one_minus * one_minus


@REGISTRY.register()
def softmax(x, axis=-1):
    """`exp(x - max) / sum(exp(x - max))` along `axis` (defaults to -1, the last axis).

    Subtracting the maximum changes nothing mathematically and keeps exp from overflowing.
    PyTorch's softmax has no default axis (`dim` must be given).
    """
    xp = backend.xp
    e = xp.exp(x - xp.max(x, axis=axis, keepdims=True))
    e /= xp.sum(e, axis=axis, keepdims=True)
    return e


@derivative_of(softmax, needs_input=False)
def softmax_derivative(grad, x, y, axis=-1):
    """y * (grad - sum(grad * y, axis)), the vector-Jacobian product, through the output."""
    xp = backend.xp
    return y * (grad - xp.sum(grad * y, axis=axis, keepdims=True))


@REGISTRY.register()
def log_softmax(x, axis=-1):
    """`x - max - log(sum(exp(x - max)))` along `axis` (defaults to -1); stable for large x.

    PyTorch's log_softmax has no default axis (`dim` must be given).
    """
    xp = backend.xp
    shifted = x - xp.max(x, axis=axis, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))


@derivative_of(log_softmax, needs_input=False)
def log_softmax_derivative(grad, x, y, axis=-1):
    """grad - exp(y) * sum(grad, axis), through the output (exp(y) is the softmax)."""
    xp = backend.xp
    return grad - xp.exp(y) * xp.sum(grad, axis=axis, keepdims=True)
