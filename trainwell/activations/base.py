"""The machinery every activation shares: the registry, `derivative_of`, `get`/`serialize`/`deserialize`,
and the two activations that are not curves of a family, linear and exponential."""
import functools

from trainwell import backend
from trainwell._errors import bad_type, bad_value
from trainwell._registry import Registry

REGISTRY = Registry("activation")
_ATTACHED = ("derivative", "needs_input", "input_needed")


def derivative_of(function, needs_input=True):
    """Decorator: attach `derivative(grad, x, y, **kwargs) -> grad * dy/dx` to `function`.

    trainwell has no automatic differentiation, so every activation carries its derivative. It
    receives the upstream gradient, the input x, the output y and the function's own keyword
    arguments; it returns a new array and never writes into `grad`. `needs_input=False` declares
    that y suffices, so layers pass x=None; it may instead be a predicate of the function's
    keyword arguments (`lambda alpha=1.0: alpha < 0`) when that depends on them. Sets
    `function.derivative`, `function.needs_input` (for the default arguments) and
    `function.input_needed(**kwargs)`; a call with x=None where x is needed raises ValueError.

    Example:
        def cube(x):
            return x ** 3

        @derivative_of(cube)
        def cube_derivative(grad, x, y):
            return grad * 3 * x ** 2
    """
    if not callable(function):
        raise bad_type("derivative_of", "function", "a callable activation", function)
    if not (callable(needs_input) or isinstance(needs_input, bool)):
        raise bad_type("derivative_of", "needs_input", "a bool or a predicate of keyword arguments",
                       needs_input)
    input_needed = needs_input if callable(needs_input) else (lambda *args, **kwargs: needs_input)

    def attach(derivative):
        @functools.wraps(derivative)
        def checked(grad, x, y, *args, **kwargs):
            if x is None and input_needed(*args, **kwargs):
                raise bad_value(derivative.__name__, "x", f"the input of {function.__name__} with "
                                "these arguments (its output alone does not give the slope)", x)
            return derivative(grad, x, y, *args, **kwargs)

        function.derivative = checked
        function.needs_input = bool(input_needed())
        function.input_needed = input_needed
        return checked
    return attach


def get(identifier):
    """The activation for a name, None (linear) or a function with a derivative attached.

    Unknown names raise ValueError listing the valid ones; a plain callable raises TypeError,
    since without a derivative it could not be trained. Example: `get("relu")(x)`.
    """
    if identifier is None:
        return REGISTRY.lookup("linear", "activations.get")
    if isinstance(identifier, str):
        return REGISTRY.lookup(identifier, "activations.get")
    if not callable(identifier):
        raise bad_type("activations.get", "activation", "a string name, None or a function",
                       identifier)
    if not all(hasattr(identifier, name) for name in _ATTACHED):
        name = getattr(identifier, "__name__", "")
        name = name if name.isidentifier() else "my_activation"
        raise bad_type(
            "activations.get", "activation", "a registered name or a function with a derivative",
            identifier, fix=f"trainwell has no automatic differentiation: attach the derivative "
            f"with the decorator trainwell.activations.derivative_of, as in "
            f"`@derivative_of({name})` above `def {name}_derivative(grad, x, y): "
            f"return grad * <d{name}/dx>`.")
    return identifier


def serialize(activation):
    """The activation's name (its canonical name for aliases: swish -> 'silu')."""
    if not callable(activation) or not hasattr(activation, "__name__"):
        raise bad_type("activations.serialize", "activation", "a named function", activation)
    return activation.__name__


def deserialize(name, custom_objects=None):
    """`get(name)`, also looking in `custom_objects` (name -> function with a derivative)."""
    if isinstance(name, str) and custom_objects and name in custom_objects:
        return get(custom_objects[name])
    return get(name)


@REGISTRY.register()
def linear(x):
    """Identity: `linear(x) = x` (returns x itself). `activation=None` means linear."""
    return x


@derivative_of(linear, needs_input=False)
def linear_derivative(grad, x, y):
    """grad (a copy)."""
    return grad.copy()


@REGISTRY.register()
def exponential(x):
    """`exp(x)`."""
    return backend.xp.exp(x)


@derivative_of(exponential, needs_input=False)
def exponential_derivative(grad, x, y):
    """grad * y, through the output."""
    return grad * y


def _mask(condition, like):
    """A 0/1 array in `like`'s dtype (a bool array times a Python float would become float64)."""
    return condition.astype(like.dtype)
