"""trainwell.compiled: every rule's compiled loop, serial and parallel, gives the NumPy path's numbers
bit for bit, runs when available, steps aside when not, and is safe to call from several threads."""
import ctypes.util
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

from trainwell import backend, compiled, optimizers
from trainwell.layers.variable import Variable
from trainwell.optimizers import base

needs_numba = pytest.mark.skipif(compiled._numba() is None, reason="Numba is not installed (the `fast` extra)")

# every rule with every option that changes its loop
VARIANTS = {
    "sgd": lambda: optimizers.SGD(0.05),
    "sgd_momentum": lambda: optimizers.SGD(0.05, momentum=0.9),
    "sgd_nesterov": lambda: optimizers.SGD(0.05, momentum=0.8, nesterov=True),
    "adagrad": lambda: optimizers.Adagrad(0.05),
    "adagrad_from_zero": lambda: optimizers.Adagrad(0.05, initial_accumulator_value=0.0),
    "rmsprop": lambda: optimizers.RMSprop(0.01),
    "rmsprop_momentum": lambda: optimizers.RMSprop(0.01, momentum=0.9),
    "rmsprop_centered": lambda: optimizers.RMSprop(0.01, centered=True),
    "rmsprop_centered_momentum": lambda: optimizers.RMSprop(0.01, centered=True, momentum=0.5),
    "adam": lambda: optimizers.Adam(0.01),
    "adam_amsgrad": lambda: optimizers.Adam(0.01, amsgrad=True),
    "adamw": lambda: optimizers.AdamW(0.01, weight_decay=0.05),
    "adamax": lambda: optimizers.Adamax(0.01),
    "nadam": lambda: optimizers.Nadam(0.01),
    "nadam_momentum_decay": lambda: optimizers.Nadam(0.01, momentum_decay=0.004),
}


@pytest.fixture
def restore_switch():
    previous = backend.compiled_loops_enabled()
    yield
    backend.set_compiled_loops(previous)


def train(make, dtype, use_compiled, steps=2 * base.FLUSH_EVERY, size=3001):
    """`steps` updates of a flat buffer with seeded gradients, ending on a flush step; the first 100
    entries get gradients so small that their momentum sinks below the flush threshold."""
    backend.set_compiled_loops(use_compiled)
    rng = np.random.default_rng(3)
    params = rng.standard_normal(size).astype(dtype)
    optimizer = make()
    optimizer.build([Variable(params, "flat")], size=size, dtype=params.dtype)
    tiny = np.finfo(dtype).tiny
    for _ in range(steps):
        grads = (rng.standard_normal(size) * 0.1).astype(dtype)
        grads[:100] = tiny * 1e3
        optimizer.apply(params, grads)
    return params, {name: np.copy(slot) for name, slot in optimizer.slots.items()}


@pytest.fixture(params=["serial", "parallel"])
def loop_kind(request, monkeypatch):
    """Run the compiled loops in the calling thread, or split across threads (PARALLEL_MIN lowered)."""
    if request.param == "parallel":
        monkeypatch.setattr(compiled, "PARALLEL_MIN", 1)
    return request.param


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_compiled_loop_equals_numpy_path_bit_for_bit(restore_switch, loop_kind, variant, dtype):
    params_compiled, slots_compiled = train(VARIANTS[variant], dtype, use_compiled=True)
    params_numpy, slots_numpy = train(VARIANTS[variant], dtype, use_compiled=False)
    np.testing.assert_array_equal(params_compiled, params_numpy)
    assert slots_compiled.keys() == slots_numpy.keys()
    for name in slots_numpy:
        np.testing.assert_array_equal(slots_compiled[name], slots_numpy[name], err_msg=name)
    if "momentum" in slots_numpy:  # the flush ran on both paths (without it these are ~1e-34)
        assert np.all(slots_numpy["momentum"][:100] == 0)


@needs_numba
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_compiled_loop_is_what_runs_when_available(restore_switch, variant, monkeypatch):
    optimizer = VARIANTS[variant]()
    monkeypatch.setattr(optimizer, "update", lambda *args: pytest.fail("the NumPy path ran"))
    backend.set_compiled_loops(True)
    w = np.ones(5, dtype=np.float32)
    optimizer.apply_gradients([(np.full(5, 0.5, dtype=np.float32), w)])
    assert np.all(w < 1.0)


def test_every_registered_rule_has_a_compiled_loop():
    missing = [name for name in base.REGISTRY.names() if base.REGISTRY.lookup(name, "test").compiled_update is None]
    assert missing == []


@pytest.mark.parametrize("switch_off", [
    lambda monkeypatch: backend.set_compiled_loops(False),
    lambda monkeypatch: monkeypatch.setattr(compiled, "_numba", lambda: None),  # Numba not installed
], ids=["switched_off", "without_numba"])
def test_numpy_path_runs_when_compiled_loops_are_not_available(restore_switch, monkeypatch, switch_off):
    switch_off(monkeypatch)
    assert not compiled.available()
    optimizer = optimizers.SGD(0.1)
    monkeypatch.setattr(optimizer, "compiled_update", lambda *args: pytest.fail("the compiled loop ran"))
    w = np.ones(3)
    optimizer.apply_gradients([(np.array([1.0, 2.0, 3.0]), w)])
    np.testing.assert_allclose(w, [0.9, 0.8, 0.7], rtol=1e-15)


def test_float16_buffers_take_the_numpy_path(restore_switch, monkeypatch):
    optimizer = optimizers.Adam(0.1)
    monkeypatch.setattr(optimizer, "compiled_update", lambda *args: pytest.fail("the compiled loop ran"))
    w = np.ones(4, dtype=np.float16)
    optimizer.apply_gradients([(np.ones(4, dtype=np.float16), w)])
    assert np.all(w < 1.0)


def test_calling_a_loop_without_numba_names_the_extra(monkeypatch):
    monkeypatch.setattr(compiled, "_numba", lambda: None)

    @compiled.loop
    def double(x):
        for i in compiled.prange(x.size):
            x[i] *= 2

    with pytest.raises(RuntimeError, match=r"trainwell\[fast\]"):
        double(np.ones(3))
    x = np.ones(3)
    double.python_function(x)  # the plain-Python loop still runs, prange being range
    np.testing.assert_array_equal(x, [2.0, 2.0, 2.0])


@needs_numba
def test_optimizers_stepping_in_several_threads_give_the_sequential_results(restore_switch, loop_kind):
    backend.set_compiled_loops(True)
    rng = np.random.default_rng(9)
    starts = [rng.standard_normal(50_000).astype(np.float32) for _ in range(4)]
    grads = [rng.standard_normal(50_000).astype(np.float32) for _ in range(4)]

    def run(index, out):
        w, optimizer = starts[index].copy(), optimizers.Adam(0.01)
        for _ in range(30):
            optimizer.apply_gradients([(grads[index], w)])
        out[index] = w

    sequential, threaded = {}, {}
    for index in range(4):
        run(index, sequential)
    threads = [threading.Thread(target=run, args=(index, threaded)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index in range(4):
        np.testing.assert_array_equal(threaded[index], sequential[index])


def layer_pass(make_layer, x, grad, use_compiled, training=True):
    """Forward and backward of a freshly seeded layer on one path: (outputs, input gradient, weight gradients)."""
    from trainwell import utils

    backend.set_compiled_loops(use_compiled)
    utils.set_random_seed(5)
    layer = make_layer()
    with backend.recording(False):
        layer(x, training=training)  # builds it
    weights = layer.trainable_weights
    for variable in weights:
        variable.grad = np.full(variable.shape, np.nan, dtype=variable.dtype)
    with backend.recording():
        outputs = layer(x, training=training)
        input_grad = layer.run_backward(grad)
    return outputs, input_grad, [np.copy(v.grad) for v in weights]


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", ["dense_relu", "dense_relu_no_bias", "batchnorm_training", "batchnorm_inference"])
def test_layer_loops_equal_numpy_path_bit_for_bit(restore_switch, loop_kind, case, dtype):
    from trainwell import initializers, layers

    make = {"dense_relu": lambda: layers.Dense(300, activation="relu", bias_initializer="random_normal"),
            "dense_relu_no_bias": lambda: layers.Dense(300, activation="relu", use_bias=False),
            "batchnorm_training": lambda: layers.BatchNormalization(gamma_initializer="random_normal"),
            "batchnorm_inference": lambda: layers.BatchNormalization(
                moving_mean_initializer="random_normal", moving_variance_initializer=initializers.RandomUniform(0.5, 2))}
    rng = np.random.default_rng(2)
    width = 300 if case.startswith("dense") else 64
    x = rng.standard_normal((96, 64)).astype(dtype)
    grad = rng.standard_normal((96, width)).astype(dtype)
    training = case != "batchnorm_inference"
    compiled_run = layer_pass(make[case], x, grad, True, training)
    numpy_run = layer_pass(make[case], x, grad, False, training)
    assert compiled_run[1] is not None and compiled_run[2] and not any(np.isnan(g).any() for g in compiled_run[2])
    for got, expected in zip(compiled_run[:2] + tuple(compiled_run[2]), numpy_run[:2] + tuple(numpy_run[2])):
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))  # no -0.0 where NumPy has 0.0
    if case == "dense_relu":
        assert np.mean(compiled_run[0] == 0) > 0.2  # relu cut a fair share: both branches ran



@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", ["conv_same", "conv_strided_dilated", "max_pool", "max_pool_overlapping_same"])
def test_image_loops_equal_numpy_path_bit_for_bit(restore_switch, loop_kind, case, dtype):
    """Window.fold (Conv2D's input gradient) and MaxPooling2D's backward, ties included."""
    from trainwell import layers

    make = {"conv_same": lambda: layers.Conv2D(4, 3, padding="same", bias_initializer="random_normal"),
            "conv_strided_dilated": lambda: layers.Conv2D(3, 3, strides=2, dilation_rate=(2, 1)),
            "max_pool": lambda: layers.MaxPooling2D(),
            "max_pool_overlapping_same": lambda: layers.MaxPooling2D(3, strides=2, padding="same")}
    rng = np.random.default_rng(4)
    x = np.round(rng.standard_normal((6, 11, 9, 5)) * 2).astype(dtype)  # few distinct values: ties in pools
    layer = make[case]()
    out_shape = layer.compute_output_shape(x.shape)
    grad = rng.standard_normal(out_shape).astype(dtype)
    compiled_run = layer_pass(make[case], x, grad, True)
    numpy_run = layer_pass(make[case], x, grad, False)
    assert compiled_run[1] is not None and (case.startswith("max_pool") or compiled_run[2])
    for got, expected in zip(compiled_run[:2] + tuple(compiled_run[2]), numpy_run[:2] + tuple(numpy_run[2])):
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))


FORK_AFTER_A_PARALLEL_LOOP = textwrap.dedent("""
    import multiprocessing, sys
    import numpy as np
    sys.path.insert(0, {root!r})
    from trainwell import compiled
    from trainwell.optimizers import SGD

    def step(_):
        w = np.ones(compiled.PARALLEL_MIN * 2, dtype=np.float32)
        SGD(0.5).apply_gradients([(np.ones_like(w), w)])
        return float(w.max()), float(w.min())

    if __name__ == "__main__":
        print(step(0))  # the parent runs a parallel loop, starting OpenMP's threads
        with multiprocessing.get_context("fork").Pool(2) as pool:
            print(pool.map(step, [0, 1]))
""")


@needs_numba
@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_process_forked_after_a_parallel_loop_runs_its_loops(tmp_path):
    # GNU OpenMP aborts a forked child that starts threads its parent used; the child must go serial
    script = tmp_path / "fork_after_loop.py"
    script.write_text(FORK_AFTER_A_PARALLEL_LOOP.format(root=str(Path(__file__).resolve().parents[1])))
    try:  # about a second when it works; a child killed by OpenMP leaves the pool waiting forever
        result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired as timeout:
        pytest.fail(f"the forked children never answered: {timeout.stderr}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split("\n")[:2] == ["(0.5, 0.5)", "[(0.5, 0.5), (0.5, 0.5)]"]


OPENMP_LOADED_FIRST = textwrap.dedent("""
    import ctypes, json, os, sys
    import numpy as np
    {load}
    sys.path.insert(0, {root!r})
    from trainwell import compiled
    from trainwell.optimizers import SGD

    w = np.ones(compiled.PARALLEL_MIN * 2, dtype=np.float32)
    SGD(0.5).apply_gradients([(np.ones_like(w), w)])
    print(json.dumps({{"serial_only": compiled._threads["serial_only"], "started": compiled._threads["started"],
                      "w": float(w.max())}}))
""")


@needs_numba
@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads Linux's /proc/self/maps")
def test_loops_stay_serial_when_another_library_loaded_gnu_openmp_first(tmp_path):
    def run(load):
        script = OPENMP_LOADED_FIRST.format(load=load, root=str(Path(__file__).resolve().parents[1]))
        env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "NUMBA_THREADING_LAYER")}
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
        assert result.returncode == 0, result.stderr[-2000:]
        return json.loads(result.stdout)

    libgomp = ctypes.util.find_library("gomp")
    if libgomp is None:
        pytest.skip("no libgomp to load first")
    first = run(f"ctypes.CDLL({libgomp!r})")  # as `import torch` does with its own copy
    alone = run("")
    assert first == {"serial_only": True, "started": False, "w": 0.5}
    assert alone == {"serial_only": False, "started": True, "w": 0.5}


@needs_numba
@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop"])
def test_a_whole_fit_gives_the_same_weights_with_and_without_the_compiled_loops(restore_switch, loop_kind, optimizer):
    """End to end: relu Dense, BatchNormalization, Conv2D and MaxPooling2D layers, the loss and the
    optimizer over two epochs; a model trained with Numba and one trained without agree bit for bit."""
    from trainwell import Sequential, layers, utils

    rng = np.random.default_rng(8)
    x = rng.standard_normal((96, 8, 8, 2)).astype(np.float32)
    y = rng.integers(0, 3, 96)

    def train(use_compiled):
        backend.set_compiled_loops(use_compiled)
        utils.set_random_seed(3)
        model = Sequential([layers.Input((8, 8, 2)), layers.Conv2D(4, 3, padding="same", activation="relu"),
                            layers.MaxPooling2D(), layers.Flatten(), layers.BatchNormalization(),
                            layers.Dense(16, activation="relu"), layers.Dense(3, activation="softmax")])
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=32, epochs=2, verbose=0)
        return model.get_weights()

    for got, expected in zip(train(True), train(False)):
        np.testing.assert_array_equal(got, expected)


@needs_numba
def test_takes_only_contiguous_float32_or_float64_arrays_of_one_dtype(restore_switch):
    backend.set_compiled_loops(True)
    a, b = np.zeros((4, 3), np.float32), np.zeros(3, np.float32)
    assert compiled.takes(a, b) and compiled.takes(a.astype(np.float64))
    assert not compiled.takes(a, b.astype(np.float64))  # mixed dtypes: NumPy decides the promotion
    assert not compiled.takes(a.T, b)  # not C-contiguous
    assert not compiled.takes(a.astype(np.float16)) and not compiled.takes(np.zeros(3, np.int64))
    backend.set_compiled_loops(False)
    assert not compiled.takes(a, b)
