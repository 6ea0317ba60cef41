"""MonitorCallback: the shared logic of callbacks that watch one logged quantity (mode, min_delta, best)."""
import warnings

from trainwell._errors import bad_type, bad_value, check_choice, check_number
from trainwell.callbacks.base import Callback

MODES = ("auto", "max", "min")
_OLD_NAMES = {"acc": "accuracy", "val_acc": "val_accuracy"}


class MonitorCallback(Callback):
    """Base of EarlyStopping, ReduceLROnPlateau (and ModelCheckpoint): which value, which way is better.

    Arguments: monitor (a log key such as 'val_loss'), mode ('auto', 'min' or 'max'), min_delta
    (stored as |min_delta|, Keras's convention: a negative value means the same as its absolute value).

    Improvement test, with d = |min_delta| (Keras's form, so float ties break as in Keras):
        mode 'min': current + d < reference;   mode 'max': current - d > reference;
    no reference yet (`best is None`) counts as an improvement.

    mode 'auto' is resolved at the first value seen (Keras 3's rule): strip a leading 'val_'; 'loss'
    is minimized; otherwise the compiled metric of that name decides through its `direction`
    ('up' -> max, 'down' -> min; accuracy and AUC are 'up'); anything else (e.g. 'learning_rate')
    is a ValueError asking for mode='min' or 'max'. tf.keras 2 guessed from the name instead.

    The tf.keras names 'acc' / 'val_acc' resolve to 'accuracy' / 'val_accuracy' when those are the
    keys logged (metrics=['accuracy']), with a one-time FutureWarning. A monitored key that is not
    in the logs warns once per `fit` (naming the keys that exist), and the epoch is skipped, as in Keras.
    """

    def __init__(self, monitor="val_loss", mode="auto", min_delta=0.0):
        super().__init__()
        where = type(self).__name__
        if not isinstance(monitor, str) or not monitor:
            raise bad_type(where, "monitor", "a log key such as 'val_loss'", monitor)
        self.monitor = monitor
        self.mode = check_choice(where, "mode", mode, MODES)
        self.min_delta = abs(check_number(where, "min_delta", min_delta))
        self._reset_monitor()

    def _reset_monitor(self):
        """Forget the run: call from `on_train_begin` so an instance can be reused across fits."""
        self.best = None
        self._monitor_op = None
        self._monitor_key = None
        self._warned_missing = False

    def _monitored_value(self, logs):
        """The monitored value in `logs` as a float, or None (after warning once) when it is absent."""
        logs = logs or {}
        key = self._monitor_key or self._resolve_key(logs)
        if key not in logs:
            if not self._warned_missing:
                self._warned_missing = True
                keys = ", ".join(sorted(logs)) or "none"
                warnings.warn(f"{type(self).__name__}: monitor={self.monitor!r} is not in the logs, so this "
                              f"callback does nothing this epoch. Logged keys: {keys}.", UserWarning, stacklevel=2)
            return None
        self._monitor_key = key
        if self._monitor_op is None:
            self._monitor_op = self._resolve_mode(key)
        return float(logs[key])

    @staticmethod
    def _checked_best(where, state):
        """`state['best']` from a saved state: a number (NaN when the first monitored value was) or None."""
        best = state["best"]
        if best is not None and (isinstance(best, bool) or not isinstance(best, (int, float))):
            raise bad_type(where, "best", "a number or None", best)
        return best

    def _is_improvement(self, current, reference):
        if reference is None:
            return True
        if self._monitor_op == "min":
            return current + self.min_delta < reference
        return current - self.min_delta > reference

    def _resolve_key(self, logs):
        old = self.monitor
        new = _OLD_NAMES.get(old)
        if old in logs or new is None or new not in logs:
            return old
        warnings.warn(f"{type(self).__name__}: monitor={old!r} is the tf.keras 2 name; the logs call it "
                      f"{new!r}, which is monitored instead. Write monitor={new!r}.", FutureWarning, stacklevel=2)
        return new

    def _resolve_mode(self, key):
        if self.mode != "auto":
            return self.mode
        name = key[len("val_"):] if key.startswith("val_") else key
        if name == "loss":
            return "min"
        for metric in getattr(self.model, "compiled_metrics", None) or ():
            if metric.name == name:
                return "max" if metric.direction == "up" else "min"
        raise bad_value(type(self).__name__, "mode", f"'min' or 'max' for monitor={key!r} (neither the loss "
                        "nor a compiled metric, so its direction cannot be inferred)", self.mode,
                        "Pass mode='min' to keep the lowest value or mode='max' to keep the highest.")
