"""The Keras model API: compile, fit, evaluate, predict, batches, history, errors and flat buffers."""
import numpy as np
import pytest

import trainwell as tw
from tests.gradcheck import assert_close, numerical_gradient
from trainwell import layers


def small_model(activation="softmax", units=3, hidden=5, batch_norm=False):
    stack = [layers.Input(shape=(4,)), layers.Dense(hidden, activation="tanh")]
    if batch_norm:
        stack.append(layers.BatchNormalization())
    stack.append(layers.Dense(units, activation=activation))
    return tw.Sequential(stack)


def data(n=40, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)).astype("float32"), rng.integers(0, classes, size=n)


@pytest.mark.parametrize("activation, loss, labels, fused", [
    ("softmax", "sparse_categorical_crossentropy", "sparse", True),
    ("softmax", "categorical_crossentropy", "onehot", True),
    ("sigmoid", "binary_crossentropy", "binary", True),
    ("linear", "mse", "real", False),
    ("softmax", "mse", "onehot", False),
    ("linear", tw.losses.SparseCategoricalCrossentropy(from_logits=True), "sparse", False),
])
def test_flat_gradient_of_a_model_matches_finite_differences(float64, activation, loss, labels, fused):
    rng = np.random.default_rng(3)
    model = small_model(activation, units=1 if labels == "binary" else 3, batch_norm=True)
    model.compile(optimizer=tw.optimizers.SGD(learning_rate=0.0), loss=loss)
    x = rng.normal(size=(6, 4))
    y = {"sparse": rng.integers(0, 3, 6), "onehot": np.eye(3)[rng.integers(0, 3, 6)],
         "binary": rng.integers(0, 2, (6, 1)).astype(float), "real": rng.normal(size=(6, 3))}[labels]
    model.train_on_batch(x, y)  # lr 0: computes the gradients and moves no weight
    analytic = model._grads.copy()

    def loss_value():
        return model.loss.value(y, model.call(x, training=True))
    numeric = numerical_gradient(loss_value, model._params)
    assert_close(analytic, numeric, f"model gradient ({activation}, {loss})")
    assert model._fused == fused


def test_fit_returns_history_with_loss_metrics_and_val_twins():
    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = data()
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 3 for values in history.history.values())
    assert history.epoch == [0, 1, 2]
    assert model.history is history


def test_validation_split_takes_the_last_samples_before_shuffling():
    model = small_model()
    model.compile(optimizer=tw.optimizers.SGD(learning_rate=0.0), loss="sparse_categorical_crossentropy")
    x, y = data(n=40)
    history = model.fit(x, y, epochs=1, validation_split=0.25, verbose=0)
    expected = model.evaluate(x[30:], y[30:], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(expected, rel=1e-6)


def test_epoch_loss_is_the_sample_weighted_mean_of_batch_losses():
    model = small_model()
    model.compile(optimizer=tw.optimizers.SGD(learning_rate=0.0), loss="sparse_categorical_crossentropy")
    x, y = data(n=10)
    history = model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    # batches of 4, 4 and 2 samples; with lr 0 their losses are those of evaluate on each slice
    parts = [(model.evaluate(x[a:b], y[a:b], verbose=0), b - a) for a, b in ((0, 4), (4, 8), (8, 10))]
    expected = sum(value * n for value, n in parts) / 10
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-6)


def test_same_seed_gives_identical_weights():
    def train():
        tw.utils.set_random_seed(7)
        model = small_model(batch_norm=True)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        x, y = data()
        model.fit(x, y, epochs=2, batch_size=8, verbose=0)
        return model.get_weights()
    for a, b in zip(train(), train()):
        np.testing.assert_array_equal(a, b)


def test_weights_are_views_into_one_flat_buffer_after_compile():
    model = small_model()
    model.compile(optimizer="sgd", loss="mse")
    kernel = model.layers[0].kernel
    assert np.shares_memory(kernel.value, model._params)
    assert np.shares_memory(kernel.grad, model._grads)
    assert model._params.size == sum(v.size for v in model.trainable_weights)


def test_frozen_layer_does_not_move_and_recompile_unfreezes():
    model = small_model()
    model.layers[0].trainable = False
    model.compile(optimizer=tw.optimizers.SGD(learning_rate=0.5), loss="sparse_categorical_crossentropy")
    before = [w.copy() for w in model.layers[0].get_weights()]
    x, y = data()
    model.fit(x, y, epochs=2, verbose=0)
    for a, b in zip(before, model.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    model.layers[0].trainable = True
    model.compile(optimizer=tw.optimizers.SGD(learning_rate=0.5), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    assert not np.array_equal(before[0], model.layers[0].get_weights()[0])


def test_shared_layers_share_weights_between_models():
    model_a = small_model()
    model_a.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model_b = tw.Sequential(model_a.layers[:-1] + [layers.Dense(1, activation="sigmoid")])
    model_b.compile(optimizer=tw.optimizers.SGD(learning_rate=0.5), loss="binary_crossentropy")
    x, _ = data()
    model_b.fit(x, (x[:, 0] > 0).astype("float32"), epochs=1, verbose=0)
    np.testing.assert_array_equal(model_a.layers[0].get_weights()[0], model_b.layers[0].get_weights()[0])
    before = model_b.layers[0].get_weights()[0]
    model_a.fit(x, data()[1], epochs=1, verbose=0)  # model A notices the repack and trains the shared layer
    assert not np.array_equal(before, model_b.layers[0].get_weights()[0])


def test_nested_model_trains_as_a_layer():
    inner = tw.Sequential([layers.Dense(6, activation="relu"), layers.Dense(6, activation="relu")])
    model = tw.Sequential([layers.Input(shape=(4,)), inner, layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = inner.get_weights()[0].copy()
    x, y = data()
    model.fit(x, y, epochs=1, verbose=0)
    assert not np.array_equal(before, inner.get_weights()[0])
    assert len(model.weights) == 6


def test_evaluate_returns_list_or_dict_and_predict_returns_numpy():
    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = data()
    loss, accuracy = model.evaluate(x, y, verbose=0)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs == {"loss": pytest.approx(loss), "accuracy": pytest.approx(accuracy)}
    predictions = model.predict(x, batch_size=7, verbose=0)
    assert isinstance(predictions, np.ndarray) and predictions.shape == (40, 3)
    assert accuracy == pytest.approx(np.mean(predictions.argmax(1) == y))


def test_acc_keeps_the_name_the_user_typed():
    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["acc"])
    x, y = data()
    assert "acc" in model.fit(x, y, verbose=0).history


def test_model_call_with_training_true_samples_dropout_masks():
    model = tw.Sequential([layers.Input(shape=(50,)), layers.Dropout(0.5)])
    x = np.ones((4, 50), dtype="float32")
    first, second = model(x, training=True), model(x, training=True)
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(model(x), x)


@pytest.mark.parametrize("call, error, match", [
    (lambda m, x, y: m.fit(x, y[:-1], verbose=0), ValueError, "same number of samples"),
    (lambda m, x, y: m.fit(x[:, :3], y, verbose=0), ValueError, r"expected inputs of shape \(None, 4\)"),
    (lambda m, x, y: m.fit(x, y + 3, verbose=0), ValueError, r"class labels in \[0, 3\)"),
    (lambda m, x, y: m.fit(np.where(x > 1, np.nan, x), y, verbose=0), ValueError, "NaN"),
    (lambda m, x, y: m.fit(x, y, batch_size=0, verbose=0), ValueError, "batch_size must be an integer >= 1"),
    (lambda m, x, y: m.fit(x, y, verbose=3), ValueError, "verbose must be"),
])
def test_bad_input_is_refused_and_weights_are_unchanged(call, error, match):
    model = small_model(batch_norm=True)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = data()
    before = model.get_weights()
    with pytest.raises(error, match=match):
        call(model, x, y)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_fit_before_compile_and_unknown_names_are_clear_errors():
    model = small_model()
    x, y = data()
    with pytest.raises(RuntimeError, match="must be compiled first"):
        model.fit(x, y)
    with pytest.raises(ValueError, match="Valid names"):
        model.compile(optimizer="adam", loss="sparse_crossentropy_typo")
    with pytest.raises(ValueError, match="Valid names"):
        layers.Dense(3, activation="relux")


def test_set_weights_checks_count_and_shapes_before_assigning():
    model = small_model()
    weights = model.get_weights()
    with pytest.raises(ValueError, match="list of 4 arrays"):
        model.set_weights(weights[:-1])
    bad = list(weights)
    bad[3] = np.zeros(7)
    with pytest.raises(ValueError, match="has shape"):
        model.set_weights(bad)
    np.testing.assert_array_equal(model.get_weights()[0], weights[0])


def test_a_layer_called_twice_in_one_training_step_is_refused():
    shared = layers.Dense(4, activation="tanh")
    model = tw.Sequential([layers.Input(shape=(4,)), shared, shared, layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, y = data()
    with pytest.raises(RuntimeError, match="called twice in one training step"):
        model.fit(x, y, verbose=0)


def test_class_weight_scales_the_loss_of_each_class():
    model = small_model()
    model.compile(optimizer=tw.optimizers.SGD(learning_rate=0.0), loss="sparse_categorical_crossentropy")
    x, y = data()
    plain = model.fit(x, y, verbose=0, shuffle=False).history["loss"][0]
    doubled = model.fit(x, y, verbose=0, shuffle=False, class_weight={0: 2.0, 1: 2.0, 2: 2.0}).history["loss"][0]
    assert doubled == pytest.approx(2 * plain, rel=1e-6)


def test_test_on_batch_and_predict_on_batch_use_inference_mode():
    model = tw.Sequential([layers.Input(shape=(4,)), layers.Dropout(0.5), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = data(n=8)
    np.testing.assert_array_equal(model.predict_on_batch(x), model.predict_on_batch(x))  # no dropout
    loss, accuracy = model.test_on_batch(x, y)
    assert loss == pytest.approx(model.evaluate(x, y, verbose=0)[0])
    assert model.test_on_batch(x, y, return_dict=True)["accuracy"] == pytest.approx(accuracy)


def test_stop_training_set_by_a_callback_ends_fit_after_that_epoch():
    class StopAtOne(tw.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True
    model = small_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, y = data()
    history = model.fit(x, y, epochs=5, verbose=0, callbacks=[StopAtOne()])
    assert history.epoch == [0, 1]
