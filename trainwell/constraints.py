"""Weight constraints: projections the optimizer applies after every step (MaxNorm, NonNeg, UnitNorm, MinMaxNorm)."""
import numbers

from trainwell import _registry, backend
from trainwell._errors import bad_type, bad_value, check_number

REGISTRY = _registry.Registry("constraint")


class Constraint:
    """Base class: `constraint(w)` returns the projected weight (a new array shaped like `w`).

    The optimizer applies a variable's constraint after each update (after clipping, weight decay
    and the rule's step), as Keras does; never at initialization. A subclass implements
    `__call__(w)` and `get_config()`. A plain function `w -> w'` is accepted too, but a layer
    holding one cannot write its config (subclass Constraint for that).
    """

    def __call__(self, w):
        return w

    def get_config(self):
        """The constructor arguments, as a JSON-friendly dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@REGISTRY.register("max_norm")
class MaxNorm(Constraint):
    """Caps the L2 norm of each slice along `axis`: `w · clip(‖w‖, 0, max_value) / (ε + ‖w‖)`, ε = 1e-7.

    Arguments: max_value=2 (>= 0); axis=0 (an int or a list of ints: the axes the norm runs over).
    For a Dense kernel (inputs, units), axis=0 bounds each unit's incoming weight vector; for a
    Conv2D kernel (kh, kw, channels, filters), axis=[0, 1, 2] bounds each filter. Because of ε, a
    slice already inside the ball still shrinks by the factor ‖w‖/(ε + ‖w‖) (about 1 − 1e-7/‖w‖).
    Example: `Dense(100, kernel_constraint=max_norm(1.0))`. PyTorch has no constraint argument;
    its `torch.renorm` does the same projection by hand.
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = check_number("MaxNorm", "max_value", max_value, low=0)
        self.axis = _check_axis("MaxNorm", axis)

    def __call__(self, w):
        xp = backend.xp
        norms = _norms(w, self.axis)
        return w * (xp.clip(norms, 0, self.max_value) / (backend.epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": _axis_config(self.axis)}


@REGISTRY.register("non_neg")
class NonNeg(Constraint):
    """Clamps every entry at zero from below: `max(w, 0)`. No arguments.

    Example: `Dense(10, kernel_constraint=non_neg())`.
    """

    def __call__(self, w):
        return backend.xp.maximum(w, 0)


@REGISTRY.register("unit_norm")
class UnitNorm(Constraint):
    """Scales each slice along `axis` to unit L2 norm: `w / (ε + ‖w‖)`, ε = 1e-7.

    Arguments: axis=0 (an int or a list of ints, as MaxNorm). Example: `kernel_constraint=unit_norm()`.
    """

    def __init__(self, axis=0):
        self.axis = _check_axis("UnitNorm", axis)

    def __call__(self, w):
        return w / (backend.epsilon() + _norms(w, self.axis))

    def get_config(self):
        return {"axis": _axis_config(self.axis)}


@REGISTRY.register("min_max_norm")
class MinMaxNorm(Constraint):
    """Pulls each slice's L2 norm into [min_value, max_value], at speed `rate`:

        desired = rate · clip(‖w‖, min_value, max_value) + (1 − rate) · ‖w‖
        w ← w · desired / (ε + ‖w‖),   ε = 1e-7

    Arguments: min_value=0.0, max_value=1.0 (0 <= min_value <= max_value), rate=1.0 (in [0, 1]:
    1 projects at once, smaller values move part of the way each step), axis=0 (int or list).
    Example: `kernel_constraint=min_max_norm(0.5, 2.0, rate=0.5)`.
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = check_number("MinMaxNorm", "min_value", min_value, low=0)
        self.max_value = check_number("MinMaxNorm", "max_value", max_value, low=min_value)
        self.rate = check_number("MinMaxNorm", "rate", rate, low=0, high=1)
        self.axis = _check_axis("MinMaxNorm", axis)

    def __call__(self, w):
        xp = backend.xp
        norms = _norms(w, self.axis)
        desired = self.rate * xp.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (backend.epsilon() + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": _axis_config(self.axis)}


max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm


def get(identifier):
    """A constraint from None, a name ('max_norm', 'non_neg', 'unit_norm', 'min_max_norm' or the
    class names), a `serialize` dict, an instance, a Constraint subclass or a plain callable."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        return REGISTRY.lookup(identifier, "constraints.get")()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Constraint):
        return identifier()
    if callable(identifier) and not isinstance(identifier, type):
        return identifier
    raise bad_type("constraints.get", "identifier", "None, a name, a config dict, a Constraint or a callable w -> w",
                   identifier)


def serialize(constraint):
    """{'class_name': ..., 'config': ...} for a Constraint (None -> None); a plain function cannot be written."""
    if constraint is None:
        return None
    if not isinstance(constraint, Constraint):
        raise bad_type("constraints.serialize", "constraint", "a Constraint instance", constraint,
                       "Subclass trainwell.constraints.Constraint (with get_config) to save or clone it.")
    return _registry.serialize(constraint)


def deserialize(config, custom_objects=None):
    """The constraint `serialize` described; builds only registered classes or custom_objects."""
    return _registry.deserialize(REGISTRY, config, "constraints.deserialize", custom_objects)


def _norms(w, axis):
    """‖w‖ over `axis`, kept as size-1 axes so it broadcasts against w."""
    xp = backend.xp
    return xp.sqrt(xp.sum(w * w, axis=axis, keepdims=True))


def _check_axis(where, axis):
    """An int, or a tuple of ints for a list of axes."""
    if isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
        return int(axis)
    if isinstance(axis, (list, tuple)) and axis and all(
            isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axis):
        if len(set(axis)) != len(axis):
            raise bad_value(where, "axis", "distinct axes", list(axis))
        return tuple(int(a) for a in axis)
    raise bad_type(where, "axis", "an int or a non-empty list of ints", axis)


def _axis_config(axis):
    return list(axis) if isinstance(axis, tuple) else axis
