"""BackupAndRestore: back a run up as it trains, so that the same command started again continues it exactly."""
import copy
import os

import h5py
import numpy

from trainwell import backend, io
from trainwell._errors import bad_type, bad_value, check_number
from trainwell.callbacks.base import REGISTRY, Callback

BACKUP_NAME = "backup.h5"


@REGISTRY.register()
class BackupAndRestore(Callback):
    """Backs the run up to `<backup_dir>/backup.h5`; a `fit` that finds a backup resumes from it.

    A backup is taken at a save point, between batches or between epochs, after every callback has
    handled the step before it: with save_freq='epoch' before each epoch after the first (so after
    the previous epoch's validation and every `on_epoch_end`); with an integer N at the first save
    point after N more batches (counted across epochs), which may fall inside an epoch. It holds the
    weights (Keras's .weights.h5 layout), the optimizer's step, slots and learning rate, each
    Dropout/RReLU layer's generator state, the library generator's state at the start of the epoch
    (to draw the epoch's shuffle again), the epoch and the next batch, that epoch's running loss sum
    and metric states, and the state of every callback with `get_state()` (EarlyStopping,
    ReduceLROnPlateau, ModelCheckpoint). Killed and started again with the same command (same seed,
    model, data, batch size and callbacks), the run skips what was done and ends with the weights
    an uninterrupted run ends with, bit for bit on the CPU. The file is written atomically, so a kill
    during a backup leaves the previous one. The History of a resumed fit lists the epochs it ran.

    Arguments (Keras's defaults): backup_dir (created if missing; its parent must exist),
    save_freq='epoch' (or an integer number of batches), delete_checkpoint=True (delete the backup
    when training ends, so the next run starts afresh). Keras's `double_checkpoint` is not needed:
    atomic writes already keep the previous backup until a new one is whole. PyTorch has no
    counterpart: users save and reload state dicts themselves, and the data order and RNG state are
    theirs to restore.

    Example:
        model.fit(x, y, epochs=100, callbacks=[BackupAndRestore("backup", save_freq=500)])
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        where = type(self).__name__
        if not isinstance(backup_dir, (str, os.PathLike)) or not os.fspath(backup_dir):
            raise bad_type(where, "backup_dir", "a directory path (str or os.PathLike)", backup_dir)
        if save_freq != "epoch" and (isinstance(save_freq, str) or save_freq is None):
            raise bad_value(where, "save_freq", "'epoch' or a positive integer number of batches", save_freq)
        if save_freq != "epoch":
            check_number(where, "save_freq", save_freq, low=1, integer=True)
        if not isinstance(delete_checkpoint, bool):
            raise bad_type(where, "delete_checkpoint", "True or False", delete_checkpoint)
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq, self.delete_checkpoint = save_freq, delete_checkpoint
        self._backup = self._inside = None

    @property
    def path(self):
        """The backup file, `<backup_dir>/backup.h5`."""
        return os.path.join(self.backup_dir, BACKUP_NAME)

    def get_config(self):
        return {"backup_dir": self.backup_dir, "save_freq": self.save_freq, "delete_checkpoint": self.delete_checkpoint}

    def on_train_begin(self, logs=None):
        where = type(self).__name__
        if os.path.isdir(self.backup_dir):
            io.check_writable_directory(where, "backup_dir", self.backup_dir)
        else:
            io.check_writable_directory(where, "backup_dir's parent", os.path.dirname(os.path.abspath(self.backup_dir)))
            os.mkdir(self.backup_dir)
        io.remove_stale_temporaries(self.path)  # left by a run killed during a backup
        self._backup = _Backup.read(self.path, self.model, self.params) if os.path.exists(self.path) else None
        self._inside, self._batches_since_save, self._stateful = None, 0, []

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.exists(self.path):
            os.remove(self.path)

    # ----- called by fit through epochs_to_run / epoch_batches ------------------------------------
    def _epochs(self, initial_epoch, epochs, callbacks):
        self._stateful = [c for c in callbacks if c is not self and callable(getattr(c, "get_state", None))]
        first, backup, self._backup = initial_epoch, self._backup, None
        if backup is not None:
            backup.check_callbacks(self._stateful)
            backup.restore_start(self.model, self._stateful)
            first, self._batches_since_save = backup.tree["epoch"], backup.tree["batches_since_save"]
            self._inside = backup if backup.tree["step"] else None
        for epoch in range(first, epochs):
            self._epoch, self._epoch_start_state = epoch, _generator_state(backend.generator())
            if epoch > first and self._due(between_epochs=True):
                self._save(epoch, 0)
            yield epoch
        if not self.delete_checkpoint and epochs > first:  # a finished run that is kept resumes as finished
            self._epoch_start_state = _generator_state(backend.generator())
            self._save(epochs, 0)

    def _start_epoch(self, batches):
        """Called as an epoch's batches are made: a resumed epoch continues where the backup stopped."""
        inside, self._inside = self._inside, None
        if inside is not None:
            inside.restore_inside(self.model, self._stateful, batches.metric_list)
            batches.first, batches.totals = inside.tree["step"], tuple(inside.tree["totals"])

    def _batch_done(self, batches, step):
        self._batches_since_save += 1
        if step is not None and self._due(between_epochs=False):
            self._save(self._epoch, step, batches.totals, batches.metric_list)

    def _due(self, between_epochs):
        if self.save_freq == "epoch":
            return between_epochs
        return self._batches_since_save >= self.save_freq

    def _save(self, epoch, step, totals=(0.0, 0), metric_list=()):
        from trainwell.models import model_state  # noqa: PLC0415  (models import the callbacks)
        tree = {"epoch": epoch, "step": step, "steps_per_epoch": self.params.get("steps"), "batches_since_save": 0,
                "totals": list(totals), "library_generator": self._epoch_start_state,
                "metrics": [{"class_name": type(m).__name__, "state": _metric_state(m)} for m in metric_list],
                "callbacks": [{"class_name": type(c).__name__, "state": c.get_state()} for c in self._stateful]}
        with io.atomic_write(self.path, mode=None) as temporary, h5py.File(temporary, "w") as file:
            file.attrs[model_state.FORMAT] = "backup"
            model_state.write_model_state(file, self.model, generators=True)
            io.write_tree(file.create_group("resume"), tree)
        self._batches_since_save = 0


def epochs_to_run(callback_list, initial_epoch, epochs):
    """The epochs `fit` runs: range(initial_epoch, epochs), or the rest of a backed-up run."""
    keeper = _keeper(callback_list)
    return range(initial_epoch, epochs) if keeper is None else keeper._epochs(initial_epoch, epochs,
                                                                              callback_list.callbacks)


def epoch_batches(callback_list, batches, metric_list):
    """An EpochBatches over `batches` (with save points and a resumed start when backing up)."""
    keeper = _keeper(callback_list)
    return EpochBatches(batches, metric_list) if keeper is None else _BackedUpBatches(keeper, batches, metric_list)


class EpochBatches:
    """One epoch of `fit`: iterating gives (step, batch index) from `first`; `totals` = (loss sum, samples)."""

    def __init__(self, batches, metric_list):
        self.batches, self.metric_list, self.first, self.totals = batches, metric_list, 0, (0.0, 0)

    def __iter__(self):
        return enumerate(self.batches)


class _BackedUpBatches(EpochBatches):
    """EpochBatches whose gaps between batches are BackupAndRestore's save points."""

    def __init__(self, keeper, batches, metric_list):
        super().__init__(batches, metric_list)
        self.keeper = keeper
        keeper._start_epoch(self)

    def __iter__(self):
        for step in range(self.first, len(self.batches)):
            if step > self.first:  # the previous batch and all its callbacks are done
                self.keeper._batch_done(self, step)
            yield step, self.batches[step]
        if len(self.batches) > self.first:  # the last batch is done; the next save point is between epochs
            self.keeper._batch_done(self, None)


class _Backup:
    """A backup file read and checked against the model, ready to be restored in two steps."""

    def __init__(self, path, restore, tree):
        self.path, self.restore, self.tree = path, restore, tree

    @classmethod
    def read(cls, path, model, params):
        from trainwell.models import model_state  # noqa: PLC0415
        where = "BackupAndRestore"
        with io.hdf5_reader(path, where) as file:
            if file.attrs.get(model_state.FORMAT) != "backup":
                raise ValueError(f"{where}: {path!r} is not a trainwell backup; move it away or delete it.")
            restore = model_state.read_model_state(file, model, where, path, generators=True, strict_optimizer=True)
            tree = io.read_tree(io.child(file, "resume", h5py.Group, where, path), where, path)
        backup = cls(path, restore, tree)
        backup._check_tree(model, params, where)
        return backup

    def _check_tree(self, model, params, where):
        tree, path = self.tree, self.path
        for key in ("epoch", "step", "batches_since_save"):
            if isinstance(tree.get(key), bool) or not isinstance(tree.get(key), int) or tree[key] < 0:
                raise ValueError(f"{where}: {path!r}: the resume state's {key} must be an integer >= 0.")
        if tree["step"] and tree.get("steps_per_epoch") != params.get("steps"):
            raise ValueError(f"{where}: {path!r} stopped inside an epoch of {tree.get('steps_per_epoch')} batches; "
                             f"this fit has {params.get('steps')} per epoch (other data or batch size?). Run the "
                             f"same command, or delete {path!r} to start afresh.")
        if tree.get("library_generator") is not None:
            _check_state(backend.generator(), tree["library_generator"], "the library", where, path)
        stored, live = tree.get("metrics") or [], model.compiled_metrics or []
        if tree["step"] and [m.get("class_name") for m in stored] != [type(m).__name__ for m in live]:
            raise ValueError(f"{where}: {path!r} was made with other metrics than this fit's.")
        for metric, entry in zip(live, stored):
            expected = _metric_state(metric)
            state = entry.get("state") or {}
            if set(state) != set(expected) or any(numpy.shape(state[k]) != numpy.shape(expected[k]) for k in state):
                raise ValueError(f"{where}: {path!r}: the state of metric {metric.name!r} does not fit it.")

    def check_callbacks(self, callbacks):
        """Prove each stored callback state fits this fit's callbacks, on copies, before anything changes."""
        stored = self.tree.get("callbacks") or []
        if [entry.get("class_name") for entry in stored] != [type(c).__name__ for c in callbacks]:
            names = [entry.get("class_name") for entry in stored]
            raise ValueError(f"BackupAndRestore: {self.path!r} was made with the callbacks {names}; this fit has "
                             f"{[type(c).__name__ for c in callbacks]}. Run the same command, or delete the backup.")
        for callback, entry in zip(callbacks, stored):
            copy.copy(callback).set_state(entry["state"])

    def restore_start(self, model, callbacks):
        """Weights, optimizer, generators and callback states: the run as it was at the save point."""
        self.restore.apply()
        if self.tree.get("library_generator") is not None:
            backend.generator().bit_generator.state = self.tree["library_generator"]
        for callback, entry in zip(callbacks, self.tree["callbacks"]):
            callback.set_state(entry["state"])

    def restore_inside(self, model, callbacks, metric_list):
        """After the resumed epoch's on_epoch_begin: callback states and learning rate again, metric states."""
        for callback, entry in zip(callbacks, self.tree["callbacks"]):
            callback.set_state(entry["state"])
        if self.restore.optimizer is not None and self.restore.optimizer[1] is not None:
            model.optimizer.learning_rate = self.restore.optimizer[1]
        for metric, entry in zip(metric_list, self.tree["metrics"]):
            for name, value in entry["state"].items():
                current = getattr(metric, name)
                if hasattr(current, "shape") and numpy.ndim(current):
                    current[...] = backend.xp.asarray(value)
                else:
                    setattr(metric, name, value)


def _keeper(callback_list):
    keepers = [c for c in callback_list.callbacks if isinstance(c, BackupAndRestore)]
    if len(keepers) > 1:
        raise ValueError(f"fit: give at most one BackupAndRestore callback; got {len(keepers)}.")
    return keepers[0] if keepers else None


def _metric_state(metric):
    """A metric's running state: its numeric attributes (Mean's total and count, AUC's counts)."""
    state = {}
    for name, value in vars(metric).items():
        if isinstance(value, (bool, int, float, numpy.generic)):
            state[name] = value
        elif hasattr(value, "shape") and hasattr(value, "dtype"):
            state[name] = backend.to_numpy(value).copy()
    return state


def _generator_state(generator):
    from trainwell.models.model_state import generator_state  # noqa: PLC0415
    return generator_state(generator)


def _check_state(generator, state, what, where, path):
    from trainwell.models.model_state import check_generator_state  # noqa: PLC0415
    return check_generator_state(generator, state, what, where, path)
