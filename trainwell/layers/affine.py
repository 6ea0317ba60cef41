"""AffineLayer: what Dense and Conv2D share, `outputs = activation(z)` for z an affine map of the inputs."""
from trainwell import activations, backend, compiled, constraints, regularizers
from trainwell import initializers as initializers_module
from trainwell.compiled import loop, prange
from trainwell.layers.base import Layer


class AffineLayer(Layer):
    """The base of layers computing `outputs = activation(z)`, z linear in the inputs through `kernel`, plus `bias`.

    It holds the arguments Dense and Conv2D share (documented on Dense): activation=None (linear),
    use_bias=True, kernel_initializer='glorot_uniform', bias_initializer='zeros',
    kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
    bias_constraint=None; the weights `kernel` then `bias`; the activation of z; the chain rule through
    it (dz = activation'(z)·grad, then `backward_pre_activation(dz)`); and their part of the config.

    A subclass builds its weights with `add_kernel_and_bias(kernel_shape)`, computes z in `call`
    and returns `self.activate(z)`, and writes `backward_pre_activation(dz)` (its own math) and
    `own_config()` (its own arguments, listed before the shared ones in `get_config`).
    """

    def __init__(self, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers_module.get(kernel_initializer)
        self.bias_initializer = initializers_module.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._forget()

    def add_kernel_and_bias(self, kernel_shape):
        """Create `kernel` of `kernel_shape` and, with use_bias, `bias` of shape (kernel_shape[-1],)."""
        self.kernel = self.add_weight("kernel", kernel_shape, self.kernel_initializer, self.kernel_regularizer,
                                      self.kernel_constraint)
        self.bias = (self.add_weight("bias", (kernel_shape[-1],), self.bias_initializer, self.bias_regularizer,
                                     self.bias_constraint) if self.use_bias else None)

    def activate(self, z, bias=None):
        """activation(z + bias), keeping what `backward` needs; z must be the caller's own array, needed
        no more. `bias` (shape (C,), added along the last axis) may be None when already added.

        An activation with an in-place form (relu) writes into z: no new array and one pass fewer;
        with the compiled loops (trainwell.compiled) relu and the bias take one pass together.
        """
        if bias is not None and self._compiled_relu(z, bias):
            outputs = z
            _bias_relu_loop(z.reshape(-1, z.shape[-1]), bias, z.dtype.type(0))
        else:
            if bias is not None:
                z += bias
            if self.activation.needs_input or not hasattr(self.activation, "in_place"):
                outputs = self.activation(z)
            else:
                outputs = self.activation.in_place(z)
        if backend.backward_enabled():
            self._outputs = outputs
            self._pre_activation = z if self.activation.needs_input else None
        return outputs

    def backward(self, grad):
        y = self._outputs
        if grad.shape == y.shape and self._compiled_relu(grad, y):
            dz = backend.xp.empty_like(grad)
            rows = (-1, grad.shape[-1])
            _relu_derivative_loop(grad.reshape(rows), y.reshape(rows), dz.reshape(rows))
        else:
            dz = self.activation.derivative(grad, self._pre_activation, self._outputs)
        return self.backward_pre_activation(dz)

    def _compiled_relu(self, rows, other):
        """Whether relu (default arguments) runs as a compiled loop on these arrays (`rows` at least 2-D)."""
        return self.activation is activations.relu and rows.ndim >= 2 and compiled.takes(rows, other)

    def backward_pre_activation(self, dz):
        """The backward pass from the gradient w.r.t. z (the fused loss path enters here)."""
        raise NotImplementedError(f"{type(self).__name__} must define backward_pre_activation(dz).")

    @property
    def output_activation(self):
        # The fused loss path skips `backward`, where an activity penalty's gradient joins in.
        return None if self.activity_regularizer is not None else self.activation

    def _forget(self):
        """Drop what the pending backward would have read; subclasses extend it with their own."""
        self._outputs = self._pre_activation = None

    def release(self):
        self._forget()
        super().release()

    def own_config(self):
        """The subclass's own constructor arguments (units, filters, ...)."""
        return {}

    def get_config(self):
        return {**super().get_config(), **self.own_config(),
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": initializers_module.serialize(self.kernel_initializer),
                "bias_initializer": initializers_module.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint)}


@loop
def _bias_relu_loop(z, bias, zero):
    """z <- max(z + bias, 0) in place, row by row: `z += bias` then `relu.in_place(z)` in one pass."""
    for i in prange(z.shape[0]):
        for j in range(z.shape[1]):
            v = z[i, j] + bias[j]
            z[i, j] = v if v > 0 or v != v else zero  # NaN stays NaN and -0.0 becomes 0.0, as in NumPy


@loop
def _relu_derivative_loop(grad, y, dz):
    """dz = grad * (y > 0), row by row: relu's derivative from its output in one pass."""
    for i in prange(grad.shape[0]):
        for j in range(grad.shape[1]):
            dz[i, j] = grad[i, j] * (y[i, j] > 0)
