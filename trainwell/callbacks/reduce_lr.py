"""ReduceLROnPlateau: multiply the learning rate by `factor` when the monitored quantity stalls."""
from trainwell import backend
from trainwell._errors import check_choice, check_number
from trainwell.callbacks.base import REGISTRY
from trainwell.callbacks.lr_scheduler import check_learning_rate_is_settable, log_learning_rate
from trainwell.callbacks.monitor import MonitorCallback


@REGISTRY.register()
class ReduceLROnPlateau(MonitorCallback):
    """Lowers the learning rate, new_lr = max(lr * factor, min_lr), after `patience` stalled epochs.

    At each epoch end it first logs the learning rate used in the epoch as 'learning_rate' (so it
    is in the History; tf.keras 2's 'lr' is not logged, see LearningRateScheduler). Then, if the
    monitored value is in the logs:
        if cooldown_counter > 0: cooldown_counter -= 1; wait = 0
        if improved(current, best): best = current; wait = 0      # absolute min_delta, see MonitorCallback
        elif cooldown_counter == 0:
            wait += 1
            if wait >= patience and lr > min_lr:     # compared in float32, as Keras's variable is
                lr = max(lr * factor, min_lr); cooldown_counter = cooldown; wait = 0
    Once lr has reached min_lr nothing more happens (wait keeps counting).

    Arguments (Keras's defaults): monitor='val_loss', factor=0.1 (in (0, 1)), patience=10,
    verbose=0 (1 prints "Epoch N: ReduceLROnPlateau reducing learning rate to X."), mode='auto',
    min_delta=1e-4, cooldown=0 (epochs to wait after a reduction before counting again), min_lr=0.
    PyTorch's ReduceLROnPlateau differs: threshold=1e-4 is *relative* by default (threshold_mode='rel').

    Example:
        reduce = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=5)
        model.fit(x, y, validation_split=0.1, epochs=100, callbacks=[reduce])
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0):
        super().__init__(monitor, mode, min_delta)
        where = type(self).__name__
        self.factor = check_number(where, "factor", factor, low=0, high=1, low_open=True, high_open=True)
        self.patience = check_number(where, "patience", patience, low=0, integer=True)
        self.verbose = check_choice(where, "verbose", verbose, (0, 1))
        self.cooldown = check_number(where, "cooldown", cooldown, low=0, integer=True)
        self.min_lr = check_number(where, "min_lr", min_lr, low=0)
        self._reset()

    def get_config(self):
        return {"monitor": self.monitor, "factor": self.factor, "patience": self.patience,
                "verbose": self.verbose, "mode": self.mode, "min_delta": self.min_delta,
                "cooldown": self.cooldown, "min_lr": self.min_lr}

    def get_state(self):
        """What a resumed run needs (BackupAndRestore): wait, best and cooldown_counter."""
        return {"wait": self.wait, "best": self.best, "cooldown_counter": self.cooldown_counter}

    def set_state(self, state):
        """Take back `get_state()`'s dict (checked before any change)."""
        where = f"{type(self).__name__}.set_state"
        wait = check_number(where, "wait", state["wait"], low=0, integer=True)
        cooldown_counter = check_number(where, "cooldown_counter", state["cooldown_counter"], low=0, integer=True)
        best = self._checked_best(where, state)
        self.wait, self.cooldown_counter, self.best = wait, cooldown_counter, best

    def _reset(self):
        self._reset_monitor()
        self.wait = 0
        self.cooldown_counter = 0

    def on_train_begin(self, logs=None):
        check_learning_rate_is_settable(type(self).__name__, self.model.optimizer)
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        log_learning_rate(self.model, epoch, logs)
        current = self._monitored_value(logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience and self._reduce(epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce(self, epoch):
        """Lower the rate unless it is already at min_lr; True when it was lowered."""
        optimizer = self.model.optimizer
        old_lr = float(optimizer.learning_rate)
        float32 = backend.xp.float32
        if not float32(old_lr) > float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        optimizer.learning_rate = new_lr
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        return True
