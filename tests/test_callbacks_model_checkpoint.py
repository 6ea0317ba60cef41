"""ModelCheckpoint: names from the logs, save_best_only, integer save_freq, paths, errors (keras_semantics §8.5)."""
import os

import h5py
import numpy as np
import pytest

from tests.test_io import read_only_directory
from trainwell import layers, models, optimizers
from trainwell.callbacks import ModelCheckpoint
from trainwell.models import Sequential

X = np.random.default_rng(0).normal(size=(10, 4)).astype("float32")
Y = np.random.default_rng(1).integers(0, 2, size=10)


def small_model():
    model = Sequential([layers.Input(shape=(4,)), layers.Dense(3, activation="relu"),
                        layers.Dense(2, activation="softmax")])
    model.compile(optimizers.SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def stored_kernel(path):
    with h5py.File(path, "r") as file:
        return file["layers/dense/vars/0"][()]


def drive(checkpoint, model, values, key="val_loss"):
    """Run the epoch-end hook with scripted logs; before epoch e every weight is set to e + 1."""
    checkpoint.set_model(model)
    checkpoint.on_train_begin()
    for epoch, value in enumerate(values):
        model.set_weights([np.full(w.shape, epoch + 1.0, w.dtype) for w in model.get_weights()])
        checkpoint.on_epoch_begin(epoch)
        checkpoint.on_epoch_end(epoch, {key: value})


def test_file_names_take_the_one_based_epoch_and_the_logged_values(tmp_path):
    model = small_model()
    pattern = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.h5")
    history = model.fit(X, Y, epochs=3, batch_size=4, validation_split=0.2, verbose=0,
                        callbacks=[ModelCheckpoint(pattern)])
    expected = {f"ckpt-{epoch + 1:02d}-{value:.2f}.h5" for epoch, value in enumerate(history.history["val_loss"])}
    assert {p.name for p in tmp_path.iterdir()} == expected
    last = models.load_model(tmp_path / sorted(expected)[-1])
    assert np.array_equal(last.predict(X, verbose=0), model.predict(X, verbose=0))  # saved after the last epoch


def test_save_best_only_writes_only_when_the_monitor_improves(tmp_path):
    model = small_model()
    drive(ModelCheckpoint(str(tmp_path / "{epoch}.weights.h5"), save_best_only=True, save_weights_only=True),
          model, [0.5, 0.6, 0.4, 0.45])
    # 0.5 is the first value (an improvement on None), 0.6 and 0.45 are worse than the best so far
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1.weights.h5", "3.weights.h5"]
    assert np.all(stored_kernel(tmp_path / "3.weights.h5") == 3.0)


def test_one_best_file_holds_the_best_epochs_weights_and_initial_threshold_gates_the_first_save(tmp_path):
    model = small_model()
    path = tmp_path / "best.weights.h5"
    checkpoint = ModelCheckpoint(str(path), save_best_only=True, save_weights_only=True, initial_value_threshold=0.45)
    checkpoint.set_model(model)
    checkpoint.on_train_begin()
    for epoch, value in enumerate([0.5, 0.6, 0.4, 0.41]):
        model.set_weights([np.full(w.shape, epoch + 1.0, w.dtype) for w in model.get_weights()])
        checkpoint.on_epoch_end(epoch, {"val_loss": value})
        assert path.exists() == (epoch >= 2)  # 0.5 and 0.6 do not beat the threshold 0.45
    assert np.all(stored_kernel(path) == 3.0) and checkpoint.best == 0.4


def test_mode_auto_keeps_the_highest_accuracy(tmp_path):
    model = small_model()
    model.evaluate(X, Y, verbose=0)  # resolves the compiled metrics, as fit does before any callback
    drive(ModelCheckpoint(str(tmp_path / "{epoch}.weights.h5"), monitor="val_accuracy", save_best_only=True,
                          save_weights_only=True), model, [0.6, 0.5, 0.7], key="val_accuracy")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1.weights.h5", "3.weights.h5"]


def test_integer_save_freq_counts_batches_across_epochs(tmp_path):
    # 10 samples, batch 2: 5 batches per epoch. save_freq=3 saves after global batches 3, 6 and 9:
    # epoch 1 batch 3, epoch 2 batch 1 (6 = 5 + 1) and epoch 2 batch 4 (9 = 5 + 4); batches are 1-based in names.
    pattern = str(tmp_path / "e{epoch}-b{batch}.weights.h5")
    small_model().fit(X, Y, epochs=2, batch_size=2, verbose=0,
                      callbacks=[ModelCheckpoint(pattern, save_weights_only=True, save_freq=3)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e1-b3.weights.h5", "e2-b1.weights.h5", "e2-b4.weights.h5"]


def test_extensions_follow_kerass_rules():
    with pytest.raises(ValueError, match=r"filepath must be a path ending in \.weights\.h5 when save_weights_only"):
        ModelCheckpoint("w.h5", save_weights_only=True)
    with pytest.raises(ValueError, match=r"not Keras 3's zipped \.keras archives"):
        ModelCheckpoint("model.keras")
    with pytest.raises(ValueError, match=r"save_freq must be 'epoch' or a positive integer"):
        ModelCheckpoint("m.h5", save_freq="batch")
    assert ModelCheckpoint("m.hdf5").filepath == "m.hdf5"


def test_a_missing_or_read_only_directory_is_an_error_before_training(tmp_path):
    cases = ((tmp_path / "absent", FileNotFoundError), (read_only_directory(tmp_path), PermissionError))
    for directory, error in cases:
        model = small_model()
        before = model.get_weights()
        with pytest.raises(error, match="ModelCheckpoint: filepath's directory must be") as raised:
            model.fit(X, Y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(str(directory / "m.h5"))])
        assert str(directory) in str(raised.value)
        assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))


def test_directories_named_by_fields_are_created(tmp_path):
    small_model().fit(X, Y, epochs=2, verbose=0, callbacks=[ModelCheckpoint(str(tmp_path / "run-{epoch}" / "m.h5"))])
    assert sorted(os.listdir(tmp_path)) == ["run-1", "run-2"] and os.listdir(tmp_path / "run-2") == ["m.h5"]


def test_a_missing_monitor_warns_once_and_saves_every_time_as_keras(tmp_path):
    model = small_model()
    with pytest.warns(UserWarning, match="monitor='val_loss' is not in the logs.*saving every time") as warned:
        drive(ModelCheckpoint(str(tmp_path / "{epoch}.weights.h5"), save_best_only=True, save_weights_only=True),
              model, [0.5, 0.6], key="loss")
    assert len(warned) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1.weights.h5", "2.weights.h5"]


def test_an_unknown_field_is_a_key_error_listing_the_fields(tmp_path):
    with pytest.raises(KeyError, match=r"names the field 'val_acc', which is not logged; the fields are: epoch, loss"):
        drive(ModelCheckpoint(str(tmp_path / "{val_acc}.h5")), small_model(), [0.5], key="loss")


def test_verbose_messages_follow_keras(tmp_path, capsys):
    path = tmp_path / "b.weights.h5"
    drive(ModelCheckpoint(str(path), save_best_only=True, save_weights_only=True, verbose=1), small_model(), [0.5, 0.6])
    lines = [line for line in capsys.readouterr().out.splitlines() if line]
    assert lines == [f"Epoch 1: val_loss improved from None to 0.50000, saving model to {path}",
                     "Epoch 2: val_loss did not improve from 0.50000"]


def test_state_round_trips_for_resume(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "m.h5"), save_best_only=True, save_freq=4)
    checkpoint.set_state({"best": 0.25, "batches_since_save": 3})
    assert checkpoint.get_state() == {"best": 0.25, "batches_since_save": 3}
    with pytest.raises(ValueError, match="batches_since_save must be an integer >= 0"):
        checkpoint.set_state({"best": 0.1, "batches_since_save": -1})
    assert checkpoint.best == 0.25
