"""EarlyStopping: stop `fit` when the monitored quantity has stopped improving."""
from trainwell._errors import bad_type, bad_value, check_choice, check_number
from trainwell.callbacks.base import REGISTRY
from trainwell.callbacks.monitor import MonitorCallback


@REGISTRY.register()
class EarlyStopping(MonitorCallback):
    """Stops training after `patience` epochs in a row without improvement of `monitor`.

    At each epoch end from `start_from_epoch` on (epochs whose logs lack the monitored key are
    skipped, with one warning per fit), with `current` the monitored value:
        wait += 1
        if improved(current, best):              # see MonitorCallback: min_delta and mode
            best, best_epoch = current, epoch    # (and a weight snapshot if restore_best_weights)
            if baseline is None or improved(current, baseline): wait = 0
        elif wait >= patience and epoch > 0:
            model.stop_training = True
    So patience=p stops after p epochs in a row without improvement; patience=0 stops at the first
    one after epoch 0. With a `baseline`, epochs that improve on the best but not on the baseline
    still use up patience. `restore_best_weights=True` sets the weights of the best epoch back at
    the end of training, whether or not it stopped early (the first monitored epoch counts as the
    best until one improves on it).

    Arguments (Keras's defaults): monitor='val_loss', min_delta=0, patience=0, verbose=0 (1 prints
    "Epoch N: early stopping"), mode='auto', baseline=None, restore_best_weights=False,
    start_from_epoch=0. After training, `stopped_epoch` (0-based; 0 if it never stopped), `best`
    and `best_epoch` tell what happened.

    Example:
        stop = EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
        model.fit(x, y, validation_split=0.1, epochs=200, callbacks=[stop])
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta)
        where = type(self).__name__
        self.patience = check_number(where, "patience", patience, low=0, integer=True)
        self.verbose = check_choice(where, "verbose", verbose, (0, 1))
        self.baseline = check_number(where, "baseline", baseline, allow_none=True)
        if not isinstance(restore_best_weights, bool):
            raise bad_type(where, "restore_best_weights", "True or False", restore_best_weights)
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = check_number(where, "start_from_epoch", start_from_epoch, low=0, integer=True)
        self._reset()

    def get_config(self):
        return {"monitor": self.monitor, "min_delta": self.min_delta, "patience": self.patience,
                "verbose": self.verbose, "mode": self.mode, "baseline": self.baseline,
                "restore_best_weights": self.restore_best_weights, "start_from_epoch": self.start_from_epoch}

    def get_state(self):
        """What a resumed run needs (BackupAndRestore): wait, best, best_epoch, stopped_epoch, best_weights."""
        return {"wait": self.wait, "best": self.best, "best_epoch": self.best_epoch,
                "stopped_epoch": self.stopped_epoch, "best_weights": self.best_weights}

    def set_state(self, state):
        """Take back `get_state()`'s dict; the best weights must fit the model (checked before any change)."""
        where = f"{type(self).__name__}.set_state"
        counts = {name: check_number(where, name, state[name], low=0, integer=True)
                  for name in ("wait", "best_epoch", "stopped_epoch")}
        best = self._checked_best(where, state)
        weights = state["best_weights"]
        if weights is not None:
            shapes = [tuple(getattr(w, "shape", ())) for w in weights]
            expected = [v.shape for v in self.model.weights] if self.model is not None else shapes
            if shapes != expected:
                raise bad_value(where, "best_weights", f"arrays of the model's shapes {expected}", shapes)
            weights = [w.copy() for w in weights]
        self.wait, self.best_epoch, self.stopped_epoch = counts["wait"], counts["best_epoch"], counts["stopped_epoch"]
        self.best, self.best_weights = best, weights

    def _reset(self):
        self._reset_monitor()
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights = None

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        current = self._monitored_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # A run resumed with `best` restored but no snapshot: the weights in hand are the best known.
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # Patience restarts only when the baseline is beaten too.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)
