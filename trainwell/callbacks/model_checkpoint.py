"""ModelCheckpoint: save the model (or its weights) as training goes, every time or only when it improves."""
import os
import warnings

from trainwell import io
from trainwell._errors import bad_type, bad_value, check_choice, check_number
from trainwell.callbacks.base import REGISTRY
from trainwell.callbacks.monitor import MonitorCallback

MODEL_SUFFIXES = (".h5", ".hdf5")
WEIGHTS_SUFFIX = ".weights.h5"


@REGISTRY.register()
class ModelCheckpoint(MonitorCallback):
    """Saves to `filepath` at each epoch end (save_freq='epoch') or every `save_freq` batches.

    `filepath` may hold fields filled from the logs: `filepath.format(epoch=epoch + 1, **logs)`
    (epoch is 1-based, as Keras writes it), plus `batch=batch + 1` (1-based within the epoch) for
    batch-level saves; `"ckpt-{epoch:02d}-{val_loss:.2f}.h5"` gives `ckpt-03-0.41.h5`. A field that
    is not in the logs is a KeyError naming the logged keys. Directories named by fields are created;
    the directory before the first field must exist and be writable, checked at train begin.

    save_best_only=True saves only when `monitor` improves on the best value so far (mode and
    min_delta as in MonitorCallback, min_delta 0), starting from `initial_value_threshold` when it
    is given; as in Keras, a monitored key missing from the logs warns once per fit and saves
    anyway. With save_weights_only=True the file holds the weights (`model.save_weights`, path
    ending in `.weights.h5`, Keras 3's rule); otherwise the whole model (`model.save`, `.h5` or
    `.hdf5`; Keras 3's zipped `.keras` is not written). Integer save_freq counts batches across
    epochs and saves at the batch end where N have passed since the last save. Every write is
    atomic: a crash mid-save leaves the previous file whole.

    Arguments (Keras's defaults): filepath, monitor='val_loss', verbose=0 (1 prints "Epoch N:
    val_loss improved from X to Y, saving model to P"), save_best_only=False, save_weights_only=False,
    mode='auto', save_freq='epoch', initial_value_threshold=None.

    Example:
        checkpoint = ModelCheckpoint("best.h5", save_best_only=True)
        model.fit(x, y, validation_split=0.1, epochs=100, callbacks=[checkpoint])
        model = trainwell.models.load_model("best.h5")
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__(monitor, mode, 0.0)
        where = type(self).__name__
        if not isinstance(filepath, (str, os.PathLike)):
            raise bad_type(where, "filepath", "a path (str or os.PathLike)", filepath)
        for name, value in (("save_best_only", save_best_only), ("save_weights_only", save_weights_only)):
            if not isinstance(value, bool):
                raise bad_type(where, name, "True or False", value)
        filepath = os.fspath(filepath)
        if save_weights_only and not filepath.endswith(WEIGHTS_SUFFIX):
            raise bad_value(where, "filepath", "a path ending in .weights.h5 when save_weights_only=True", filepath)
        if not save_weights_only and not filepath.endswith(MODEL_SUFFIXES):
            fix = ("trainwell writes HDF5, not Keras 3's zipped .keras archives." if filepath.endswith(".keras")
                   else "Or pass save_weights_only=True with a .weights.h5 path.")
            raise bad_value(where, "filepath", "a path ending in .h5 or .hdf5", filepath, fix)
        if save_freq != "epoch" and (isinstance(save_freq, str) or save_freq is None):
            raise bad_value(where, "save_freq", "'epoch' or a positive integer number of batches", save_freq)
        if save_freq != "epoch":
            check_number(where, "save_freq", save_freq, low=1, integer=True)
            self.on_train_batch_end = self._count_batch  # only then do batches need logs (the loop skips the hook)
        self.filepath, self.save_freq = filepath, save_freq
        self.verbose = check_choice(where, "verbose", verbose, (0, 1))
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.initial_value_threshold = check_number(where, "initial_value_threshold", initial_value_threshold,
                                                    allow_none=True)
        self._reset()

    def get_config(self):
        return {"filepath": self.filepath, "monitor": self.monitor, "verbose": self.verbose,
                "save_best_only": self.save_best_only, "save_weights_only": self.save_weights_only,
                "mode": self.mode, "save_freq": self.save_freq, "initial_value_threshold": self.initial_value_threshold}

    def get_state(self):
        """What a resumed run needs (BackupAndRestore): the best value so far and the batch count."""
        return {"best": self.best, "batches_since_save": self._batches_since_save}

    def set_state(self, state):
        """Take back `get_state()`'s dict."""
        where = f"{type(self).__name__}.set_state"
        best = self._checked_best(where, state)
        self._batches_since_save = check_number(where, "batches_since_save", state["batches_since_save"], low=0,
                                                integer=True)
        self.best = best

    def _reset(self):
        self._reset_monitor()
        self.best = self.initial_value_threshold
        self._batches_since_save = self._epoch = 0

    def on_train_begin(self, logs=None):
        fixed = os.path.dirname(self.filepath)
        while "{" in fixed:  # directories named by fields are made at save time; their parent must exist
            fixed = os.path.dirname(fixed)
        io.check_writable_directory(type(self).__name__, "filepath's directory", fixed)
        self._reset()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def _count_batch(self, batch, logs=None):
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _save(self, epoch, batch, logs):
        logs = logs or {}
        path = self._format(epoch, batch, logs)
        if self.save_best_only and not self._improved(epoch, logs, path):
            return
        if not self.save_best_only and self.verbose:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        if os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)

    def _format(self, epoch, batch, logs):
        fields = dict(logs, epoch=epoch + 1)
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as error:
            raise KeyError(f"{type(self).__name__}: filepath {self.filepath!r} names the field {error}, which is "
                           f"not logged; the fields are: {', '.join(sorted(fields))}.") from None

    def _improved(self, epoch, logs, path):
        key = self._monitor_key or self._resolve_key(logs)
        if key not in logs:
            if not self._warned_missing:
                self._warned_missing = True
                warnings.warn(f"{type(self).__name__}: monitor={self.monitor!r} is not in the logs, so "
                              f"save_best_only cannot compare; saving every time, as Keras does. Logged keys: "
                              f"{', '.join(sorted(logs)) or 'none'}.", UserWarning, stacklevel=3)
            return True
        self._monitor_key = key
        current = self._monitored_value(logs)
        best = "None" if self.best is None else f"{self.best:.5f}"
        if not self._is_improvement(current, self.best):
            if self.verbose:
                print(f"\nEpoch {epoch + 1}: {key} did not improve from {best}")
            return False
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: {key} improved from {best} to {current:.5f}, saving model to {path}")
        self.best = current
        return True
