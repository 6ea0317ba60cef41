"""Activation layers: ReLU, LeakyReLU, PReLU, RReLU, ELU and Softmax (Keras 3 names and defaults)."""
import numbers
import warnings

from trainwell import activations, backend, constraints, regularizers
from trainwell import initializers as initializers_module
from trainwell._errors import bad_value, check_number
from trainwell.layers.base import REGISTRY, Layer


class _FunctionLayer(Layer):
    """Applies `function` (a pure pair from trainwell.activations) with the layer's fixed arguments;
    keeps the output, and the input only where the derivative needs it, for one pending backward."""

    function = None  # each subclass sets a staticmethod of an activations function

    def arguments(self):  # the keyword arguments of `function` and its derivative
        return {}

    def call(self, inputs, training=None):
        arguments = self.arguments()
        outputs = self.function(inputs, **arguments)
        if backend.backward_enabled():
            self._inputs = inputs if self.function.input_needed(**arguments) else None
            self._outputs = outputs
        return outputs

    def backward(self, grad):
        dx = self.function.derivative(grad, self._inputs, self._outputs, **self.arguments())
        self._inputs = self._outputs = None
        return dx

    def backward_pre_activation(self, dz):
        """The fused loss path already went through the activation: the input gradient is dz."""
        self._inputs = self._outputs = None
        return dz

    @property
    def output_activation(self):
        # The fused loss path skips `backward`, where an activity penalty's gradient joins in.
        return None if self.activity_regularizer is not None else self.function

    def get_config(self):
        return {**super().get_config(), **self.arguments()}


@REGISTRY.register()
class ReLU(_FunctionLayer):
    """Rectified linear unit in Keras's general form (`activations.relu`):

        y = min(x, max_value)                  for x > threshold
        y = negative_slope * (x - threshold)   otherwise

    Arguments: max_value=None (no cap), negative_slope=0.0, threshold=0.0; each must be >= 0.
    Defaults give `max(x, 0)`. Input and output shapes are equal.

    Example:
        layer = ReLU(max_value=6.0)
        layer(np.array([[-1.0, 3.0, 8.0]]))  # [[0., 3., 6.]]

    PyTorch splits this into nn.ReLU, nn.LeakyReLU, nn.ReLU6 and nn.Threshold (which outputs a
    fixed value, not a slope, below the threshold).
    """

    function = staticmethod(activations.relu)

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        self.max_value = check_number("ReLU", "max_value", max_value, low=0, allow_none=True)
        self.negative_slope = check_number("ReLU", "negative_slope", negative_slope, low=0)
        self.threshold = check_number("ReLU", "threshold", threshold, low=0)
        super().__init__(**kwargs)

    def arguments(self):
        return {"negative_slope": self.negative_slope, "max_value": self.max_value, "threshold": self.threshold}


class _DefaultSlope(float):
    """LeakyReLU's default 0.3, told apart from a given 0.3, so that both alpha= and negative_slope= are refused."""


_LEAKY_DEFAULT = _DefaultSlope(0.3)


@REGISTRY.register()
class LeakyReLU(_FunctionLayer):
    """Leaky ReLU (`activations.leaky_relu`): y = x for x >= 0, negative_slope * x for x < 0.

    Arguments: negative_slope=0.3 (must be >= 0). Input and output shapes are equal. The tf.keras
    spelling `alpha=` (HOML's `LeakyReLU(alpha=0.2)`) works and warns (DeprecationWarning); giving
    both is an error.

    Example:
        layer = LeakyReLU(negative_slope=0.2)
        layer(np.array([[-1.0, 2.0]]))  # [[-0.2, 2.]]

    Default slopes differ: this layer 0.3, the function `activations.leaky_relu` and the name
    "leaky_relu" 0.2, PyTorch's nn.LeakyReLU 0.01.
    """

    function = staticmethod(activations.leaky_relu)

    def __init__(self, negative_slope=_LEAKY_DEFAULT, **kwargs):
        if "alpha" in kwargs:
            alpha = kwargs.pop("alpha")
            if negative_slope is not _LEAKY_DEFAULT:
                raise bad_value("LeakyReLU", "alpha", "left out when negative_slope is given (alpha is the "
                                "old tf.keras spelling of negative_slope)", alpha)
            warnings.warn("LeakyReLU: `alpha` is the old tf.keras spelling; use `negative_slope`.",
                          DeprecationWarning, stacklevel=2)
            negative_slope = alpha
        self.negative_slope = float(check_number("LeakyReLU", "negative_slope", negative_slope, low=0))
        super().__init__(**kwargs)

    def arguments(self):
        return {"negative_slope": self.negative_slope}


@REGISTRY.register()
class PReLU(Layer):
    """Parametric ReLU with a learned slope `alpha`:

        y = relu(x) - alpha * relu(-x)     (x for x >= 0, alpha * x for x < 0)

    Arguments: alpha_initializer="zeros" (the layer starts as a ReLU), alpha_regularizer=None,
    alpha_constraint=None, shared_axes=None (axes, counted from 1 as the batch axis is 0, that
    share one alpha: [1, 2] gives one per channel of (N, H, W, C) images). Weight `alpha` has shape
    input_shape[1:] with the shared axes set to 1; output shape = input shape. Gradients:
    dx = dy where x > 0 else alpha * dy; dalpha = sum of dy * min(x, 0) over batch and shared axes.

    Example:
        layer = PReLU(shared_axes=[1, 2])
        layer(np.zeros((8, 28, 28, 3))).shape  # alpha has shape (1, 1, 3)

    Differs from PyTorch: nn.PReLU initializes alpha to 0.25 and shares one alpha over all inputs
    by default (num_parameters=1); Keras starts from 0 with one alpha per input element.
    """

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        self.alpha_initializer = initializers_module.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        self.shared_axes = _axes_from_one("PReLU", shared_axes)
        super().__init__(**kwargs)

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes:
            if axis > len(shape):
                raise bad_value(self.name, "shared_axes", f"axes between 1 and {len(shape)} for inputs "
                                f"of shape {tuple(input_shape)}", list(self.shared_axes))
            shape[axis - 1] = 1
        if None in shape:
            raise ValueError(f"{self.name}: every axis but the batch axis and shared_axes must be known; "
                             f"got inputs of shape {tuple(input_shape)}.")
        self.alpha = self.add_weight("alpha", tuple(shape), self.alpha_initializer, self.alpha_regularizer,
                                     self.alpha_constraint)

    def call(self, inputs, training=None):
        xp = backend.xp
        outputs = xp.maximum(inputs, 0) + self.alpha.value * xp.minimum(inputs, 0)  # relu(x) - alpha relu(-x)
        if backend.backward_enabled():
            self._inputs = inputs
        return outputs

    def backward(self, grad):
        xp = backend.xp
        x, alpha = self._inputs, self.alpha
        if alpha.grad is not None:
            # dalpha = sum over the batch and shared axes of dy * min(x, 0)
            alpha.grad[...] = xp.sum(grad * xp.minimum(x, 0), axis=(0,) + self.shared_axes, keepdims=True)[0]
        self._inputs = None
        if not self._input_grad_needed:
            return None
        return xp.where(x > 0, grad, alpha.value * grad)

    def get_config(self):
        return {**super().get_config(),
                "alpha_initializer": initializers_module.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "alpha_constraint": constraints.serialize(self.alpha_constraint),
                "shared_axes": list(self.shared_axes) or None}


@REGISTRY.register()
class RReLU(Layer):
    """Randomized leaky ReLU (Xu et al. 2015), as PyTorch's nn.RReLU; Keras has no such layer.

        y = x for x >= 0, a * x for x < 0
        training:  a ~ U(lower, upper), drawn anew for every element at every call
        inference: a = (lower + upper) / 2   (11/48 = 0.2291667 with the defaults)

    Arguments: lower=1/8, upper=1/3 (0 <= lower <= upper), seed=None (seeds `self.generator`;
    None draws a seed from the library's generator). The gradient uses the slope drawn in the
    forward pass. Input and output shapes are equal.

    Example:
        layer = RReLU(seed=0)
        layer(np.array([[-1.0, 2.0]]), training=True)  # [[-a, 2.]] with a in [1/8, 1/3]

    PyTorch's functional `F.rrelu` defaults to training=False (the fixed mean slope).
    """

    def __init__(self, lower=0.125, upper=1 / 3, seed=None, **kwargs):
        self.lower = float(check_number("RReLU", "lower", lower, low=0))
        self.upper = float(check_number("RReLU", "upper", upper, low=self.lower))
        self.seed = check_number("RReLU", "seed", seed, low=0, integer=True, allow_none=True)
        super().__init__(**kwargs)
        self.generator = backend.new_generator(seed)

    def call(self, inputs, training=None):
        # a ~ U(lower, upper) through Generator.random, which NumPy and CuPy generators both offer
        a = (self.lower + (self.upper - self.lower) * self.generator.random(inputs.shape) if training
             else (self.lower + self.upper) / 2)
        slope = backend.xp.where(inputs >= 0, 1, a).astype(inputs.dtype, copy=False)  # dy/dx
        if backend.backward_enabled():
            self._slope = slope
        return slope * inputs

    def backward(self, grad):
        dx = grad * self._slope
        self._slope = None
        return dx

    def get_config(self):
        return {**super().get_config(), "lower": self.lower, "upper": self.upper, "seed": self.seed}


@REGISTRY.register()
class ELU(_FunctionLayer):
    """Exponential linear unit (`activations.elu`): y = x for x > 0, alpha * (exp(x) - 1) otherwise.

    Arguments: alpha=1.0 (y tends to -alpha for very negative x). Input and output shapes are
    equal. The backward pass reads the slope from the output (y + alpha below 0), so keeps only y.

    Example:
        layer = ELU(alpha=1.0)
        layer(np.array([[-1.0, 2.0]]))  # [[-0.6321, 2.]]

    Same default as PyTorch's nn.ELU (alpha=1.0).
    """

    function = staticmethod(activations.elu)

    def __init__(self, alpha=1.0, **kwargs):
        self.alpha = float(check_number("ELU", "alpha", alpha))
        super().__init__(**kwargs)

    def arguments(self):
        return {"alpha": self.alpha}


@REGISTRY.register()
class Softmax(_FunctionLayer):
    """Softmax (`activations.softmax`) along `axis`: y_i = exp(x_i - max x) / sum_j exp(x_j - max x).

    Arguments: axis=-1 (an axis, or a list of axes normalized together); output shape = input
    shape. Last before a cross-entropy loss (axis=-1), it takes the fused path: the loss hands
    back probabilities minus targets, and this layer passes them through.

    Example:
        layer = Softmax()
        layer(np.array([[0.0, math.log(3.0)]]))  # [[0.25, 0.75]]

    PyTorch's nn.Softmax has no default dim (it must be given). Keras's call `mask` is not supported.
    """

    function = staticmethod(activations.softmax)

    def __init__(self, axis=-1, **kwargs):
        self.axis = _axis_or_axes(axis)
        super().__init__(**kwargs)

    def build(self, input_shape):
        for axis in (self.axis if isinstance(self.axis, tuple) else (self.axis,)):
            if not -len(input_shape) <= axis < len(input_shape):
                raise bad_value(self.name, "axis", f"an axis of inputs of shape {tuple(input_shape)}", axis)

    def arguments(self):
        return {"axis": self.axis}

    @property
    def output_activation(self):  # the fused cross-entropy path normalizes over the last axis only
        last = self.axis == -1 or (self.built and self.axis == len(self._build_input_shape) - 1)
        return self.function if last else None

    def get_config(self):
        return {**super().get_config(), "axis": list(self.axis) if isinstance(self.axis, tuple) else self.axis}


def _axes_from_one(where, shared_axes):
    """shared_axes as a sorted tuple of distinct axes >= 1 (None -> ())."""
    axes = () if shared_axes is None else (shared_axes,) if isinstance(shared_axes, numbers.Integral) else shared_axes
    return tuple(sorted({int(check_number(where, "shared_axes", axis, low=1, integer=True)) for axis in axes}))


def _axis_or_axes(axis):
    """An integer axis, or a tuple of them from a non-empty list."""
    if isinstance(axis, (list, tuple)):
        if not axis:
            raise bad_value("Softmax", "axis", "an integer or a non-empty list of integers", axis)
        return tuple(int(check_number("Softmax", "axis", entry, integer=True)) for entry in axis)
    return int(check_number("Softmax", "axis", axis, integer=True))
