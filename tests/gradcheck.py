"""The shared float64 finite-difference gradient checker.

Every analytic gradient in trainwell (activations, losses, layers and their weights) is compared
with central differences of a scalar function: for an output y = f(x) and a fixed random
upstream gradient G, the scalar is sum(G * y), whose gradient w.r.t. x is the vector-Jacobian
product that `backward` must return.
"""
import numpy as np

EPS = 1e-6
RTOL = 1e-5
ATOL = 1e-7


def numerical_gradient(scalar_function, x, eps=EPS):
    """Central differences of `scalar_function()` w.r.t. every element of `x` (changed in place)."""
    grad = np.zeros_like(x, dtype=np.float64)
    flat_x = x.reshape(-1)
    flat_grad = grad.reshape(-1)
    for i in range(flat_x.size):
        original = flat_x[i]
        flat_x[i] = original + eps
        plus = scalar_function()
        flat_x[i] = original - eps
        minus = scalar_function()
        flat_x[i] = original
        flat_grad[i] = (plus - minus) / (2 * eps)
    return grad


def assert_close(analytic, numeric, what, rtol=RTOL, atol=ATOL):
    """Fail with the worst element named when the two gradients differ."""
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    assert analytic.shape == numeric.shape, f"{what}: shape {analytic.shape} != {numeric.shape}"
    error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    if np.any(error > 0):
        worst = np.unravel_index(np.argmax(error), error.shape)
        raise AssertionError(
            f"{what}: analytic {analytic[worst]:.10g} vs numeric {numeric[worst]:.10g} at {worst}"
        )


def check_elementwise(function, derivative, x, what, upstream=None):
    """Check y = function(x) against derivative(x, y, upstream) == upstream * dy/dx."""
    x = np.array(x, dtype=np.float64)
    rng = np.random.default_rng(0)
    upstream = rng.normal(size=x.shape) if upstream is None else upstream
    y = function(x)
    analytic = derivative(x, y, upstream)
    numeric = numerical_gradient(lambda: float(np.sum(upstream * function(x))), x)
    assert_close(analytic, numeric, what)


def check_scalar_function(value, gradient, x, what):
    """Check that gradient(x) is the gradient of the scalar value(x)."""
    x = np.array(x, dtype=np.float64)
    analytic = gradient(x)
    numeric = numerical_gradient(lambda: float(value(x)), x)
    assert_close(analytic, numeric, what)


def check_layer(layer, x, training, seed=1234, upstream_seed=0, rtol=RTOL, atol=ATOL):
    """Check a layer's `backward` against finite differences, for its input and every trainable weight.

    Runs in float64 (the caller sets floatx or builds the layer in float64). Layers that draw
    random numbers keep them in `layer.generator`; it is reset to the same seed before every
    forward pass, so Dropout masks and RReLU slopes are fixed while the differences are taken.
    Returns the analytic input gradient.
    """
    from trainwell import backend

    x = np.array(x, dtype=np.float64)

    def forward():
        if hasattr(layer, "generator"):
            layer.generator = np.random.default_rng(seed)
        with backend.recording(False):
            return np.asarray(layer(x, training=training), dtype=np.float64)

    y = forward()
    upstream = np.random.default_rng(upstream_seed).normal(size=y.shape)
    for variable in layer.trainable_weights:
        variable.grad = np.full(variable.shape, np.nan)  # backward must write every entry
    if hasattr(layer, "generator"):
        layer.generator = np.random.default_rng(seed)
    with backend.recording():
        layer(x, training=training)
        analytic_dx = layer.run_backward(upstream)
    numeric_dx = numerical_gradient(lambda: float(np.sum(upstream * forward())), x)
    assert_close(analytic_dx, numeric_dx, f"{layer.name}: d(output)/d(input)", rtol, atol)
    for variable in layer.trainable_weights:
        analytic = variable.grad.copy()
        numeric = numerical_gradient(lambda: float(np.sum(upstream * forward())), variable.value)
        assert_close(analytic, numeric, f"{layer.name}: d(output)/d({variable.name})", rtol, atol)
    return analytic_dx
