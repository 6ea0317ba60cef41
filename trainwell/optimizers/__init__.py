"""Optimizers: one small file per update rule on the flat parameter buffer; names as Keras."""
from trainwell._errors import bad_type
from trainwell._registry import deserialize as _deserialize
from trainwell._registry import serialize
from trainwell.optimizers import schedules  # noqa: F401
from trainwell.optimizers.adagrad import Adagrad
from trainwell.optimizers.adam import Adam
from trainwell.optimizers.adamax import Adamax
from trainwell.optimizers.adamw import AdamW
from trainwell.optimizers.base import REGISTRY, Optimizer
from trainwell.optimizers.nadam import Nadam
from trainwell.optimizers.rmsprop import RMSprop
from trainwell.optimizers.sgd import SGD

__all__ = ["Adagrad", "Adam", "AdamW", "Adamax", "Nadam", "Optimizer", "RMSprop", "SGD", "get", "serialize",
           "deserialize", "schedules"]


def get(identifier):
    """An optimizer from a name ('adam', 'rmsprop', 'nadam', ... case-insensitive, Keras defaults), a config
    or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        lowered = {name.lower(): name for name in REGISTRY.names()}
        name = lowered.get(identifier.lower(), identifier)
        return REGISTRY.lookup(name, "optimizers.get")()
    raise bad_type("optimizers.get", "identifier", "an optimizer name, config or instance", identifier)


def deserialize(config, custom_objects=None):
    return _deserialize(REGISTRY, config, "optimizers.deserialize", custom_objects)
