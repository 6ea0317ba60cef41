"""clone_model: a new model with the same architecture and fresh weights (Keras's `models.clone_model`)."""
from trainwell._errors import bad_type, bad_value
from trainwell.layers.base import Layer
from trainwell.layers.core import InputLayer
from trainwell.models.sequential import Sequential


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False):
    """A new Sequential with the same layers rebuilt from their configs: new, freshly initialized
    weights (not copied), no compile state, the same names and `trainable` flags.

    Each layer is rebuilt as `clone_function(layer)`, by default
    `layer.__class__.from_config(layer.get_config())`; nested Sequential models are cloned the same
    way. Random initializers built without a seed draw a new one, so the clone starts from different
    weights. To copy the weights too (the usual transfer-learning idiom):

        clone = clone_model(model)
        clone.set_weights(model.get_weights())
        clone.compile(...)

    The clone shares nothing with `model`: training one leaves the other unchanged. Layers whose
    config holds a plain function (a lambda constraint) cannot be rebuilt; give a `clone_function`.
    Arguments as Keras; `input_tensors`, `call_function` and `recursive` exist there for functional
    models, which trainwell does not have yet, and must be left at their defaults.
    """
    where = "clone_model"
    if not isinstance(model, Sequential):
        raise bad_type(where, "model", "a Sequential model", model)
    for argument, value in (("input_tensors", input_tensors), ("call_function", call_function)):
        if value is not None:
            raise bad_value(where, argument, "None (trainwell has Sequential models only)", value)
    if recursive not in (False, None):
        raise bad_value(where, "recursive", "False (nested Sequential models are always cloned)", recursive)
    if clone_function is not None and not callable(clone_function):
        raise bad_type(where, "clone_function", "a function layer -> new layer", clone_function)
    clone_function = clone_function or _rebuild
    layers = []
    for layer in model.layers:
        new_layer = clone_model(layer, clone_function=clone_function) if isinstance(layer, Sequential) \
            else clone_function(layer)
        if not isinstance(new_layer, Layer):
            raise bad_type(where, "clone_function", f"a function returning a Layer for layer {layer.name!r}",
                           new_layer)
        layers.append(new_layer)
    if model._input_shape is not None:
        layers.insert(0, InputLayer(shape=model._input_shape))
    return Sequential(layers, name=model.name, trainable=model.trainable)


def _rebuild(layer):
    return layer.__class__.from_config(layer.get_config())
