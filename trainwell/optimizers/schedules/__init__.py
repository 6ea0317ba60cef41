"""Learning-rate schedules: callables `step -> learning rate` that serialize (keras_semantics §7).

The optimizer calls its schedule with `iterations`, the number of updates already made (0 on the
first update), before every update. PyTorch's `lr_scheduler` objects instead change the rate when
`scheduler.step()` is called, usually once per epoch; a Keras schedule counts batches.
The classes live in `decay` (Keras's decaying schedules) and `cycles` (warm-up and 1cycle); `base`
holds the registry and what they share.
"""
from trainwell.optimizers.schedules.base import REGISTRY, LearningRateSchedule, deserialize, serialize
from trainwell.optimizers.schedules.cycles import LinearWarmup, OneCycle
from trainwell.optimizers.schedules.decay import (CosineDecay, CosineDecayRestarts, ExponentialDecay, InverseTimeDecay,
                                                  PiecewiseConstantDecay, PolynomialDecay)

__all__ = ["LearningRateSchedule", "ExponentialDecay", "InverseTimeDecay", "PiecewiseConstantDecay",
           "PolynomialDecay", "CosineDecay", "CosineDecayRestarts", "LinearWarmup", "OneCycle",
           "serialize", "deserialize", "REGISTRY"]
