"""Search spaces: where each hyperparameter is drawn from, and how its range narrows around good values.

    space = {"learning_rate": tune.LogUniform(1e-4, 1e-1), "units": tune.IntUniform(16, 256),
             "activation": tune.Choice(["relu", "elu", "selu"]), "epochs": 20}   # a plain value stays fixed

`sample(rng)` draws one value; `narrow(values)` returns the same kind of distribution spanning the
given (good) values, widened by a tenth of their spread on each side and kept inside the original
bounds: the "zoom in" step of random search (Bergstra & Bengio 2012; Geron's chapter 10 advice).
LogUniform draws and narrows in log space, as learning rates and penalties should be searched.
"""
import math
import numbers

from trainwell._errors import bad_type, bad_value

MARGIN = 0.1  # share of the spread of the good values added on each side when narrowing


class Distribution:
    """Base of the distributions: `sample(rng)`, `narrow(values)`, and a repr that rebuilds it."""

    def sample(self, rng):
        raise NotImplementedError

    def narrow(self, values):
        raise NotImplementedError


class Uniform(Distribution):
    """A float uniform in [low, high]. Example: `Uniform(0.0, 0.5)` for a dropout rate."""

    def __init__(self, low, high):
        self.low, self.high = _bounds(type(self).__name__, low, high)

    def sample(self, rng):
        return float(rng.uniform(self.low, self.high))

    def narrow(self, values):
        low, high = _widened(min(values), max(values), self.low, self.high)
        return type(self)(low, high)

    def __repr__(self):
        return f"{type(self).__name__}({self.low:.4g}, {self.high:.4g})"


class LogUniform(Uniform):
    """A float whose logarithm is uniform: every decade of [low, high] equally likely (low > 0).
    Example: `LogUniform(1e-4, 1e-1)` for a learning rate."""

    def __init__(self, low, high):
        super().__init__(low, high)
        if self.low <= 0:
            raise bad_value("LogUniform", "low", "a number > 0 (the range is searched in log space)", low)

    def sample(self, rng):
        return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))

    def narrow(self, values):
        low, high = _widened(math.log(min(values)), math.log(max(values)), math.log(self.low), math.log(self.high))
        return LogUniform(math.exp(low), math.exp(high))


class IntUniform(Distribution):
    """An integer uniform in [low, high], both included. Example: `IntUniform(16, 256)` for units."""

    def __init__(self, low, high):
        for name, value in (("low", low), ("high", high)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise bad_type("IntUniform", name, "an integer", value)
        self.low, self.high = _bounds("IntUniform", int(low), int(high))

    def sample(self, rng):
        return int(rng.integers(self.low, self.high + 1))

    def narrow(self, values):
        low, high = _widened(min(values), max(values), self.low, self.high)
        return IntUniform(math.floor(low), math.ceil(high))

    def __repr__(self):
        return f"IntUniform({self.low}, {self.high})"


class Choice(Distribution):
    """One of `options`, each equally likely; narrowing keeps the options among the good values.
    Example: `Choice(["relu", "elu"])`."""

    def __init__(self, options):
        if isinstance(options, (str, bytes)) or not hasattr(options, "__iter__"):
            raise bad_type("Choice", "options", "a list of values", options)
        self.options = list(options)
        if not self.options:
            raise bad_value("Choice", "options", "at least one value", options)

    def sample(self, rng):
        return self.options[int(rng.integers(len(self.options)))]

    def narrow(self, values):
        return Choice([option for option in self.options if option in values])

    def __repr__(self):
        return f"Choice({self.options!r})"


def check_space(space, where="tune"):
    """`space` as a dict of names to Distributions or fixed values; refuses anything else."""
    if not isinstance(space, dict) or not space:
        raise bad_type(where, "space", "a non-empty dict of hyperparameter names to distributions", space)
    for name in space:
        if not isinstance(name, str):
            raise bad_type(where, "space", "string names", name)
    return dict(space)


def sample(space, rng):
    """One configuration: a draw from every distribution, the fixed values as they are."""
    return {name: value.sample(rng) if isinstance(value, Distribution) else value for name, value in space.items()}


def narrowed(space, good_configurations):
    """`space` with every distribution narrowed to the values of `good_configurations`."""
    return {name: value.narrow([config[name] for config in good_configurations])
            if isinstance(value, Distribution) else value for name, value in space.items()}


def _bounds(where, low, high):
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise bad_type(where, name, "a finite number", value)
    if low > high:
        raise bad_value(where, "low", f"at most high={high}", low)
    return low, high


def _widened(low, high, floor, ceiling):
    spread = (high - low) or (ceiling - floor) * MARGIN  # all good values equal: keep a small range
    return max(floor, low - MARGIN * spread), min(ceiling, high + MARGIN * spread)
