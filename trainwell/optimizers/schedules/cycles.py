"""Schedules that wrap or cycle: a linear warm-up before any schedule, and the 1cycle policy."""
from trainwell._errors import check_number
from trainwell.optimizers.schedules.base import REGISTRY, LearningRateSchedule, _rate, deserialize


@REGISTRY.register()
class LinearWarmup(LearningRateSchedule):
    """A linear warm-up in front of any schedule (or a constant rate), which then starts from its step 0:

        step < warmup_steps:  lr = initial_learning_rate + (schedule(0) - initial_learning_rate) * step / warmup_steps
        otherwise:            lr = schedule(step - warmup_steps)

    Defaults: initial_learning_rate=0.0. `LinearWarmup(CosineDecay(0.1, D), W)` equals Keras's
    `CosineDecay(0.0, D, warmup_target=0.1, warmup_steps=W)`. Keras has no standalone wrapper;
    PyTorch composes `LinearLR` and another scheduler with `SequentialLR`.
    """

    config_keys = ("schedule", "warmup_steps", "initial_learning_rate")

    def __init__(self, schedule, warmup_steps, initial_learning_rate=0.0):
        where = type(self).__name__
        if isinstance(schedule, dict):
            schedule = deserialize(schedule)
        if not isinstance(schedule, LearningRateSchedule):
            schedule = _rate(where, "schedule", schedule)
        self.schedule = schedule
        self.warmup_steps = check_number(where, "warmup_steps", warmup_steps, low=0)
        self.initial_learning_rate = _rate(where, "initial_learning_rate", initial_learning_rate)

    def _after(self, step):
        return self.schedule(step) if callable(self.schedule) else self.schedule

    def __call__(self, step):
        if step < self.warmup_steps:
            start = self.initial_learning_rate
            return start + (self._after(0) - start) * step / self.warmup_steps
        return self._after(step - self.warmup_steps)


@REGISTRY.register()
class OneCycle(LearningRateSchedule):
    """The 1cycle policy (Smith, 2018), with the phases of Geron's HOML, over n = total_steps:

        h = (n - final_steps) // 2
        step < h:        lr rises linearly initial -> max_learning_rate
        h <= step < 2h:  lr falls linearly max_learning_rate -> initial
        2h <= step < n:  lr falls linearly initial -> final_learning_rate;  after n: final_learning_rate

    Defaults: initial_learning_rate = max_learning_rate / 10, final_steps = total_steps // 10 + 1,
    final_learning_rate = initial_learning_rate / 1000 (three orders below the start).
    `momentum(step)` is the inverse cycle max_momentum -> min_momentum -> max_momentum over the same
    two phases (max_momentum after); defaults 0.95 and 0.85. The optimizer does not read it: to
    cycle momentum, set `optimizer.momentum` (SGD built with momentum > 0, RMSprop) or
    `optimizer.beta_1` (Adam family) to `schedule.momentum(optimizer.iterations)` before each
    step, e.g. in a callback's `on_train_batch_begin`. PyTorch's `OneCycleLR` anneals with
    cosines by default, starts at max_lr / 25 and ends at start / 1e4 (keras_semantics §7.1).
    Example: `SGD(OneCycle(0.1, total_steps=epochs * steps_per_epoch), momentum=0.9)`.
    """

    config_keys = ("max_learning_rate", "total_steps", "initial_learning_rate", "final_learning_rate",
                   "final_steps", "max_momentum", "min_momentum")

    def __init__(self, max_learning_rate, total_steps, initial_learning_rate=None, final_learning_rate=None,
                 final_steps=None, max_momentum=0.95, min_momentum=0.85):
        where = type(self).__name__
        self.max_learning_rate = _rate(where, "max_learning_rate", max_learning_rate)
        self.total_steps = check_number(where, "total_steps", total_steps, low=3, integer=True)
        start = self.max_learning_rate / 10 if initial_learning_rate is None else initial_learning_rate
        self.initial_learning_rate = float(check_number(where, "initial_learning_rate", start, low=0,
                                                        high=self.max_learning_rate))
        final = self.initial_learning_rate / 1000 if final_learning_rate is None else final_learning_rate
        self.final_learning_rate = float(check_number(where, "final_learning_rate", final, low=0,
                                                      high=self.initial_learning_rate))
        final_steps = self.total_steps // 10 + 1 if final_steps is None else final_steps
        self.final_steps = check_number(where, "final_steps", final_steps, low=0, high=self.total_steps - 2,
                                        integer=True)
        self.max_momentum = check_number(where, "max_momentum", max_momentum, low=0, high=1)
        self.min_momentum = check_number(where, "min_momentum", min_momentum, low=0, high=self.max_momentum)
        self.half = (self.total_steps - self.final_steps) // 2

    def __call__(self, step):
        h, start, top = self.half, self.initial_learning_rate, self.max_learning_rate
        if step < h:
            return start + (top - start) * step / h
        if step < 2 * h:
            return top + (start - top) * (step - h) / h
        if step < self.total_steps:
            return start + (self.final_learning_rate - start) * (step - 2 * h) / (self.total_steps - 2 * h)
        return self.final_learning_rate

    def momentum(self, step):
        """The momentum for `step`: falls while the rate rises, rises while it falls, then stays at max."""
        h, high, low = self.half, self.max_momentum, self.min_momentum
        if step < h:
            return high + (low - high) * step / h
        if step < 2 * h:
            return low + (high - low) * (step - h) / h
        return high
