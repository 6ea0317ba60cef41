"""The decaying schedules of Keras: exponential, inverse time (power), piecewise constant, polynomial,
cosine (with optional warm-up) and cosine with restarts."""
import bisect
import math

from trainwell._errors import bad_type, bad_value, check_number
from trainwell.optimizers.schedules.base import REGISTRY, LearningRateSchedule, _cosine, _positive, _rate


class _StepDecay(LearningRateSchedule):
    """What ExponentialDecay and InverseTimeDecay share: their arguments and the progress p."""

    config_keys = ("initial_learning_rate", "decay_steps", "decay_rate", "staircase", "name")

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        where = type(self).__name__
        self.initial_learning_rate = _rate(where, "initial_learning_rate", initial_learning_rate)
        self.decay_steps = _positive(where, "decay_steps", decay_steps)
        self.decay_rate = _rate(where, "decay_rate", decay_rate)
        self.staircase, self.name = bool(staircase), name or where

    def _progress(self, step):
        p = step / self.decay_steps
        return math.floor(p) if self.staircase else p


@REGISTRY.register()
class ExponentialDecay(_StepDecay):
    """`lr(step) = initial_learning_rate * decay_rate ** p`, `p = step / decay_steps` (floored if staircase).

    Defaults: staircase=False. A decay_rate above 1 grows the rate (a learning-rate range test).
    PyTorch's `ExponentialLR(gamma)` multiplies by gamma per `scheduler.step()`: decay_steps=1.
    Example: `ExponentialDecay(0.01, decay_steps=10_000, decay_rate=0.1)` (x0.1 every 10k steps).
    """

    def __call__(self, step):
        return self.initial_learning_rate * self.decay_rate ** self._progress(step)


@REGISTRY.register()
class InverseTimeDecay(_StepDecay):
    """Power scheduling: `lr(step) = initial_learning_rate / (1 + decay_rate * p)`, `p = step / decay_steps`
    (floored if staircase). Defaults: staircase=False. tf.keras's `decay=d` optimizer argument is
    `InverseTimeDecay(lr, decay_steps=1, decay_rate=d)`. PyTorch has none built in (use `LambdaLR`).
    """

    def __call__(self, step):
        return self.initial_learning_rate / (1.0 + self.decay_rate * self._progress(step))


@REGISTRY.register()
class PiecewiseConstantDecay(LearningRateSchedule):
    """`lr(step) = values[i]` for the first i with `step <= boundaries[i]`; `values[-1]` past the last one.

    Boundaries strictly increase and `len(values) == len(boundaries) + 1`. PyTorch's `MultiStepLR`
    multiplies by gamma once `scheduler.step()` has been called `milestone` times (Keras changes
    the rate one step later: at step boundary + 1). Example: `PiecewiseConstantDecay([5000], [0.01, 0.001])`.
    """

    config_keys = ("boundaries", "values", "name")

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        where = type(self).__name__
        if not isinstance(boundaries, (list, tuple)) or not isinstance(values, (list, tuple)):
            raise bad_type(where, "boundaries and values", "lists", (boundaries, values))
        self.boundaries = [check_number(where, "boundaries", b) for b in boundaries]
        self.values = [_rate(where, "values", v) for v in values]
        if any(b >= c for b, c in zip(self.boundaries, self.boundaries[1:])):
            raise bad_value(where, "boundaries", "strictly increasing", list(boundaries))
        if len(self.values) != len(self.boundaries) + 1:
            raise bad_value(where, "values", f"a list of len(boundaries) + 1 = {len(self.boundaries) + 1} rates",
                            list(values))
        self.name = name

    def __call__(self, step):
        return self.values[bisect.bisect_left(self.boundaries, step)]


@REGISTRY.register()
class PolynomialDecay(LearningRateSchedule):
    """`lr(step) = (initial_learning_rate - end_learning_rate) * (1 - s / D) ** power + end_learning_rate`.

    Without cycle `s = min(step, decay_steps)`, `D = decay_steps`; with cycle `s = step` and
    `D = decay_steps * ceil(step / decay_steps)` (`decay_steps` at step 0), so the decay restarts.
    Defaults: end_learning_rate=0.0001, power=1.0, cycle=False. PyTorch's `PolynomialLR` ends at 0.
    """

    config_keys = ("initial_learning_rate", "decay_steps", "end_learning_rate", "power", "cycle", "name")

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False,
                 name="PolynomialDecay"):
        where = type(self).__name__
        self.initial_learning_rate = _rate(where, "initial_learning_rate", initial_learning_rate)
        self.decay_steps = _positive(where, "decay_steps", decay_steps)
        self.end_learning_rate = _rate(where, "end_learning_rate", end_learning_rate)
        self.power = _positive(where, "power", power)
        self.cycle, self.name = bool(cycle), name

    def __call__(self, step):
        if self.cycle:
            s, period = step, self.decay_steps * (math.ceil(step / self.decay_steps) if step > 0 else 1)
        else:
            s, period = min(step, self.decay_steps), self.decay_steps
        span = self.initial_learning_rate - self.end_learning_rate
        return span * (1.0 - s / period) ** self.power + self.end_learning_rate


@REGISTRY.register()
class CosineDecay(LearningRateSchedule):
    """Cosine annealing `cos(s, D, top) = top * ((1 - alpha) * (1 + cos(pi * s / D)) / 2 + alpha)`.

    Without warmup_target: `lr(step) = cos(min(step, D), D, initial_learning_rate)`, D = decay_steps.
    With it: a linear warm-up `initial + (warmup_target - initial) * step / warmup_steps` while
    step < warmup_steps, then `cos(min(step - W, D), D, warmup_target)` (alpha is then a fraction of
    warmup_target). Defaults: alpha=0.0, warmup_target=None, warmup_steps=0. PyTorch's
    `CosineAnnealingLR(T_max, eta_min)` takes the floor as a rate, where alpha is a fraction.
    """

    config_keys = ("initial_learning_rate", "decay_steps", "alpha", "name", "warmup_target", "warmup_steps")

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None,
                 warmup_steps=0):
        where = type(self).__name__
        self.initial_learning_rate = _rate(where, "initial_learning_rate", initial_learning_rate)
        self.decay_steps = _positive(where, "decay_steps", decay_steps)
        self.alpha = check_number(where, "alpha", alpha, low=0, high=1)
        self.warmup_target = _rate(where, "warmup_target", warmup_target, allow_none=True)
        self.warmup_steps = check_number(where, "warmup_steps", warmup_steps, low=0)
        self.name = name

    def __call__(self, step):
        if self.warmup_target is None:
            return _cosine(min(step, self.decay_steps), self.decay_steps, self.initial_learning_rate, self.alpha)
        s, start = min(step, self.decay_steps + self.warmup_steps), self.initial_learning_rate
        if s < self.warmup_steps:
            return start + (self.warmup_target - start) * s / self.warmup_steps
        return _cosine(s - self.warmup_steps, self.decay_steps, self.warmup_target, self.alpha)


@REGISTRY.register()
class CosineDecayRestarts(LearningRateSchedule):
    """SGDR: cosine annealing restarted at the end of each period (Loshchilov & Hutter, 2017).

    Period i lasts `first_decay_steps * t_mul**i` steps; within it, at fraction f of the period,
    `lr = initial_learning_rate * ((1 - alpha) * m_mul**i * (1 + cos(pi * f)) / 2 + alpha)`
    (alpha is not scaled by m_mul**i). Defaults: t_mul=2.0, m_mul=1.0, alpha=0.0; t_mul >= 1 (shorter
    periods would end the schedule after finitely many steps). The period index is found exactly,
    so each restart falls on its step. PyTorch's `CosineAnnealingWarmRestarts(T_0, T_mult, eta_min)`
    takes integer T_mult and has no m_mul. Also `trainwell.experimental.CosineDecayRestarts`.
    """

    config_keys = ("initial_learning_rate", "first_decay_steps", "t_mul", "m_mul", "alpha", "name")

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0, name="SGDRDecay"):
        where = type(self).__name__
        self.initial_learning_rate = _rate(where, "initial_learning_rate", initial_learning_rate)
        self.first_decay_steps = _positive(where, "first_decay_steps", first_decay_steps)
        self.t_mul = check_number(where, "t_mul", t_mul, low=1)
        self.m_mul = _rate(where, "m_mul", m_mul)
        self.alpha = check_number(where, "alpha", alpha, low=0, high=1)
        self.name = name

    def __call__(self, step):
        f, t = step / self.first_decay_steps, self.t_mul
        if t == 1.0:
            i = math.floor(f)
            f -= i
        else:
            i = math.floor(math.log(1.0 - f * (1.0 - t)) / math.log(t))
            while (t ** (i + 1) - 1.0) / (t - 1.0) <= f:  # the rounded logarithm can miss a restart by one
                i += 1
            while i > 0 and (t ** i - 1.0) / (t - 1.0) > f:
                i -= 1
            f = (f - (t ** i - 1.0) / (t - 1.0)) / t ** i
        peak = self.m_mul ** i * (1.0 - self.alpha)
        return self.initial_learning_rate * (peak * 0.5 * (1.0 + math.cos(math.pi * f)) + self.alpha)
