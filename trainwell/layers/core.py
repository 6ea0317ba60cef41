"""Core layers: InputLayer/Input, Dense, Flatten, Reshape, Activation."""
import math

from trainwell import activations, backend
from trainwell._errors import bad_value, check_number
from trainwell.layers.affine import AffineLayer
from trainwell.layers.base import REGISTRY, Layer


@REGISTRY.register()
class InputLayer(Layer):
    """Declares the input shape of a Sequential model (without the batch axis); computes nothing.

    Example: `Sequential([InputLayer(shape=(28, 28)), Flatten(), Dense(10)])`.
    """

    def __init__(self, shape=None, batch_size=None, name=None, **kwargs):
        hint = kwargs.pop("input_shape", None)
        shape = shape if shape is not None else hint
        if shape is None:
            raise ValueError("InputLayer: shape is required, e.g. InputLayer(shape=(28, 28)).")
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        for size in shape:
            if size is not None:
                check_number("InputLayer", "shape", size, low=1, integer=True)
        super().__init__(name=name, **kwargs)
        self.shape = shape
        self.input_shape_hint = shape

    def get_config(self):
        return {**super().get_config(), "shape": list(self.shape)}


def Input(shape=None, batch_size=None, name=None, dtype=None):  # noqa: N802  (the Keras spelling)
    """The Keras `Input(shape=...)`: inside a Sequential it declares the input shape."""
    return InputLayer(shape=shape, batch_size=batch_size, name=name, dtype=dtype)


@REGISTRY.register()
class Dense(AffineLayer):
    """Fully connected layer: `outputs = activation(inputs @ kernel + bias)`.

    Arguments: units (positive int); activation=None (linear; a name or a function from
    `trainwell.activations`); use_bias=True; kernel_initializer='glorot_uniform';
    bias_initializer='zeros'; kernel_regularizer=None, bias_regularizer=None (penalties added to
    the loss, e.g. `"l2"` or `L1(1e-4)`; see trainwell.regularizers), activity_regularizer=None (a
    penalty on the outputs divided by the batch size), kernel_constraint=None, bias_constraint=None
    (projections after each optimizer step, e.g. `max_norm(1.0)`). An output layer with an activity
    regularizer takes the loss's plain gradient instead of the fused softmax/sigmoid one, so the
    penalty's gradient can join it. Kernel shape (input_dim, units), as Keras
    (PyTorch's Linear stores (units, input_dim) and initializes both weight and bias uniformly).
    Input (..., input_dim) -> output (..., units).
    Example: `Dense(300, activation="elu", kernel_initializer="he_normal")`.
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        self.units = check_number("Dense", "units", units, low=1, integer=True)
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, **kwargs)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"{self.name}: the last axis of the input must be known; got shape {input_shape}.")
        self.add_kernel_and_bias((input_dim, self.units))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def call(self, inputs, training=None):
        z = inputs @ self.kernel.value
        if backend.backward_enabled():
            self._inputs = inputs
        return self.activate(z, self.bias.value if self.use_bias else None)

    def backward_pre_activation(self, dz):
        """The backward pass from the gradient w.r.t. `inputs @ kernel + bias` (the fused loss path)."""
        x = self._inputs
        self._forget()
        x2 = x.reshape(-1, x.shape[-1])
        dz2 = dz.reshape(-1, self.units)
        if self.kernel.grad is not None:
            backend.xp.matmul(x2.T, dz2, out=self.kernel.grad)  # dW = x^T dz
        if self.use_bias and self.bias.grad is not None:
            dz2.sum(axis=0, out=self.bias.grad)  # db = sum over the batch of dz
        if not self._input_grad_needed:
            return None
        return dz @ self.kernel.value.T  # dx = dz W^T

    def _forget(self):
        self._inputs = None
        super()._forget()

    def own_config(self):
        return {"units": self.units}


@REGISTRY.register()
class Flatten(Layer):
    """Flattens every axis but the batch axis: (N, d1, d2, ...) -> (N, d1*d2*...).

    Example: `Flatten(input_shape=(28, 28))` turns images into 784-vectors.
    """

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))

    def call(self, inputs, training=None):
        if backend.backward_enabled():
            self._input_shape = inputs.shape
        return inputs.reshape(inputs.shape[0], -1)

    def backward(self, grad):
        return grad.reshape(self._input_shape)


@REGISTRY.register()
class Reshape(Layer):
    """Reshapes each sample to `target_shape` (one entry may be -1). Example: `Reshape((7, 7, 16))`."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target_shape = tuple(target_shape)
        if sum(1 for s in target_shape if s == -1) > 1 or any(s == 0 or s < -1 for s in target_shape):
            raise bad_value("Reshape", "target_shape", "positive sizes with at most one -1", target_shape)
        self.target_shape = target_shape

    def compute_output_shape(self, input_shape):
        if -1 not in self.target_shape or None in input_shape[1:]:
            return (input_shape[0],) + self.target_shape
        known = math.prod(s for s in self.target_shape if s != -1)
        return (input_shape[0],) + tuple(math.prod(input_shape[1:]) // known if s == -1 else s
                                         for s in self.target_shape)

    def build(self, input_shape):
        size, known = math.prod(input_shape[1:]), math.prod(s for s in self.target_shape if s != -1)
        if (-1 in self.target_shape and size % known) or (-1 not in self.target_shape and size != known):
            raise ValueError(f"{self.name}: cannot reshape inputs of shape {input_shape} "
                             f"to target_shape {self.target_shape}.")

    def call(self, inputs, training=None):
        if backend.backward_enabled():
            self._input_shape = inputs.shape
        return inputs.reshape((inputs.shape[0],) + self.target_shape)

    def backward(self, grad):
        return grad.reshape(self._input_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


@REGISTRY.register()
class Activation(Layer):
    """Applies an activation function: `outputs = activation(inputs)`. Example: `Activation("relu")`."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs, training=None):
        outputs = self.activation(inputs)
        if backend.backward_enabled():
            self._inputs = inputs if self.activation.needs_input else None
            self._outputs = outputs
        return outputs

    def backward(self, grad):
        dx = self.activation.derivative(grad, self._inputs, self._outputs)
        self._inputs = self._outputs = None
        return dx

    def backward_pre_activation(self, dz):
        return dz

    @property
    def output_activation(self):
        return None if self.activity_regularizer is not None else self.activation  # as Dense

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}
