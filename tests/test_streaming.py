"""fit/evaluate/predict streaming batches from NumPy memmaps and h5py datasets, with bounded memory."""
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest

import trainwell as tw
from trainwell import layers
from trainwell.data import RowSource

ROOT = Path(__file__).resolve().parents[1]


def dataset(n=300, features=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    return x, (x @ rng.normal(size=features) > 0).astype("int64")


def write_memmap(path, x, mode="r"):
    mapped = np.memmap(path, dtype=x.dtype, mode="w+", shape=x.shape)
    mapped[:] = x
    mapped.flush()
    del mapped
    return np.memmap(path, dtype=x.dtype, mode=mode, shape=x.shape)


def write_hdf5(path, x):
    with h5py.File(path, "w") as handle:
        handle.create_dataset("x", data=x, chunks=(16,) + x.shape[1:])
    return h5py.File(path, "r")


def trained_weights(x, y, **fit_kwargs):
    tw.utils.set_random_seed(5)
    model = tw.Sequential([layers.Input(shape=(6,)), layers.Dense(8, activation="tanh"),
                           layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=2, verbose=0, **fit_kwargs)
    return model, model.get_weights(), history.history


@pytest.mark.parametrize("index", [slice(10, 50), np.array([7, 3, 3, 250, 0]), np.array([5, 6, 7, 8]),
                                   np.array([-1, 0]), 42])
@pytest.mark.parametrize("kind", ["memmap", "memmap_view", "npy", "copy_on_write", "hdf5"])
def test_row_source_reads_any_rows_in_the_order_asked(tmp_path, kind, index):
    x, _ = dataset()
    if kind == "npy":  # numpy.load's memmap starts after the .npy header
        np.save(tmp_path / "x.npy", x)
        source = RowSource(np.load(tmp_path / "x.npy", mmap_mode="r"))
        expected = x[index]
    elif kind == "hdf5":
        source = RowSource(write_hdf5(tmp_path / "x.h5", x)["x"])
        expected = x[index]
    elif kind == "memmap_view":
        source = RowSource(write_memmap(tmp_path / "x.bin", x)[20:])  # starts 20 rows into the file
        expected = x[20:][index]
    else:
        source = RowSource(write_memmap(tmp_path / "x.bin", x, mode="c" if kind == "copy_on_write" else "r"))
        expected = x[index]
    np.testing.assert_array_equal(source[index], expected)
    assert (source._file is not None) == (kind in ("memmap", "memmap_view", "npy"))  # positional reads


def test_row_source_sees_unflushed_writes_through_a_shared_memmap(tmp_path):
    x, _ = dataset(n=50)
    mapped = write_memmap(tmp_path / "x.bin", x, mode="r+")
    mapped[3] = 9.0  # not flushed: the file and the mapping share the page cache
    np.testing.assert_array_equal(RowSource(mapped)[np.array([3, 1])], np.stack([np.full(6, 9.0), x[1]]))


@pytest.mark.parametrize("kind", ["memmap", "hdf5", "float64_in_memory"])
def test_fit_evaluate_predict_on_streamed_data_equal_the_in_memory_run(tmp_path, kind):
    x, y = dataset()
    if kind == "memmap":
        streamed = write_memmap(tmp_path / "x.bin", x)
    elif kind == "hdf5":
        streamed = write_hdf5(tmp_path / "x.h5", x)["x"]
    else:
        streamed = x.astype("float64")  # converted batch by batch, never as a whole
    model, weights, history = trained_weights(x, y, validation_split=0.2)
    model_s, weights_s, history_s = trained_weights(streamed, y, validation_split=0.2)
    for a, b in zip(weights, weights_s):
        np.testing.assert_array_equal(a, b)  # same seed: same shuffles, same batches, same updates
    assert history == history_s
    assert model_s.evaluate(streamed, y, verbose=0) == model.evaluate(x, y, verbose=0)
    np.testing.assert_array_equal(model_s.predict(streamed, verbose=0), model.predict(x, verbose=0))


def test_nan_in_a_memmap_is_refused_naming_the_sample(tmp_path):
    x, y = dataset()
    x[123, 4] = np.nan
    model = tw.Sequential([layers.Input(shape=(6,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = model.get_weights()
    with pytest.raises(ValueError, match="x must be free of NaN and infinite values.*the first in sample 123"):
        model.fit(write_memmap(tmp_path / "x.bin", x), y, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


MEASURE = textwrap.dedent("""
    import json, sys
    import numpy as np
    sys.path.insert(0, {root!r})
    import trainwell as tw

    def status(key):
        for line in open("/proc/self/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024

    x = np.memmap({path!r}, dtype="float32", mode="r", shape=({rows}, 64))
    y = np.zeros({rows}, dtype="float32")
    model = tw.Sequential([tw.layers.Input(shape=(64,)), tw.layers.Dense(8, activation="relu"), tw.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x[:4096], y[:4096], batch_size=2048, epochs=1, verbose=0)  # one-off costs: imports, compiled loops
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # restart the peak (VmHWM) from the current resident set
    before = status("VmRSS")
    model.fit(x, y, batch_size=2048, epochs=1, verbose=0)
    print(json.dumps({{"before": before, "peak": status("VmHWM")}}))
""")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmRSS/VmHWM from Linux's /proc")
def test_fit_on_a_memmap_keeps_resident_memory_far_below_its_size(tmp_path):
    rows = 1_048_576  # x 64 float32 = 256 MiB, written without mapping it into this process
    path = tmp_path / "big.bin"
    with open(path, "wb") as handle:
        for start in range(0, rows, 65536):
            handle.write(np.random.default_rng(start).random((65536, 64), dtype="float32").tobytes())
    script = MEASURE.format(root=str(ROOT), path=str(path), rows=rows)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    memory = json.loads(result.stdout)
    growth = memory["peak"] - memory["before"]
    assert growth < 0.15 * path.stat().st_size, f"fit grew the resident set by {growth / 2**20:.0f} MiB"
