"""History: records each epoch's logs; `fit` returns it."""
from trainwell.callbacks.base import REGISTRY, Callback


@REGISTRY.register()
class History(Callback):
    """Collects the logs of every epoch: `history.history["val_loss"][epoch]`.

    `fit` adds one automatically and returns it (also as `model.history`); `history.epoch` lists
    the epoch numbers and `history.params` the fit parameters.
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = {}
        self.model.history = self

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
