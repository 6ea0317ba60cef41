"""VarianceScaling and its named settings: Glorot, He and LeCun, uniform and (truncated) normal."""
import math

from trainwell._errors import bad_type, check_choice
from trainwell.initializers.base import (REGISTRY, TRUNCATED_STD_FACTOR, RandomInitializer, _real,
                                         _truncated_standard_normal, compute_fans)


@REGISTRY.register("variance_scaling")
class VarianceScaling(RandomInitializer):
    """Random values whose variance is `scale / n`, n taken from the weight's fans.

    n = max(1, fan_in) for mode='fan_in', max(1, fan_out) for 'fan_out', max(1, (fan_in+fan_out)/2)
    for 'fan_avg'; s = scale / n (fans from `compute_fans`).
    - 'truncated_normal' (alias 'normal'): N(0, sigma^2) cut at ±2*sigma, sigma = sqrt(s) / 0.8796...,
      so the final std is exactly sqrt(s). PyTorch's kaiming/xavier normal are not truncated.
    - 'untruncated_normal': N(0, s).
    - 'uniform': U[-L, L) with L = sqrt(3*s).
    Defaults: scale=1.0, mode='fan_in', distribution='truncated_normal', seed=None.
    Example: `VarianceScaling(scale=2.0, mode='fan_in', distribution='uniform')` (He uniform).
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        where = type(self).__name__
        self.scale = _real(where, "scale", scale, low=0, low_open=True)
        self.mode = check_choice(where, "mode", mode, ("fan_avg", "fan_in", "fan_out"))
        if not isinstance(distribution, str):
            raise bad_type(where, "distribution", "a string", distribution)
        distribution = distribution.lower()
        distribution = "truncated_normal" if distribution == "normal" else distribution
        self.distribution = check_choice(
            where, "distribution", distribution, ("truncated_normal", "uniform", "untruncated_normal"))
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        shape, dtype, rng = self._request(shape, dtype)
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        s = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * s)
            values = limit * (2.0 * rng.random(shape) - 1.0)
        elif self.distribution == "untruncated_normal":
            values = math.sqrt(s) * rng.standard_normal(shape)
        else:
            sigma = math.sqrt(s) / TRUNCATED_STD_FACTOR
            values = sigma * _truncated_standard_normal(rng, shape)
        return values.astype(dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                **super().get_config()}


class _Preset(VarianceScaling):
    """A named VarianceScaling setting; its only argument (and config) is the seed."""

    _setting = (1.0, "fan_in", "truncated_normal")  # (scale, mode, distribution)

    def __init__(self, seed=None):
        scale, mode, distribution = self._setting
        super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed)

    def get_config(self):
        return {"seed": self._init_seed}


@REGISTRY.register("glorot_uniform")
class GlorotUniform(_Preset):
    """Glorot/Xavier uniform: U[-L, L), L = sqrt(6 / (fan_in + fan_out)).

    Keras's default kernel initializer for Dense and Conv layers.
    """

    _setting = (1.0, "fan_avg", "uniform")


@REGISTRY.register("glorot_normal")
class GlorotNormal(_Preset):
    """Glorot/Xavier normal: truncated at ±2 sigma, final std sqrt(2 / (fan_in + fan_out)).

    PyTorch's `xavier_normal_` is not truncated.
    """

    _setting = (1.0, "fan_avg", "truncated_normal")


@REGISTRY.register("he_normal")
class HeNormal(_Preset):
    """He normal: truncated at ±2 sigma, final std sqrt(2 / fan_in).

    PyTorch's `kaiming_normal_` is not truncated.
    """

    _setting = (2.0, "fan_in", "truncated_normal")


@REGISTRY.register("he_uniform")
class HeUniform(_Preset):
    """He uniform: U[-L, L), L = sqrt(6 / fan_in) (PyTorch's `kaiming_uniform_` with a=0 matches)."""

    _setting = (2.0, "fan_in", "uniform")


@REGISTRY.register("lecun_normal")
class LecunNormal(_Preset):
    """LeCun normal (for SELU nets): truncated at ±2 sigma, final std sqrt(1 / fan_in)."""

    _setting = (1.0, "fan_in", "truncated_normal")


@REGISTRY.register("lecun_uniform")
class LecunUniform(_Preset):
    """LeCun uniform: U[-L, L), L = sqrt(3 / fan_in)."""

    _setting = (1.0, "fan_in", "uniform")
