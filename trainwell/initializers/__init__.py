"""Weight initializers (Keras 3 names, defaults and math) and their string-name lookup.

`base` holds the Initializer class, compute_fans, the constants and the plain random draws;
`variance_scaling` the fan-scaled family (Glorot, He, LeCun); `orthogonal` Orthogonal and
Identity. Every public name is importable from `trainwell.initializers`.
"""
from trainwell import _registry
from trainwell._errors import bad_type
from trainwell.initializers.base import (REGISTRY, TRUNCATED_STD_FACTOR, Constant, Initializer, Ones,
                                         RandomInitializer, RandomNormal, RandomUniform, TruncatedNormal, Zeros,
                                         compute_fans)
from trainwell.initializers.orthogonal import Identity, Orthogonal
from trainwell.initializers.variance_scaling import (GlorotNormal, GlorotUniform, HeNormal, HeUniform,
                                                     LecunNormal, LecunUniform, VarianceScaling)

__all__ = ["REGISTRY", "TRUNCATED_STD_FACTOR", "Constant", "GlorotNormal", "GlorotUniform", "HeNormal",
           "HeUniform", "Identity", "Initializer", "LecunNormal", "LecunUniform", "Ones", "Orthogonal",
           "RandomInitializer", "RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling", "Zeros",
           "compute_fans", "deserialize", "get", "serialize"]


def get(identifier):
    """An initializer from a name, a `serialize` dict, an instance, a class or a callable.

    None -> None; 'he_normal' (or 'HeNormal') -> a new HeNormal() (so each layer gets its own
    seed); a dict -> `deserialize`; an Initializer or a callable `f(shape, dtype=None)` -> itself;
    an Initializer subclass -> a new instance with Keras's defaults.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        return REGISTRY.lookup(identifier, "initializers.get")()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type):
        if issubclass(identifier, Initializer):
            return identifier()
        raise bad_type("initializers.get", "identifier", "an Initializer subclass", identifier)
    if callable(identifier):
        return identifier
    raise bad_type("initializers.get", "identifier",
                   "None, a name, a config dict, an Initializer or a callable f(shape, dtype=None)",
                   identifier)


def serialize(initializer):
    """{'class_name': ..., 'config': ...} for an Initializer (None -> None)."""
    if initializer is None:
        return None
    if not isinstance(initializer, Initializer):
        raise bad_type("initializers.serialize", "initializer", "an Initializer instance", initializer)
    return _registry.serialize(initializer)


def deserialize(config, custom_objects=None):
    """The initializer `serialize` described; builds only registered classes or custom_objects."""
    return _registry.deserialize(REGISTRY, config, "initializers.deserialize", custom_objects)
