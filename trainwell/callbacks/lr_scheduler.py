"""LearningRateScheduler: set the optimizer's learning rate from a function of the epoch."""
import inspect
import math
import numbers

from trainwell._errors import bad_type, bad_value, check_choice
from trainwell.callbacks.base import Callback


class LearningRateScheduler(Callback):
    """Sets `optimizer.learning_rate = schedule(epoch, lr)` (or `schedule(epoch)`) as each epoch begins.

    `epoch` is 0-based and `lr` is the current learning rate (a float), so both forms work:
        LearningRateScheduler(lambda epoch: 0.01 * 0.1 ** (epoch / 20))         # HOML's exponential
        LearningRateScheduler(lambda epoch, lr: lr if epoch < 10 else lr * 0.9)
    The form is read from the function's signature (two positional parameters, or *args -> the
    two-argument call), so a TypeError raised inside a schedule is never mistaken for the old
    one-argument API (Keras tries the two-argument call and retries on any TypeError). The result
    must be a finite real number >= 0 (Keras also refuses Python ints; trainwell takes them).

    At each epoch end the learning rate used in the epoch is logged as 'learning_rate' (Keras 3's
    key) and so appears in `history.history["learning_rate"]`. tf.keras 2 logged it as 'lr' (the key
    textbooks plot); trainwell does not log 'lr' too, so logs, CSV files and TensorBoard keep
    Keras 3's columns (docs/DESIGN-NOTES.md, "The learning-rate log key").

    Arguments: schedule (callable), verbose=0 (1 prints "Epoch N: LearningRateScheduler setting
    learning rate to X."). Not registered for configs: the schedule is code, which loading never runs.
    An optimizer built with a schedule object as its learning rate cannot also take this callback.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        where = type(self).__name__
        if not callable(schedule):
            raise bad_type(where, "schedule", "a function schedule(epoch) or schedule(epoch, lr)", schedule)
        self.schedule = schedule
        self.verbose = check_choice(where, "verbose", verbose, (0, 1))
        self._takes_lr = _takes_two_arguments(schedule)

    def on_train_begin(self, logs=None):
        check_learning_rate_is_settable(type(self).__name__, self.model.optimizer)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if self._takes_lr is None:
            try:
                rate = self.schedule(epoch, float(optimizer.learning_rate))
            except TypeError:
                rate = self.schedule(epoch)
        else:
            rate = self.schedule(epoch, float(optimizer.learning_rate)) if self._takes_lr else self.schedule(epoch)
        optimizer.learning_rate = _check_rate(rate, epoch)
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(rate)}.")

    def on_epoch_end(self, epoch, logs=None):
        log_learning_rate(self.model, epoch, logs)


def log_learning_rate(model, epoch, logs):
    """Write the current learning rate into `logs['learning_rate']` (History, called after the
    user's callbacks as in Keras, then records it; `history.history['lr']` reads it too)."""
    if logs is not None:
        logs["learning_rate"] = float(model.optimizer.learning_rate)


def check_learning_rate_is_settable(where, optimizer):
    """Refuse a callback that assigns learning rates when the optimizer follows a schedule object."""
    rate = getattr(optimizer, "_learning_rate", None)
    if callable(rate):
        raise bad_value(where, "the optimizer's learning_rate", "a float to be replaced each epoch", rate,
                        "An optimizer built with a schedule already sets its own rate; use one or the other.")


def _takes_two_arguments(schedule):
    """True / False from the signature; None when it cannot be read (then try both, as Keras does)."""
    try:
        parameters = inspect.signature(schedule).parameters.values()
    except (TypeError, ValueError):
        return None
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in parameters)


def _check_rate(rate, epoch):
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not math.isfinite(rate) or rate < 0:
        raise bad_value("LearningRateScheduler", f"schedule({epoch}, ...)", "a finite float >= 0", rate)
    return float(rate)
