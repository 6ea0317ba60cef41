"""Layer: the base of every layer and model (weights, build, call/backward, config, training flag)."""
import inspect
import re

from trainwell import backend, constraints, regularizers
from trainwell import initializers as initializers_module
from trainwell._errors import bad_type, bad_value
from trainwell._registry import Registry
from trainwell.layers.variable import Variable

REGISTRY = Registry("layer")
_BASE_KWARGS = ("name", "trainable", "dtype", "input_shape", "input_dim", "batch_input_shape", "batch_size",
                "activity_regularizer")


class Layer:
    """The base layer: holds weights made by `add_weight`, builds lazily, runs `call` and `backward`.

    Contract (DESIGN §4): `build(input_shape)` creates weights; `call(inputs, training=None)` is the
    forward pass; `backward(grad)` returns the gradient w.r.t. the input and writes each weight's
    gradient into `variable.grad` (a view into the model's flat gradient buffer); `get_config()`
    returns the constructor arguments. `layer(x, training=...)` builds on first use and returns an array.

    A layer keeps on `self` what its next `backward` needs only while `backend.recording()` is on
    (the training step), for one pending backward; a second call before that backward is refused.

    Base keyword arguments (all layers): name=None (unique snake_case class name), trainable=True,
    dtype=None (floatx), input_shape=None / input_dim=None (the tf.keras way to give the first
    layer of a Sequential its input shape, without the batch axis), activity_regularizer=None
    (a penalty on the layer's output: `regularizer(outputs) / batch size`, added to the loss on every
    call, in training and evaluation, as Keras does; `layer.losses` lists it with the weights' penalties).
    """

    def __init__(self, name=None, trainable=True, dtype=None, input_shape=None, input_dim=None,
                 batch_input_shape=None, batch_size=None, activity_regularizer=None, **kwargs):
        if kwargs:
            unknown = ", ".join(sorted(kwargs))
            raise TypeError(f"{type(self).__name__}: unknown keyword argument(s): {unknown}.")
        if name is not None and not isinstance(name, str):
            raise bad_type(type(self).__name__, "name", "a string", name)
        self.name = name or backend.unique_name(_snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.dtype = dtype
        self.built = False
        self._own_weights = []
        self._build_input_shape = None
        self._pending_backward = False
        self._input_grad_needed = True
        self.input_shape_hint = _input_shape_hint(input_shape, input_dim, batch_input_shape)
        self.activity_regularizer = activity_regularizer

    # ----- weights --------------------------------------------------------------------------
    def add_weight(self, name, shape, initializer="glorot_uniform", regularizer=None, constraint=None,
                   trainable=True, dtype=None):
        """Create a weight of `shape` filled by `initializer`; returns its Variable.

        `regularizer` (a name or a Regularizer) adds its penalty to the loss while the weight is
        trainable; `constraint` (a name, a Constraint or a function) projects it after every step.
        """
        init = initializers_module.get(initializer)
        regularizer, constraint = regularizers.get(regularizer), constraints.get(constraint)
        value = backend.cast(init(tuple(shape), dtype=dtype or self.dtype or backend.floatx()),
                             dtype or self.dtype or backend.floatx())
        variable = Variable(value, name, trainable=trainable, regularizer=regularizer, constraint=constraint)
        variable.path = f"{self.name}/{name}"
        self._own_weights.append(variable)
        return variable

    def _sublayers(self):
        """Layers this layer is made of (models override this)."""
        return []

    @property
    def weights(self):
        """Own trainable, then own non-trainable weights, then those of sub-layers (Keras order)."""
        own = [v for v in self._own_weights if v.trainable] + [v for v in self._own_weights if not v.trainable]
        return _unique(own + [w for layer in self._sublayers() for w in layer.weights])

    @property
    def trainable_weights(self):
        """The weights an optimizer updates: none if this layer is frozen."""
        if not self.trainable:
            return []
        own = [v for v in self._own_weights if v.trainable]
        return _unique(own + [w for layer in self._sublayers() for w in layer.trainable_weights])

    @property
    def non_trainable_weights(self):
        trainable = {id(v) for v in self.trainable_weights}
        return [v for v in self.weights if id(v) not in trainable]

    @property
    def variables(self):
        return self.weights

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for layer in self._sublayers():
            layer.trainable = value

    @property
    def activity_regularizer(self):
        """The penalty on this layer's output (None: none); settable, as in Keras."""
        return self._activity_regularizer

    @activity_regularizer.setter
    def activity_regularizer(self, value):
        self._activity_regularizer = regularizers.get(value)
        self._activity_penalty = self._activity_outputs = None

    @property
    def losses(self):
        """The current penalty terms, as floats: the activity penalties of the last call (this layer's
        and its sub-layers'), then `regularizer(weight)` for each trainable weight that has one.

        A frozen layer's weight penalties drop out, as in Keras. The engine adds the same terms to
        the data loss in fit's 'loss', in 'val_loss' and in evaluate.
        """
        terms = [layer._activity_penalty for layer in _walk(self) if layer._activity_penalty is not None]
        return terms + [v.regularizer(v.value) for v in self.trainable_weights if v.regularizer is not None]

    def count_params(self):
        """The number of scalars in all weights."""
        if not self.built:
            raise ValueError(f"{self.name}: count_params needs a built layer; call it on data or build it first.")
        return sum(v.size for v in self.weights)

    def get_weights(self):
        """NumPy copies of `weights`, in order."""
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights):
        """Assign a list of arrays to `weights` in order; counts and shapes must match (checked first)."""
        variables = self.weights
        weights = list(weights)
        if len(weights) != len(variables):
            raise bad_value(f"{self.name}.set_weights", "weights", f"a list of {len(variables)} arrays",
                            f"a list of {len(weights)} arrays")
        for variable, value in zip(variables, weights):
            if tuple(getattr(value, "shape", ())) != variable.shape:
                raise ValueError(f"{self.name}.set_weights: weight {variable.path!r} has shape {variable.shape}; "
                                 f"got an array of shape {tuple(getattr(value, 'shape', ()))}.")
        for variable, value in zip(variables, weights):
            variable.assign(value)

    # ----- build, call, backward -----------------------------------------------------------
    def build(self, input_shape):
        """Create the weights for inputs of `input_shape` (batch axis None). Default: none."""

    def compute_output_shape(self, input_shape):
        """The output shape for `input_shape` (batch axis None). Default: unchanged."""
        return tuple(input_shape)

    def build_for(self, input_shape):
        """Build once for `input_shape`; later shapes must agree on every non-batch axis."""
        if self.built:
            self.check_input_shape(tuple(input_shape))
            return
        input_shape = (None,) + tuple(input_shape[1:])
        self.build(input_shape)
        self._build_input_shape = input_shape
        self.built = True

    def check_input_shape(self, input_shape):
        expected = self._build_input_shape
        if expected is None:
            return
        if len(input_shape) != len(expected) or any(
                e is not None and g is not None and e != g for e, g in zip(expected[1:], input_shape[1:])):
            raise ValueError(f"{self.name}: expected inputs of shape {expected} (batch axis first); "
                             f"got inputs of shape {tuple(input_shape)}.")

    def __call__(self, inputs, training=None):
        """Build on first use, check the shape, and run `call`; returns an array."""
        inputs = _as_input_array(inputs, self)
        self.build_for(inputs.shape)
        if backend.backward_enabled():
            if self._pending_backward:
                raise RuntimeError(
                    f"{self.name}: this layer object was called twice in one training step; trainwell keeps "
                    "one pending backward per layer. Use two layer objects (or clone the layer).")
            self._pending_backward = True
        if training is None or not _call_takes_training(type(self)):
            outputs = self.call(inputs)
        else:
            outputs = self.call(inputs, training=training)
        if self._activity_regularizer is not None:
            self._record_activity(outputs)
        return outputs

    def _record_activity(self, outputs):
        """Keep `regularizer(outputs) / batch size` (Keras's activity penalty) for `losses`, and the
        outputs for its gradient when a backward will follow."""
        batch = outputs.shape[0] if outputs.ndim else 0
        self._activity_penalty = self._activity_regularizer(outputs) / batch if batch else 0.0
        self._activity_outputs = outputs if backend.backward_enabled() and batch else None

    def call(self, inputs, training=None):
        """The forward pass. Default: identity."""
        return inputs

    def backward(self, grad):
        """Gradient w.r.t. the input of the last recorded `call`. Default: identity."""
        return grad

    def run_backward(self, grad):
        """Run `backward` for the pending call and release it.

        With an activity regularizer, the penalty's gradient w.r.t. the output,
        `regularizer.gradient(outputs) / batch size`, is added to `grad` (in a new array) first.
        """
        self._pending_backward = False
        outputs, self._activity_outputs = self._activity_outputs, None
        if outputs is not None:
            grad = grad + self._activity_regularizer.gradient(outputs) / outputs.shape[0]
        return self.backward(grad)

    def release(self):
        """Forget any pending backward (after a failed step)."""
        self._pending_backward = False
        self._activity_outputs = None
        for layer in self._sublayers():
            layer.release()

    # ----- config ---------------------------------------------------------------------------
    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable}
        if self.dtype is not None:
            config["dtype"] = self.dtype
        if self._activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self._activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} built={self.built}>"


def _snake_case(name):
    """Keras's layer-name rule: Dense -> dense, BatchNormalization -> batch_normalization,
    Conv2D -> conv2d, MaxPooling2D -> max_pooling2d, ReLU -> re_lu."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _walk(layer):
    """`layer` and every layer inside it, depth first."""
    yield layer
    for sublayer in layer._sublayers():
        yield from _walk(sublayer)


def _unique(variables):
    seen, result = set(), []
    for variable in variables:
        if id(variable) not in seen:
            seen.add(id(variable))
            result.append(variable)
    return result


def _input_shape_hint(input_shape, input_dim, batch_input_shape):
    if batch_input_shape is not None:
        return tuple(batch_input_shape)[1:]
    if input_shape is not None:
        return (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
    if input_dim is not None:
        return (input_dim,)
    return None


_TAKES_TRAINING = {}


def _call_takes_training(cls):
    if cls not in _TAKES_TRAINING:
        parameters = inspect.signature(cls.call).parameters
        _TAKES_TRAINING[cls] = "training" in parameters or any(
            p.kind is p.VAR_KEYWORD for p in parameters.values())
    return _TAKES_TRAINING[cls]


def _as_input_array(inputs, layer):
    xp = backend.xp
    if isinstance(inputs, xp.ndarray) and inputs.dtype.kind == "f":
        return inputs
    try:
        array = xp.asarray(inputs)
    except (TypeError, ValueError) as error:
        raise bad_type(layer.name, "inputs", "an array of numbers", inputs) from error
    if array.dtype.kind not in "fiub":
        raise bad_type(layer.name, "inputs", "an array of numbers", inputs)
    return array.astype(layer.dtype or backend.floatx(), copy=False)
