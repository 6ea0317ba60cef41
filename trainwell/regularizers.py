"""Weight and activity penalties: L1, L2, L1L2 (value and gradient), and their string-name lookup."""
from trainwell import _registry, backend
from trainwell._errors import bad_type, check_number

REGISTRY = _registry.Registry("regularizer")


class Regularizer:
    """Base class: `regularizer(x)` is the penalty (a float) and `regularizer.gradient(x)` its gradient.

    trainwell has no automatic differentiation, so a regularizer of your own gives both:

        class Smoothness(Regularizer):
            def __init__(self, factor=0.01):
                self.factor = factor
            def __call__(self, x):                  # factor·Σ (x[i+1] − x[i])²
                return float(self.factor * ((x[1:] - x[:-1]) ** 2).sum())
            def gradient(self, x):
                d = x[1:] - x[:-1]
                g = backend.xp.zeros_like(x)
                g[1:] += 2 * self.factor * d
                g[:-1] -= 2 * self.factor * d
                return g
            def get_config(self):
                return {"factor": self.factor}

    Pass an instance as `kernel_regularizer=`, `bias_regularizer=` or `activity_regularizer=`.
    Register it (`@trainwell.regularizers.REGISTRY.register()`) to rebuild it from a saved config.
    """

    def __call__(self, x):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(x) -> penalty.")

    def gradient(self, x):
        raise NotImplementedError(f"{type(self).__name__} must implement gradient(x) -> d penalty / dx.")

    def get_config(self):
        """The constructor arguments, as a JSON-friendly dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@REGISTRY.register()
class L1L2(Regularizer):
    """The elastic-net penalty `l1·Σ|x| + l2·Σx²`, gradient `l1·sign(x) + 2·l2·x`.

    Arguments: l1=0.0, l2=0.0 (Keras 3's class defaults: a bare `L1L2()` penalizes nothing);
    finite numbers >= 0. A zero factor's term is skipped. The subgradient of |x| at 0 is 0.
    The L2 term has no ½, as in Keras: its gradient is 2·l2·x, so `L2(0.01)` matches PyTorch's
    SGD `weight_decay=0.02` (PyTorch adds `weight_decay·w` to the gradient).
    Example: `Dense(64, kernel_regularizer=L1L2(l1=1e-5, l2=1e-4))`.
    """

    def __init__(self, l1=0.0, l2=0.0):
        where = type(self).__name__
        self.l1 = float(check_number(where, "l1", 0.0 if l1 is None else l1, low=0))
        self.l2 = float(check_number(where, "l2", 0.0 if l2 is None else l2, low=0))

    def __call__(self, x):
        xp = backend.xp
        penalty = 0.0
        if self.l1:
            penalty += self.l1 * float(xp.abs(x).sum())
        if self.l2:
            flat = x.reshape(-1)
            penalty += self.l2 * float(xp.dot(flat, flat))  # Σx² as one BLAS dot
        return penalty

    def gradient(self, x):
        xp = backend.xp
        if self.l1 and self.l2:
            g = xp.sign(x) * self.l1
            g += (2.0 * self.l2) * x
            return g
        if self.l1:
            return xp.sign(x) * self.l1
        return (2.0 * self.l2) * x

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


@REGISTRY.register("l1")
class L1(L1L2):
    """The lasso penalty `l1·Σ|x|`, gradient `l1·sign(x)` (0 at x = 0). Default l1=0.01.

    Drives weights to (near) zero: plain SGD leaves them jittering around 0 by about lr·l1
    rather than exactly at 0. Example: `Dense(100, kernel_regularizer=L1(1e-4))` or `"l1"`.
    """

    def __init__(self, l1=0.01):
        super().__init__(l1=0.01 if l1 is None else l1)

    def get_config(self):
        return {"l1": self.l1}


@REGISTRY.register("l2")
class L2(L1L2):
    """The ridge penalty `l2·Σx²` (no ½), gradient `2·l2·x`. Default l2=0.01.

    Differs from PyTorch: `weight_decay=λ` there adds λ·w to the gradient, so `L2(λ)` here
    equals PyTorch's `weight_decay=2λ` under plain SGD. Example: `kernel_regularizer=L2(1e-4)` or `"l2"`.
    """

    def __init__(self, l2=0.01):
        super().__init__(l2=0.01 if l2 is None else l2)

    def get_config(self):
        return {"l2": self.l2}


@REGISTRY.register()
def l1_l2(l1=0.01, l2=0.01):  # noqa: D401  (the tf.keras 2 function)
    """`L1L2(l1, l2)` with the textbooks' tf.keras 2 defaults 0.01 and 0.01; the string 'l1_l2' too.

    Keras 3 differs: there `l1_l2` is another name of the class, so `l1_l2()` penalizes nothing,
    and the string 'l1_l2' is unknown. The class `L1L2()` (and the string 'L1L2') keeps Keras 3's
    zero defaults here.
    """
    return L1L2(l1=l1, l2=l2)


l1 = L1
l2 = L2


def get(identifier):
    """A regularizer from None, a name, a `serialize` dict, an instance or a Regularizer subclass.

    Names: 'l1' and 'L1' -> L1(0.01); 'l2' and 'L2' -> L2(0.01); 'l1_l2' -> L1L2(0.01, 0.01) (tf.keras 2);
    'L1L2' -> L1L2(0, 0) (Keras 3). A class (or `l1_l2` uncalled) gives an instance with its defaults.
    A plain function is refused: trainwell needs the gradient too.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        return REGISTRY.lookup(identifier, "regularizers.get")()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if identifier is l1_l2:  # the tf.keras 2 function passed uncalled, like the classes L1 and L2
        return l1_l2()
    if isinstance(identifier, type) and issubclass(identifier, Regularizer):
        identifier = identifier()
    if isinstance(identifier, Regularizer):
        if type(identifier).gradient is Regularizer.gradient:
            raise bad_type("regularizers.get", "identifier", "a Regularizer that implements gradient(x)",
                           identifier, _HOW_TO)
        return identifier
    raise bad_type("regularizers.get", "identifier",
                   "None, a name ('l1', 'l2', 'l1_l2'), a config dict or a Regularizer", identifier,
                   _HOW_TO if callable(identifier) else None)


def serialize(regularizer):
    """{'class_name': ..., 'config': ...} for a Regularizer (None -> None)."""
    if regularizer is None:
        return None
    if not isinstance(regularizer, Regularizer):
        raise bad_type("regularizers.serialize", "regularizer", "a Regularizer instance", regularizer)
    return _registry.serialize(regularizer)


def deserialize(config, custom_objects=None):
    """The regularizer `serialize` described; builds only registered classes or custom_objects."""
    return _registry.deserialize(REGISTRY, config, "regularizers.deserialize", custom_objects)


_HOW_TO = ("trainwell has no automatic differentiation, so a penalty needs its gradient: subclass "
           "trainwell.regularizers.Regularizer and define __call__(x) (the penalty) and gradient(x) "
           "(an array shaped like x); see help(trainwell.regularizers.Regularizer).")
