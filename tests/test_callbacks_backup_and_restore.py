"""BackupAndRestore: an interrupted fit started again continues exactly (weights, optimizer, callbacks, RNG)."""
import h5py
import numpy as np
import pytest

from tests.test_io import read_only_directory
from trainwell import io, layers, optimizers, utils
from trainwell.callbacks import BackupAndRestore, Callback, EarlyStopping, ReduceLROnPlateau
from trainwell.models import Sequential

X = np.random.default_rng(0).normal(size=(40, 5)).astype("float32")
Y = np.random.default_rng(1).integers(0, 3, size=40)
EPOCHS = 6


class Interrupt(Exception):
    """Stands for the process dying at a chosen batch."""


class InterruptAt(Callback):
    def __init__(self, global_batch):
        super().__init__()
        self.global_batch, self.seen = global_batch, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.global_batch:
            raise Interrupt


def build(backup_dir, save_freq="epoch", extra=()):
    """The same command each time: seed, model and callbacks. Returns (model, callbacks)."""
    utils.set_random_seed(3)
    model = Sequential([layers.Input(shape=(5,)), layers.Dense(8, activation="relu"), layers.BatchNormalization(),
                        layers.Dropout(0.3), layers.Dense(3, activation="softmax")])
    model.compile(optimizers.Nadam(0.02), "sparse_categorical_crossentropy", metrics=["accuracy"])
    # min_delta=10: only the first epoch improves, so the rate halves on a schedule set by wait and cooldown,
    # and EarlyStopping stops at a fixed epoch; both only if their counters survive the restarts.
    callbacks = [ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, cooldown=1, min_delta=10.0),
                 EarlyStopping(monitor="loss", min_delta=10.0, patience=4, restore_best_weights=True),
                 BackupAndRestore(backup_dir, save_freq=save_freq), *extra]
    return model, callbacks


def run(backup_dir, save_freq="epoch", interrupt_at=None, batch_size=8):
    """Build and fit; returns (model, history), history None when interrupted at global batch `interrupt_at`."""
    model, callbacks = build(backup_dir, save_freq, [] if interrupt_at is None else [InterruptAt(interrupt_at)])
    try:
        history = model.fit(X, Y, epochs=EPOCHS, batch_size=batch_size, verbose=0, callbacks=callbacks)
    except Interrupt:
        return model, None
    return model, history


def same_weights(a, b):
    return all(x.dtype == y.dtype and np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))


# Interruptions chosen so that the last backup falls between epochs (save_freq='epoch') or inside one.
@pytest.mark.parametrize("save_freq, interruptions, position", [("epoch", [12, 7], (3, 0)), (3, [8, 4, 5], (2, 2)),
                                                                 (1, [2, 6, 8], (2, 3))])
def test_an_interrupted_run_started_again_ends_with_the_uninterrupted_weights(tmp_path, save_freq, interruptions,
                                                                             position):
    reference, reference_history = run(tmp_path / "reference", save_freq)
    assert reference_history.epoch == [0, 1, 2, 3, 4]  # EarlyStopping stops after epoch 4 (patience 4)
    for batch in interruptions:  # 5 batches per epoch; each restart resumes, then dies again
        assert run(tmp_path / "backup", save_freq, interrupt_at=batch)[1] is None
    assert backup_state(tmp_path / "backup")[:2] == position
    model, history = run(tmp_path / "backup", save_freq)
    assert same_weights(model, reference)
    resumed = history.epoch
    assert resumed == list(range(position[0], 5))
    for key in ("learning_rate", "loss", "accuracy"):  # mid-epoch resumes restore the running sums too
        assert history.history[key] == reference_history.history[key][resumed[0]:]


def test_a_mid_epoch_backup_holds_the_next_batch_and_the_weights_in_kerass_layout(tmp_path):
    run(tmp_path, save_freq=3, interrupt_at=8)  # backups after batches 3 and 6: epoch 1 (0-based), its batch 1
    with h5py.File(tmp_path / "backup.h5", "r") as file:
        assert file.attrs["trainwell_format"] == "backup"
        assert sorted(file["layers"]) == ["batch_normalization", "dense", "dense_1", "dropout"]
        assert "generator_state" in file["layers/dropout"].attrs
        assert file["optimizer/vars/0"][()] == 6  # six steps were taken
    epoch, step, tree = backup_state(tmp_path)
    assert (epoch, step, tree["steps_per_epoch"]) == (1, 1, 5)
    assert tree["totals"][1] == 8  # one batch of 8 samples seen in that epoch
    assert [entry["class_name"] for entry in tree["callbacks"]] == ["ReduceLROnPlateau", "EarlyStopping"]


def backup_state(backup_dir):
    """(epoch, next batch, the whole resume tree) of the backup in `backup_dir`."""
    with io.hdf5_reader(backup_dir / "backup.h5", "test") as file:
        tree = io.read_tree(file["resume"], "test", "backup.h5")
    return tree["epoch"], tree["step"], tree


def test_the_backup_is_deleted_when_training_ends_unless_kept(tmp_path):
    run(tmp_path, interrupt_at=7)
    assert (tmp_path / "backup.h5").exists()
    run(tmp_path)
    assert not (tmp_path / "backup.h5").exists()
    utils.set_random_seed(0)
    model = Sequential([layers.Input(shape=(5,)), layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    keep = BackupAndRestore(tmp_path / "kept", delete_checkpoint=False)
    model.fit(X, Y, epochs=2, verbose=0, callbacks=[keep])
    weights = model.get_weights()
    history = model.fit(X, Y, epochs=2, verbose=0, callbacks=[keep])  # the finished run resumes as finished
    assert history.epoch == [] and all(np.array_equal(a, b) for a, b in zip(model.get_weights(), weights))


def test_missing_parent_and_read_only_directories_are_errors_at_train_begin(tmp_path):
    with pytest.raises(FileNotFoundError, match="BackupAndRestore: backup_dir's parent must be a path in an existing"):
        run(tmp_path / "absent" / "backup")
    with pytest.raises(PermissionError, match="BackupAndRestore: backup_dir must be a path in a directory this"):
        run(read_only_directory(tmp_path))


def test_a_backup_from_another_command_is_refused_and_the_model_left_unchanged(tmp_path):
    run(tmp_path, save_freq=3, interrupt_at=8)
    cases = [({"batch_size": 10}, (), "stopped inside an epoch of 5 batches; this fit has 4 per epoch"),
             ({}, [EarlyStopping(monitor="loss")], r"made with the callbacks \['ReduceLROnPlateau', 'EarlyStopping'\]")]
    for fit_changes, extra, message in cases:
        model, callbacks = build(tmp_path, save_freq=3, extra=extra)
        before = model.get_weights()
        with pytest.raises(ValueError, match=message):
            model.fit(X, Y, epochs=EPOCHS, verbose=0, callbacks=callbacks, **{"batch_size": 8, **fit_changes})
        assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))
        assert model.optimizer.iterations == 0


def test_a_corrupt_backup_is_refused_naming_the_file(tmp_path):
    (tmp_path / "backup.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(ValueError, match=r"backup\.h5'? is not a readable HDF5 file"):
        run(tmp_path)
    with h5py.File(tmp_path / "backup.h5", "w") as file:
        file["x"] = 1
    with pytest.raises(ValueError, match="is not a trainwell backup"):
        run(tmp_path)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match=r"save_freq must be 'epoch' or a positive integer"):
        BackupAndRestore("b", save_freq="batch")
    with pytest.raises(ValueError, match=r"save_freq must be an integer >= 1"):
        BackupAndRestore("b", save_freq=0)
    with pytest.raises(TypeError, match="backup_dir must be a directory path"):
        BackupAndRestore(None)


def test_callback_states_round_trip_and_a_state_that_does_not_fit_changes_nothing(tmp_path):
    model, _ = build(tmp_path)
    stop = EarlyStopping(monitor="loss", restore_best_weights=True)
    stop.set_model(model)
    weights = model.get_weights()
    stop.set_state({"wait": 2, "best": 0.5, "best_epoch": 3, "stopped_epoch": 0, "best_weights": weights})
    state = stop.get_state()
    assert (state["wait"], state["best"], state["best_epoch"], state["stopped_epoch"]) == (2, 0.5, 3, 0)
    assert all(np.array_equal(a, b) for a, b in zip(state["best_weights"], weights))
    with pytest.raises(ValueError, match="best_weights must be arrays of the model's shapes"):
        stop.set_state({**state, "wait": 0, "best_weights": [w[:1] for w in weights]})
    assert stop.wait == 2
    reduce = ReduceLROnPlateau(monitor="loss")
    reduce.set_state({"wait": 1, "best": 0.25, "cooldown_counter": 3})
    assert reduce.get_state() == {"wait": 1, "best": 0.25, "cooldown_counter": 3}
    with pytest.raises(ValueError, match="cooldown_counter must be an integer >= 0"):
        reduce.set_state({"wait": 0, "best": 0.1, "cooldown_counter": -1})
    assert reduce.get_state() == {"wait": 1, "best": 0.25, "cooldown_counter": 3}
