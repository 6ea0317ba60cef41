"""Sequential: a stack of layers, each feeding the next; a model that is also a layer."""
from trainwell._errors import bad_type
from trainwell.layers.base import REGISTRY, Layer
from trainwell.layers.core import InputLayer
from trainwell.models.training import Model


@REGISTRY.register()
class Sequential(Model):
    """A linear stack of layers: `outputs = layer_n(... layer_1(inputs))`.

    Arguments: layers=None (a list of layers; an `Input`/`InputLayer` or `input_shape=` on the
    first layer fixes the input shape and builds the model at once), name=None, trainable=True.
    A layer object placed in two models is shared: both compute with the same weights, as in
    Keras (`Sequential(model_a.layers[:-1] + [Dense(1)])` reuses model A's layers).
    Example:
        model = Sequential([Input(shape=(28, 28)), Flatten(), Dense(300, activation="relu"),
                            Dense(10, activation="softmax")])
    """

    def __init__(self, layers=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._layers = []
        self._input_shape = None
        for layer in layers or []:
            self.add(layer)

    # ----- structure --------------------------------------------------------------------------
    def add(self, layer):
        """Append a layer; the first may declare the input shape (then the model builds now)."""
        if not isinstance(layer, Layer):
            raise bad_type(f"{self.name}.add", "layer", "a trainwell Layer", layer)
        if isinstance(layer, InputLayer):
            if self._layers or self._input_shape is not None:
                raise ValueError(f"{self.name}.add: an Input may only come first.")
            self._input_shape = layer.shape
        else:
            if not self._layers and self._input_shape is None and layer.input_shape_hint is not None:
                self._input_shape = layer.input_shape_hint
            self._layers.append(layer)
        self.built = False
        if self._input_shape is not None and None not in self._input_shape:
            self.build((None,) + tuple(self._input_shape))

    def pop(self):
        """Remove and return the last layer."""
        if not self._layers:
            raise IndexError(f"{self.name}.pop: the model has no layers.")
        layer = self._layers.pop()
        self.built = False
        if self._layers and self._input_shape is not None:
            self.build((None,) + tuple(self._input_shape))
        return layer

    @property
    def layers(self):
        return list(self._layers)

    def _sublayers(self):
        return self._layers

    def leaf_layers(self):
        """The layers in execution order, with nested Sequential models opened up."""
        leaves = []
        for layer in self._layers:
            leaves.extend(layer.leaf_layers() if isinstance(layer, Sequential) else [layer])
        return leaves

    def build(self, input_shape):
        shape = (None,) + tuple(input_shape[1:])
        self._build_input_shape = shape
        self._output_shapes = []
        for layer in self._layers:
            layer.build_for(shape)
            shape = layer.compute_output_shape(shape)
            self._output_shapes.append(shape)
        self.built = True
        if self._input_shape is None:
            self._input_shape = tuple(input_shape[1:])

    def build_for(self, input_shape):
        if not self.built:
            self.build(input_shape)
        else:
            self.check_input_shape((None,) + tuple(input_shape[1:]))

    def compute_output_shape(self, input_shape):
        for layer in self._layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    # ----- forward and backward ---------------------------------------------------------------
    def call(self, inputs, training=None):
        x = inputs
        for layer in self._layers:
            x = layer(x, training=training)
        return x

    def backward(self, grad):
        return self._backward_layers(grad, self.leaf_layers(), fused=False)

    def backward_pre_activation(self, dz):
        return self._backward_layers(dz, self.leaf_layers(), fused=True)

    @property
    def output_activation(self):
        return getattr(self._layers[-1], "output_activation", None) if self._layers else None

    def get_config(self):
        from trainwell._registry import serialize  # noqa: PLC0415  (avoid an import cycle)
        layers = [serialize(layer) for layer in self._layers]
        if self._input_shape is not None:
            layers.insert(0, {"class_name": "InputLayer", "config": {"shape": list(self._input_shape)}})
        return {"name": self.name, "trainable": self.trainable, "layers": layers}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from trainwell._registry import deserialize  # noqa: PLC0415
        layers = [deserialize(REGISTRY, layer, "Sequential.from_config", custom_objects)
                  for layer in config.get("layers", [])]
        return cls(layers=layers, name=config.get("name"), trainable=config.get("trainable", True))
