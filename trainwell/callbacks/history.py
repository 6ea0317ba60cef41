"""History: records each epoch's logs; `fit` returns it."""
import warnings

from trainwell.callbacks.base import REGISTRY, Callback


@REGISTRY.register()
class History(Callback):
    """Collects the logs of every epoch: `history.history["val_loss"][epoch]`.

    `fit` adds one automatically and returns it (also as `model.history`); `history.epoch` lists
    the epoch numbers and `history.params` the fit parameters.
    """

    def __init__(self):
        super().__init__()
        self.history = _HistoryDict()
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = _HistoryDict()
        self.model.history = self

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


class _HistoryDict(dict):
    """The history dict; the tf.keras key 'lr' reads Keras 3's 'learning_rate' (with a notice).

    Textbooks plot `history.history["lr"]` after ReduceLROnPlateau or LearningRateScheduler;
    Keras 3 logs the rate as 'learning_rate' only. Logging both would add a duplicate column to
    CSV files and TensorBoard, so the old key is an alias that reads the new one.
    """

    def __missing__(self, key):
        if key == "lr" and "learning_rate" in self:
            warnings.warn("History: 'lr' is the tf.keras key; Keras 3 and trainwell log the learning rate "
                          "as 'learning_rate'.", FutureWarning, stacklevel=2)
            return self["learning_rate"]
        raise KeyError(key)
