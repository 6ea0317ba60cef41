"""TensorBoard: event files read back with the tensorboard package's reader (Keras's runs and tags,
update_freq, histogram_freq), gradient and activation histograms re-derived here, and bad arguments."""
import sys

import numpy as np
import pytest

import trainwell as tw
from trainwell import layers
from trainwell.callbacks import LambdaCallback, LearningRateScheduler, TensorBoard


@pytest.fixture
def read_run():
    """Reads one run folder: {tag: [(step, value)]} for scalars, {tag: {step: HistogramValue}}."""
    pytest.importorskip("tensorboardX")
    reader = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")

    def read(path):
        accumulator = reader.EventAccumulator(str(path), size_guidance={"scalars": 0, "histograms": 0})
        accumulator.Reload()
        tags = accumulator.Tags()
        scalars = {tag: [(e.step, e.value) for e in accumulator.Scalars(tag)] for tag in tags["scalars"]}
        histograms = {tag: {e.step: e.histogram_value for e in accumulator.Histograms(tag)}
                      for tag in tags["histograms"]}
        return scalars, histograms
    return read


def data(n=20, features=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    return x, (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int64")


def classifier(*middle):
    model = tw.Sequential([layers.Input(shape=(3,)), layers.Dense(4, activation="relu", name="hidden"), *middle,
                           layers.Dense(2, activation="softmax", name="out")])
    model.compile(optimizer=tw.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def assert_histogram_of(histogram, values):
    """The summary numbers of a histogram equal those of `values` (float32 values, float64 sums)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    assert histogram.num == values.size
    np.testing.assert_allclose([histogram.min, histogram.max, histogram.sum, histogram.sum_squares],
                               [values.min(), values.max(), values.sum(), values @ values], rtol=1e-5, atol=1e-6)


def test_epoch_scalars_go_to_train_and_validation_runs_under_keras_tags(tmp_path, read_run):
    x, y = data(30)
    model = classifier()
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.2, verbose=0,
                        callbacks=[TensorBoard(tmp_path)])
    train, train_histograms = read_run(tmp_path / "train")
    validation, _ = read_run(tmp_path / "validation")
    assert set(train) == {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"} and not train_histograms
    assert set(validation) == {"epoch_loss", "epoch_accuracy", "evaluation_loss_vs_iterations",
                               "evaluation_accuracy_vs_iterations"}
    float32 = lambda values: [float(np.float32(v)) for v in values]  # noqa: E731  (events hold float32)
    assert train["epoch_loss"] == list(zip([0, 1, 2], float32(history.history["loss"])))
    assert train["epoch_accuracy"] == list(zip([0, 1, 2], float32(history.history["accuracy"])))
    assert validation["epoch_loss"] == list(zip([0, 1, 2], float32(history.history["val_loss"])))
    # 24 training rows in batches of 8: 3 steps an epoch, so the evaluations come at iterations 3, 6, 9
    assert validation["evaluation_loss_vs_iterations"] == list(zip([3, 6, 9], float32(history.history["val_loss"])))


def test_without_validation_there_is_no_validation_run(tmp_path, read_run):
    x, y = data()
    classifier().fit(x, y, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train"]


def test_epoch_learning_rate_is_the_optimizers_rate_at_the_end_of_each_epoch(tmp_path, read_run):
    x, y = data()
    schedule = LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))
    classifier().fit(x, y, epochs=3, verbose=0, callbacks=[schedule, TensorBoard(tmp_path)])
    train, _ = read_run(tmp_path / "train")
    assert train["epoch_learning_rate"] == [(0, float(np.float32(0.1))), (1, float(np.float32(0.05))),
                                            (2, float(np.float32(0.1 / 3)))]


@pytest.mark.parametrize("update_freq, steps", [(2, [2, 4, 6]), ("batch", [1, 2, 3, 4, 5, 6])])
def test_batch_scalars_are_written_every_update_freq_global_batches(tmp_path, read_run, update_freq, steps):
    # 10 rows in batches of 4: 3 batches an epoch; the global batch counter runs 1..6 over two epochs
    x, y = data(10)
    seen = []
    record = LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(dict(logs)))
    classifier().fit(x, y, epochs=2, batch_size=4, verbose=0,
                     callbacks=[TensorBoard(tmp_path, update_freq=update_freq), record])
    train, _ = read_run(tmp_path / "train")
    assert {tag for tag in train if tag.startswith("batch_")} == {"batch_loss", "batch_accuracy"}
    assert train["batch_loss"] == [(step, float(np.float32(seen[step - 1]["loss"]))) for step in steps]


def test_update_freq_epoch_writes_no_batch_scalars_and_adds_no_batch_hook(tmp_path, read_run):
    x, y = data(10)
    board = TensorBoard(tmp_path)
    classifier().fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[board])
    train, _ = read_run(tmp_path / "train")
    assert not any(tag.startswith("batch_") for tag in train)
    assert "on_train_batch_end" not in vars(board)


def test_weight_histograms_every_histogram_freq_epochs_and_the_last_equals_the_weights(tmp_path, read_run):
    x, y = data()
    model = classifier(layers.BatchNormalization(name="norm"))
    model.fit(x, y, epochs=5, verbose=0, callbacks=[TensorBoard(tmp_path, histogram_freq=2)])
    _, histograms = read_run(tmp_path / "train")
    weights = ["hidden/kernel", "hidden/bias", "norm/gamma", "norm/beta", "norm/moving_mean", "norm/moving_variance",
               "out/kernel", "out/bias"]
    assert {tag for tag in histograms if tag.endswith("/histogram")} == {f"{w}/histogram" for w in weights}
    # the moving statistics are not trained: weight histograms, but no gradient histograms
    assert {tag for tag in histograms if tag.endswith("/gradient")} == {
        f"{w}/gradient" for w in weights if "moving" not in w}
    assert {tag for tag in histograms if tag.endswith("/activation")} == {
        "hidden/activation", "norm/activation", "out/activation"}
    assert all(sorted(steps) == [0, 2, 4] for steps in histograms.values())  # epoch % 2 == 0
    for variable in model.weights:
        assert_histogram_of(histograms[f"{variable.path}/histogram"][4], variable.numpy())


def test_gradient_histograms_hold_the_gradient_of_each_epochs_last_step(tmp_path, read_run):
    # Dense(1) with MSE on one full batch: r = x W + b - y, dL/dW = x^T (2 r / n), dL/db = sum(2 r / n);
    # SGD: W <- W - 0.1 dL/dW. Epoch e's histogram holds the gradient taken at the weights before step e.
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 2)).astype("float32")
    y = rng.normal(size=(6, 1)).astype("float32")
    model = tw.Sequential([layers.Input(shape=(2,)), layers.Dense(1, name="linear")])
    model.compile(optimizer=tw.optimizers.SGD(0.1), loss="mse")
    kernel, bias = (w.astype(np.float64) for w in model.get_weights())
    model.fit(x, y, epochs=2, batch_size=6, verbose=0, callbacks=[TensorBoard(tmp_path, histogram_freq=1)])
    _, histograms = read_run(tmp_path / "train")
    for epoch in (0, 1):
        dp = 2 * (x @ kernel + bias - y) / len(x)
        grad_kernel, grad_bias = x.T @ dp, dp.sum(axis=0)
        assert_histogram_of(histograms["linear/kernel/gradient"][epoch], grad_kernel)
        assert_histogram_of(histograms["linear/bias/gradient"][epoch], grad_bias)
        kernel, bias = kernel - 0.1 * grad_kernel, bias - 0.1 * grad_bias


def test_activation_histograms_come_from_an_inference_pass_on_the_first_training_batch(tmp_path, read_run):
    # shuffle=False, batch_size=8: the kept batch is x[:8]; at the end, with the final weights,
    # hidden = relu(x[:8] W1 + b1); Dropout in inference passes it through unchanged (no mask);
    # out = softmax(hidden W2 + b2).
    x, y = data(20)
    model = classifier(layers.Dropout(0.5, name="drop"))
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0,
              callbacks=[TensorBoard(tmp_path, histogram_freq=1)])
    _, histograms = read_run(tmp_path / "train")
    w1, b1, w2, b2 = (w.astype(np.float64) for w in model.get_weights())
    hidden = np.maximum(x[:8] @ w1 + b1, 0.0)
    logits = hidden @ w2 + b2
    out = np.exp(logits - logits.max(axis=1, keepdims=True))
    out /= out.sum(axis=1, keepdims=True)
    assert_histogram_of(histograms["hidden/activation"][1], hidden)
    assert_histogram_of(histograms["drop/activation"][1], hidden)
    assert_histogram_of(histograms["out/activation"][1], out)


def test_histograms_leave_training_exactly_as_without_the_callback(tmp_path, read_run):
    x, y = data(30)
    final = []
    for callbacks in ([], [TensorBoard(tmp_path, histogram_freq=1, update_freq=1)]):
        tw.utils.set_random_seed(7)
        model = classifier(layers.Dropout(0.3))
        model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=callbacks)
        final.append(model.get_weights())
        assert "_train_step" not in vars(model)  # the batch-keeping wrapper removed itself
    for without, with_board in zip(*final):
        np.testing.assert_array_equal(without, with_board)


def test_each_fit_writes_its_own_event_file(tmp_path, read_run):
    x, y = data()
    model, board = classifier(), TensorBoard(tmp_path)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[board])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[board])  # within the same second: a name of its own
    files = sorted(p.name for p in (tmp_path / "train").iterdir())
    assert len(files) == 2 and all(".tfevents." in name for name in files)


def test_missing_extra_is_an_import_error_naming_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # what `import tensorboardX` sees when absent
    with pytest.raises(ImportError, match=r"pip install trainwell\[tensorboard\]"):
        TensorBoard()


@pytest.mark.parametrize("kwargs, message", [
    ({"update_freq": "sometimes"}, "update_freq must be 'epoch', 'batch' or a positive integer"),
    ({"update_freq": 0}, "update_freq must be 'epoch', 'batch' or a positive integer"),
    ({"histogram_freq": -1}, "histogram_freq must be an integer >= 0"),
    ({"write_images": True}, "write_images must be False"),
    ({"write_graph": "yes"}, "write_graph must be True or False"),
    ({"profile_batch": 2}, "profile_batch must be 0"),
    ({"embeddings_freq": 1}, "embeddings_freq must be 0"),
    ({"log_dir": 3}, "log_dir must be a path"),
])
def test_bad_arguments_are_refused_before_anything_is_written(monkeypatch, kwargs, message):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # the checks come before the writer is looked for
    with pytest.raises((ValueError, TypeError), match=r"^TensorBoard: " + message.replace("[", r"\[")):
        TensorBoard(**kwargs)


def test_write_graph_is_accepted_and_writes_nothing_more(tmp_path, read_run):
    x, y = data()
    classifier().fit(x, y, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path, write_graph=True)])
    train, histograms = read_run(tmp_path / "train")
    assert set(train) == {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"} and not histograms


def test_write_steps_per_second_adds_positive_rates_beside_the_epoch_and_batch_scalars(tmp_path, read_run):
    x, y = data(10)
    classifier().fit(x, y, epochs=2, batch_size=4, verbose=0,
                     callbacks=[TensorBoard(tmp_path, update_freq=3, write_steps_per_second=True)])
    train, _ = read_run(tmp_path / "train")
    assert [step for step, _ in train["epoch_steps_per_second"]] == [0, 1]
    assert [step for step, _ in train["batch_steps_per_second"]] == [3, 6]
    assert all(rate > 0 for _, rate in train["epoch_steps_per_second"] + train["batch_steps_per_second"])
