"""Fault test: a run SIGKILLed at 10 random moments, some mid-write, ends bit for bit as one never killed."""
import os
import pathlib
import random
import signal
import subprocess
import sys
import textwrap
import time

import h5py
import numpy as np

from trainwell import models

ROOT = pathlib.Path(__file__).resolve().parents[1]
KILLS = 10

# The training command. With a slowness > 0 every atomic write pauses before and after the data is
# written (the temporary file exists, the target is still the previous file), so kills often land there.
TRAIN = textwrap.dedent("""
    import contextlib, pathlib, sys, time
    import numpy as np
    from trainwell import callbacks, io, layers, optimizers, utils
    from trainwell.models import Sequential

    work, slowness = pathlib.Path(sys.argv[1]), float(sys.argv[2])
    if slowness:
        atomic_write = io.atomic_write

        @contextlib.contextmanager
        def slow_atomic_write(path, *args, **kwargs):
            with atomic_write(path, *args, **kwargs) as target:
                time.sleep(slowness)
                yield target
                time.sleep(slowness)

        io.atomic_write = slow_atomic_write
    utils.set_random_seed(11)
    x = np.random.default_rng(0).normal(size=(64, 6)).astype("float32")
    y = np.random.default_rng(1).integers(0, 3, size=64)
    model = Sequential([layers.Input(shape=(6,)), layers.Dense(16, activation="relu"), layers.BatchNormalization(),
                        layers.Dropout(0.2), layers.Dense(3, activation="softmax")])
    model.compile(optimizers.Nadam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    (work / "checkpoints").mkdir(parents=True, exist_ok=True)
    steps = [callbacks.ReduceLROnPlateau(monitor="loss", factor=0.7, patience=1, min_delta=0.02),
             callbacks.EarlyStopping(monitor="loss", patience=50, restore_best_weights=True),
             callbacks.ModelCheckpoint(str(work / "checkpoints" / "epoch-{epoch:02d}.h5")),
             callbacks.ModelCheckpoint(str(work / "checkpoints" / "best.weights.h5"), monitor="loss",
                                       save_best_only=True, save_weights_only=True),
             callbacks.BackupAndRestore(str(work / "backup"), save_freq=2)]
    print("training", flush=True)
    model.fit(x, y, epochs=20, batch_size=8, shuffle=True, verbose=0, callbacks=steps)
    model.save_weights(work / "final.weights.h5")
""")


def test_a_run_killed_ten_times_ends_with_the_uninterrupted_weights_and_every_file_opens(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(TRAIN)
    train(script, tmp_path / "reference", slowness=0.0)
    work, moments = tmp_path / "run", random.Random(20240611)
    mid_write = 0
    for _ in range(KILLS):
        process = start(script, work, slowness=0.03)
        time.sleep(moments.uniform(0.05, 0.6))  # a random moment after training began
        assert process.poll() is None, "the run finished before it could be killed; make it longer"
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdout.close()
        temporaries = list(work.rglob(".*.tmp"))
        mid_write += bool(temporaries)  # a write was under way when the process died
        for path in temporaries:
            path.unlink()  # BackupAndRestore clears its own; these would otherwise count for the next kill
        check_every_file_opens(work)
    train(script, work, slowness=0.0)
    assert mid_write >= 1
    assert not (work / "backup" / "backup.h5").exists()  # deleted when training ended
    assert read_weights(work / "final.weights.h5") == read_weights(tmp_path / "reference" / "final.weights.h5")


def start(script, work, slowness):
    process = subprocess.Popen([sys.executable, str(script), str(work), str(slowness)], cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()  # printed once the model is built, right before fit
    assert line == "training\n", f"the training script failed to start (exit code {process.wait()})"
    return process


def train(script, work, slowness):
    process = start(script, work, slowness)
    assert process.wait(timeout=120) == 0
    process.stdout.close()


def check_every_file_opens(work):
    """Every checkpoint and backup on disk opens and reads in full: no half-written file is ever visible."""
    for path in work.rglob("*.h5"):
        with h5py.File(path, "r") as file:
            file.visititems(lambda name, item: item[()] if isinstance(item, h5py.Dataset) else None)
        if path.name.startswith("epoch-"):
            models.load_model(path)


def read_weights(path):
    """Every weight dataset's bytes, by name, so that equality is bit for bit."""
    arrays = {}
    with h5py.File(path, "r") as file:
        file.visititems(lambda name, item: arrays.__setitem__(name, np.asarray(item[()]).tobytes())
                        if isinstance(item, h5py.Dataset) else None)
    return arrays
