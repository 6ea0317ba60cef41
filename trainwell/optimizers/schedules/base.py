"""What every schedule shares: the registry, `LearningRateSchedule`, (de)serialization and the argument
checks."""
import math

from trainwell._errors import check_number
from trainwell._registry import Registry
from trainwell._registry import deserialize as _deserialize
from trainwell._registry import serialize

REGISTRY = Registry("schedule")


class LearningRateSchedule:
    """Base of every schedule: `__call__(step)` returns the learning rate as a float, `get_config()`
    returns the constructor arguments (the attributes named in `config_keys`) and
    `from_config(config)` rebuilds the schedule from them."""

    config_keys = ()

    def __call__(self, step):
        raise NotImplementedError

    def get_config(self):
        return {key: _plain(getattr(self, key)) for key in self.config_keys}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def deserialize(config, custom_objects=None):
    """A schedule from `serialize(schedule)`'s output ({'class_name': ..., 'config': ...})."""
    return _deserialize(REGISTRY, config, "schedules.deserialize", custom_objects)


def _cosine(s, decay_steps, top, alpha):
    return top * ((1.0 - alpha) * 0.5 * (1.0 + math.cos(math.pi * s / decay_steps)) + alpha)


def _plain(value):
    """A config value: nested schedules serialized, lists copied."""
    if isinstance(value, LearningRateSchedule):
        return serialize(value)
    return list(value) if isinstance(value, list) else value


def _rate(where, argument, value, allow_none=False):
    value = check_number(where, argument, value, low=0, allow_none=allow_none)
    return None if value is None else float(value)


def _positive(where, argument, value):
    return check_number(where, argument, value, low=0, low_open=True)
