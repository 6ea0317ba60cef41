"""Monte Carlo dropout: mc_predict's mean and spread, BatchNormalization left in inference mode and untouched."""
import numpy as np
import pytest

import trainwell as tw
from trainwell import layers
from trainwell.utils import mc_predict


def model_with(dropout, seed=7):
    stack = [layers.Input(shape=(5,)), layers.Dense(16, activation="relu"), layers.BatchNormalization()]
    if dropout:
        stack.append(layers.Dropout(0.5, seed=seed))
    stack.append(layers.Dense(3, activation="softmax"))
    model = tw.Sequential(stack)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(64, 5)), rng.integers(0, 3, 64), epochs=2, verbose=0)  # moving stats move off 0/1
    return model


def moving_statistics(model):
    batch_norm = model.layers[1]
    return batch_norm.moving_mean.numpy(), batch_norm.moving_variance.numpy()


def test_mc_predict_leaves_batch_norm_moving_statistics_bit_identical():
    model = model_with(dropout=True)
    x = np.random.default_rng(1).normal(loc=3.0, size=(40, 5))  # a shifted batch would pull the statistics
    before = moving_statistics(model)
    mc_predict(model, x, samples=20)
    after = moving_statistics(model)
    for old, new in zip(before, after):
        assert old.tobytes() == new.tobytes()
    model(x, training=True)  # the textbook call: batch norm trains on the predicted batch
    assert not np.array_equal(before[0], moving_statistics(model)[0])


def test_mc_predict_mean_and_population_std_of_fresh_dropout_passes():
    model = model_with(dropout=True)
    x = np.random.default_rng(2).normal(size=(10, 5)).astype("float32")  # the masks are drawn in floatx
    dropout = model.layers[2]
    dropout.generator = np.random.default_rng(99)
    mean, std = mc_predict(model, x, samples=30, batch_size=10)
    # the same 30 masks, drawn again and applied by hand with batch norm in inference mode
    dropout.generator = np.random.default_rng(99)
    passes = []
    for _ in range(30):
        h = model.layers[1](model.layers[0](x), training=False)
        passes.append(model.layers[3](dropout(h, training=True)))
    passes = np.array(passes, dtype=np.float64)
    np.testing.assert_allclose(mean, passes.mean(axis=0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(std, passes.std(axis=0), rtol=1e-4, atol=1e-6)
    assert np.all(std > 0)
    assert mean.shape == std.shape == model.predict(x, verbose=0).shape


def test_mc_predict_spread_is_exactly_zero_without_dropout():
    model = model_with(dropout=False)
    x = np.random.default_rng(3).normal(size=(12, 5))
    mean, std = mc_predict(model, x, samples=10, batch_size=5)
    assert np.all(std == 0)
    np.testing.assert_allclose(mean, model.predict(x, verbose=0), rtol=1e-6)


def test_mc_dropout_subclass_pattern_and_model_call_draw_fresh_masks():
    class MCDropout(layers.Dropout):
        def call(self, inputs):
            return super().call(inputs, training=True)

    model = tw.Sequential([layers.Input(shape=(5,)), layers.Dense(8), MCDropout(0.5), layers.Dense(2)])
    x = np.ones((4, 5))
    assert not np.array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    plain = tw.Sequential([layers.Input(shape=(5,)), layers.Dense(8), layers.Dropout(0.5), layers.Dense(2)])
    np.testing.assert_array_equal(plain(x), plain(x))
    assert not np.array_equal(plain(x, training=True), plain(x, training=True))
    _, std = mc_predict(model, x, samples=5)
    assert np.all(std > 0)


def test_mc_predict_refuses_bad_arguments():
    model = model_with(dropout=True)
    with pytest.raises(ValueError, match="mc_predict: samples must be an integer >= 1; got samples=0"):
        mc_predict(model, np.ones((2, 5)), samples=0)
    with pytest.raises(TypeError, match="mc_predict: model must be a Sequential model"):
        mc_predict(layers.Dense(2), np.ones((2, 5)))
