"""Losses: per-sample values and their gradients side by side, one reduction, fused softmax/sigmoid paths.

`base` holds the Loss class, its reductions and the label/weight alignment helpers; `regression`
and `crossentropy` hold the losses. Every public name is importable from `trainwell.losses`.
"""
from trainwell import _registry
from trainwell._errors import bad_type
from trainwell.losses.base import (REDUCTIONS, REGISTRY, Loss, broadcast_sample_weight,
                                   squeeze_or_expand_to_same_rank)
from trainwell.losses.crossentropy import (PROBABILITY_CLIP, BinaryCrossentropy, CategoricalCrossentropy,
                                           SparseCategoricalCrossentropy)
from trainwell.losses.regression import Huber, MeanAbsoluteError, MeanSquaredError

__all__ = ["PROBABILITY_CLIP", "REDUCTIONS", "REGISTRY", "BinaryCrossentropy", "CategoricalCrossentropy", "Huber",
           "Loss", "MeanAbsoluteError", "MeanSquaredError", "SparseCategoricalCrossentropy",
           "broadcast_sample_weight", "deserialize", "get", "serialize", "squeeze_or_expand_to_same_rank"]


def get(identifier):
    """A loss from a name, a `serialize` dict, a Loss instance or a Loss subclass.

    'mse' (or 'MeanSquaredError', 'mean_squared_error') -> a new MeanSquaredError() with Keras's
    defaults; a dict -> `deserialize`; a Loss -> itself; a Loss subclass -> a new instance.
    A plain function f(y_true, y_pred) is refused: trainwell has no automatic differentiation.
    """
    where = "losses.get"
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        return REGISTRY.lookup(identifier, where)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        raise bad_type(where, "loss", "a loss name, a Loss instance or a config dict", identifier,
                       "trainwell has no automatic differentiation, so a loss needs its gradient: subclass "
                       "trainwell.losses.Loss and define call(y_true, y_pred) and call_gradient(y_true, y_pred).")
    raise bad_type(where, "loss", "a loss name, a Loss instance or a config dict", identifier)


def serialize(loss):
    """{'class_name': ..., 'config': ...} for a Loss."""
    if not isinstance(loss, Loss):
        raise bad_type("losses.serialize", "loss", "a Loss instance", loss)
    return _registry.serialize(loss)


def deserialize(config, custom_objects=None):
    """The loss `serialize` described; builds only registered classes or custom_objects."""
    return _registry.deserialize(REGISTRY, config, "losses.deserialize", custom_objects)

