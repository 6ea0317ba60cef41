"""The classic 2-D optimizer comparison: paths of SGD, momentum, AdaGrad and Adam on f(x, y) = x^2/20 + y^2.

The function is 20 times steeper along y than along x, so plain SGD zigzags across the valley,
momentum overshoots and swings back, and the adaptive rules rescale each coordinate. Every rule
runs through `apply_gradients` on a plain array: the same classes a model trains with.
"""
from trainwell import backend
from trainwell._errors import bad_type, bad_value, check_number
from trainwell.optimizers import SGD, Adagrad, Adam, Optimizer

START = (-7.0, 2.0)
STEPS = 30


def objective(x, y):
    """f(x, y) = x^2 / 20 + y^2 (works on numbers and on arrays, e.g. a contour grid)."""
    return x ** 2 / 20.0 + y ** 2


def gradient(point):
    """grad f at point (x, y): (x / 10, 2 y), as an array of the point's dtype."""
    xp = backend.xp
    return xp.asarray([point[0] / 10.0, 2.0 * point[1]], dtype=point.dtype)


def classic_optimizers():
    """The four rules and learning rates of the textbook figure, fresh on each call."""
    return {"SGD": SGD(learning_rate=0.95), "Momentum": SGD(learning_rate=0.1, momentum=0.9),
            "AdaGrad": Adagrad(learning_rate=1.5), "Adam": Adam(learning_rate=0.3)}


def optimizer_paths(optimizers=None, start=START, steps=STEPS):
    """Run each optimizer `steps` times from `start`; return {name: NumPy array of shape (steps + 1, 2)}.

    Row 0 is the start, row i the point after i updates (float64). `optimizers` maps names to
    unused optimizer instances; defaults to `classic_optimizers()`: SGD(0.95), SGD(0.1,
    momentum=0.9), Adagrad(1.5) and Adam(0.3), as in the textbook figure (Keras's forms: Adagrad's
    accumulator starts at 0.1, so its path differs slightly from a from-scratch AdaGrad's).
    Example: `paths = optimizer_paths(); plt.plot(*paths["Adam"].T)`.
    """
    xp = backend.xp
    where = "optimizer_paths"
    optimizers = classic_optimizers() if optimizers is None else optimizers
    if not isinstance(optimizers, dict) or not all(isinstance(o, Optimizer) for o in optimizers.values()):
        raise bad_type(where, "optimizers", "a dict of names to optimizer instances", optimizers)
    steps = check_number(where, "steps", steps, low=0, integer=True)
    if len(start) != 2:
        raise bad_value(where, "start", "a point (x, y)", start)
    paths = {}
    for name, optimizer in optimizers.items():
        point = xp.asarray([check_number(where, "start", value) for value in start], dtype="float64")
        path = xp.empty((steps + 1, 2), dtype="float64")
        path[0] = point
        for step in range(1, steps + 1):
            optimizer.apply_gradients([(gradient(point), point)])
            path[step] = point
        paths[name] = backend.to_numpy(path)
    return paths
