"""BatchNormalization: per-channel normalization with batch statistics in training, moving ones in inference."""
from trainwell import backend, compiled, constraints, regularizers
from trainwell import initializers as initializers_module
from trainwell._errors import bad_value, check_number
from trainwell.compiled import loop, prange
from trainwell.layers.base import REGISTRY, Layer


@REGISTRY.register()
class BatchNormalization(Layer):
    """Normalizes each channel (the `axis` entries) over every other axis, then scales and shifts it.

    Training (`training=True` and the layer is trainable), with μ_B, σ²_B the mean and the biased
    variance (divided by n, the number of values per channel) of the batch:

        y = γ·(x − μ_B)/√(σ²_B + ε) + β
        moving_mean     ← momentum·moving_mean     + (1 − momentum)·μ_B
        moving_variance ← momentum·moving_variance + (1 − momentum)·σ²_B

    (σ²_B = mean(x²) − μ_B², as Keras computes it: two read-only passes over x instead of a
    centred copy, which halves the memory traffic of the layer. It loses digits only when |μ_B|
    is thousands of times σ_B; scale such inputs first.)

    Inference (`training` false or None, or `trainable=False`):

        y = γ·(x − moving_mean)/√(moving_variance + ε) + β

    Gradients, with x̂ = (x − μ)/√(σ² + ε) and sums and means per channel:
    dβ = Σ dy, dγ = Σ dy·x̂; in training dx = (γ/√(σ²_B + ε))·(dy − mean(dy) − x̂·mean(dy·x̂)),
    in inference dx = γ·dy/√(moving_variance + ε).

    Arguments: axis=-1 (the channel axis: the features of (N, C), the channels of channels-last
    (N, H, W, C) images); momentum=0.99 (the weight kept on the old moving statistic);
    epsilon=1e-3; center=True (learn β) and scale=True (learn γ); beta_initializer="zeros",
    gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones";
    beta/gamma regularizers and constraints default to None. Weights, in order: gamma, beta
    (trainable, each present only when scale/center is on), moving_mean, moving_variance
    (non-trainable), all of shape (C,). Input and output shapes are equal.

    A frozen layer (`trainable = False`, as in transfer learning) always runs in inference mode,
    even when called with `training=True`, and leaves its moving statistics alone.

    Differs from PyTorch's BatchNorm1d/2d: PyTorch's `momentum` is the weight on the *new* batch
    statistic (default 0.1, i.e. Keras's 0.9) where Keras's is the weight on the *old* value
    (default 0.99); PyTorch stores the unbiased variance (÷(n−1)) in `running_var`, Keras the
    biased one; PyTorch's eps is 1e-5; and freezing (`requires_grad=False`) does not switch
    PyTorch to inference mode; only putting the module in evaluation mode does.

    Example:
        model = Sequential([Input(shape=(784,)), BatchNormalization(),
                            Dense(300, activation="relu"), BatchNormalization(), Dense(10)])
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        check_number("BatchNormalization", "axis", axis, integer=True)
        check_number("BatchNormalization", "momentum", momentum, low=0, high=1)
        check_number("BatchNormalization", "epsilon", epsilon, low=0, low_open=True)
        super().__init__(**kwargs)
        self.axis, self.momentum, self.epsilon = int(axis), float(momentum), float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers_module.get(beta_initializer)
        self.gamma_initializer = initializers_module.get(gamma_initializer)
        self.moving_mean_initializer = initializers_module.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers_module.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.gamma = self.beta = None
        self._forget()

    def build(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise bad_value(self.name, "axis", f"a non-batch axis of inputs of shape {tuple(input_shape)}",
                            self.axis)
        channels = input_shape[self.axis]
        if channels is None:
            raise ValueError(f"{self.name}: the channel axis {self.axis} of the input must be known; "
                             f"got shape {tuple(input_shape)}.")
        if self.scale:
            self.gamma = self.add_weight("gamma", (channels,), self.gamma_initializer, self.gamma_regularizer,
                                         self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight("beta", (channels,), self.beta_initializer, self.beta_regularizer,
                                        self.beta_constraint)
        self.moving_mean = self.add_weight("moving_mean", (channels,), self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight("moving_variance", (channels,), self.moving_variance_initializer,
                                               trainable=False)

    def call(self, inputs, training=None):
        xp = backend.xp
        x = self._to_rows(inputs)  # (n, C): one row per position, one column per channel
        n = x.shape[0]
        batch_statistics = bool(training) and self.trainable
        if batch_statistics:
            mean = xp.ones(n, dtype=x.dtype) @ x / n  # μ_B (a BLAS reduction: one read of x)
            mean_of_squares = xp.einsum("ij,ij->j", x, x) / n
            variance = xp.maximum(mean_of_squares - mean * mean, 0)  # σ²_B = E[x²] − μ², biased, as Keras
            self._update_moving(mean, variance)
        else:
            mean, variance = self.moving_mean.value, self.moving_variance.value
        inv_std = 1.0 / xp.sqrt(variance + self.epsilon)
        k = inv_std if self.gamma is None else inv_std * self.gamma.value  # γ/√(σ² + ε)
        shift = -mean * k if self.beta is None else self.beta.value - mean * k
        if compiled.takes(x, k, shift):  # the same two operations in one pass
            y = xp.empty_like(x)
            _scale_shift_loop(x, k, shift, y)
        else:
            y = x * k
            y += shift  # y = k·x + (β − k·μ) = γ·(x − μ)/√(σ² + ε) + β, in two passes over x
        if backend.backward_enabled():
            self._batch_statistics, self._inputs, self._mean, self._inv_std, self._k = (
                batch_statistics, x, mean, inv_std, k)
        return self._from_rows(y, inputs.shape)

    def backward(self, grad):
        xp = backend.xp
        dy = self._to_rows(grad)
        n = dy.shape[0]
        x, mean, inv_std, k = self._inputs, self._mean, self._inv_std, self._k
        dbeta = xp.ones(n, dtype=dy.dtype) @ dy  # dβ = Σ dy
        dgamma = (xp.einsum("ij,ij->j", dy, x) - mean * dbeta) * inv_std  # dγ = Σ dy·x̂ = (Σ dy·x − μ Σ dy)/σ
        if self.beta is not None and self.beta.grad is not None:
            self.beta.grad[...] = dbeta
        if self.gamma is not None and self.gamma.grad is not None:
            self.gamma.grad[...] = dgamma
        dx = None
        if self._input_grad_needed and not self._batch_statistics:
            dx = dy * k  # inference: dx = k·dy, the moving statistics are constants
        elif self._input_grad_needed:
            # dx = k·(dy − mean(dy) − x̂·mean(dy·x̂)) = k·dy + a·x + b, per channel:
            a = -k * inv_std * (dgamma / n)
            b = -k * (dbeta / n) - a * mean
            if compiled.takes(dy, k, x, a, b):  # the same three operations in one pass
                dx = xp.empty_like(dy)
                _input_gradient_loop(dy, k, x, a, b, dx)
            else:
                dx = dy * k
                dx += x * a
                dx += b
        self._forget()
        return None if dx is None else self._from_rows(dx, grad.shape)

    def _update_moving(self, mean, variance):
        moving_mean, moving_variance = self.moving_mean.value, self.moving_variance.value
        moving_mean *= self.momentum  # moving ← momentum·moving + (1 − momentum)·batch, in place
        moving_mean += (1.0 - self.momentum) * mean
        moving_variance *= self.momentum
        moving_variance += (1.0 - self.momentum) * variance

    def _to_rows(self, array):
        """`array` as (n, C) with the channels last: a view for channels-last inputs, a copy otherwise."""
        if self.axis % array.ndim != array.ndim - 1:
            array = backend.xp.moveaxis(array, self.axis, -1)
        return array.reshape(-1, array.shape[-1])

    def _from_rows(self, rows, shape):
        """The inverse of `_to_rows`, for an array of the original `shape`."""
        axis = self.axis % len(shape)
        if axis == len(shape) - 1:
            return rows.reshape(shape)
        moved = tuple(shape[:axis]) + tuple(shape[axis + 1:]) + (shape[axis],)
        return backend.xp.moveaxis(rows.reshape(moved), -1, axis)

    def _forget(self):
        self._batch_statistics = False
        self._inputs = self._mean = self._inv_std = self._k = None

    def release(self):
        self._forget()
        super().release()

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": initializers_module.serialize(self.beta_initializer),
                "gamma_initializer": initializers_module.serialize(self.gamma_initializer),
                "moving_mean_initializer": initializers_module.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers_module.serialize(self.moving_variance_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint)}


@loop
def _scale_shift_loop(x, k, shift, y):
    """y = x·k + shift per column, in one pass (the NumPy path makes two)."""
    for i in prange(x.shape[0]):
        for j in range(x.shape[1]):
            y[i, j] = x[i, j] * k[j] + shift[j]


@loop
def _input_gradient_loop(dy, k, x, a, b, dx):
    """dx = dy·k + x·a + b per column, in one pass (the NumPy path makes three)."""
    for i in prange(dy.shape[0]):
        for j in range(dy.shape[1]):
            dx[i, j] = dy[i, j] * k[j] + x[i, j] * a[j] + b[j]
