"""Normalization (adapt, Keras's formula, weights that travel with the model) and Rescaling."""
import json

import numpy as np
import pytest

import trainwell as tw
from tests.gradcheck import check_layer
from trainwell import layers

# Keras 3's Normalization docstring examples (keras/src/layers/preprocessing/normalization.py).
KERAS_ADAPT_DATA = np.array([[0., 7., 4.], [2., 9., 6.], [0., 7., 4.], [2., 9., 6.]])


def test_keras_reference_examples():
    scalar = layers.Normalization(axis=None)
    scalar.adapt(np.array([1., 2., 3., 4., 5.]).reshape(5, 1))
    np.testing.assert_allclose(scalar(np.array([[1.], [2.], [3.]])).ravel(), [-1.4142135, -0.70710677, 0.], rtol=1e-6)
    per_feature = layers.Normalization(axis=-1)
    per_feature.adapt(KERAS_ADAPT_DATA)
    np.testing.assert_allclose(per_feature(np.array([[0., 7., 4.]])), [[-1., -1., -1.]], rtol=1e-6)
    given = layers.Normalization(mean=3., variance=2.)
    np.testing.assert_allclose(given(np.array([[1.], [2.], [3.]])).ravel(), [-1.4142135, -0.70710677, 0.], rtol=1e-6)
    inverse = layers.Normalization(axis=-1, invert=True)
    inverse.adapt(KERAS_ADAPT_DATA)
    np.testing.assert_allclose(inverse(np.array([[1., 2., 3.]])), [[2., 10., 8.]], rtol=1e-6)


def test_divides_by_the_larger_of_sqrt_variance_and_epsilon(float64):
    # y = (x − mean)/max(√variance, 1e-7): column 0 has σ = 2; column 1 is constant (σ = 0 → 1e-7).
    layer = layers.Normalization(mean=[0., 5.], variance=[4., 0.])
    np.testing.assert_allclose(layer(np.array([[2., 5.], [-4., 5. + 1e-6]])), [[1., 0.], [-2., 10.]], rtol=1e-6)


def test_adapt_stores_mean_and_population_variance_per_kept_axis():
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(50, 3, 4))
    layer = layers.Normalization(axis=(1, 2))
    layer.adapt(x)
    mean, variance = layer.get_weights()
    np.testing.assert_allclose(mean, x.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(variance, x.var(axis=0, ddof=0), rtol=1e-5)
    last = layers.Normalization()
    last.adapt(x)
    np.testing.assert_allclose(last.get_weights()[1], x.reshape(-1, 4).var(axis=0), rtol=1e-5)
    assert [w.name for w in last.non_trainable_weights] == ["mean", "variance"] and not last.trainable_weights


def test_adapt_on_batches_and_on_a_memmap_equals_adapt_on_the_whole_array(tmp_path):
    x = np.random.default_rng(1).normal(10.0, 3.0, size=(1000, 5)).astype("float32")
    mapped = np.memmap(tmp_path / "x.bin", dtype="float32", mode="w+", shape=x.shape)
    mapped[:] = x
    expected_mean, expected_variance = x.astype("float64").mean(axis=0), x.astype("float64").var(axis=0)
    for data in (mapped, [x[:10], x[10:600], x[600:]], iter([x[:999], x[999:]])):
        layer = layers.Normalization()
        layer.adapt(data)
        np.testing.assert_allclose(layer.get_weights()[0], expected_mean, rtol=1e-6)
        np.testing.assert_allclose(layer.get_weights()[1], expected_variance, rtol=1e-5)


@pytest.mark.parametrize("invert", [False, True])
@pytest.mark.parametrize("training", [True, False])
def test_backward_matches_finite_differences(float64, invert, training):
    x = np.random.default_rng(2).normal(size=(6, 3, 4))
    adapted = layers.Normalization(axis=(1, 2), invert=invert)
    adapted.adapt(x * 3.0 + 1.0)
    check_layer(adapted, x, training=training)
    check_layer(layers.Normalization(mean=[1., 2., 3., 4.], variance=[0.5, 2., 0.01, 9.], invert=invert), x,
                training=training)
    check_layer(layers.Rescaling(scale=[0.5, -2., 3., 1.], offset=[[1.], [2.], [3.]]), x, training=training)


def test_adapted_normalization_travels_with_the_model_and_predicts_identically():
    x = np.random.default_rng(3).normal(50.0, 10.0, size=(64, 4)).astype("float32")
    norm = layers.Normalization()
    norm.adapt(x)
    model = tw.Sequential([layers.Input(shape=(4,)), norm, layers.Dense(3, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, x[:, :1], epochs=2, verbose=0)
    np.testing.assert_allclose(norm.get_weights()[0], x.astype("float64").mean(axis=0), rtol=1e-5)  # not trained
    config = json.loads(json.dumps(model.get_config()))
    restored = tw.Sequential.from_config(config)
    restored.set_weights(model.get_weights())  # what saving/loading a model does with the weights
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    assert len(model.get_weights()) == 2 + 2 + 2  # mean, variance, then two kernels and biases


@pytest.mark.parametrize("given", [False, True], ids=["adapted", "constants"])
def test_normalization_model_saved_and_loaded_predicts_bit_identically(tmp_path, given):
    x = np.random.default_rng(4).normal(50.0, 10.0, size=(64, 4)).astype("float32")
    statistics = {"mean": x.mean(axis=0).tolist(), "variance": x.var(axis=0).tolist()} if given else {}
    norm = layers.Normalization(**statistics)
    if not given:
        norm.adapt(x)
    model = tw.Sequential([layers.Input(shape=(4,)), layers.Rescaling(0.5, offset=1.0), norm,
                           layers.Dense(3, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    model.save(tmp_path / "model.h5")
    loaded = tw.models.load_model(tmp_path / "model.h5")
    restored = loaded.layers[1]
    assert isinstance(restored, layers.Normalization) and isinstance(loaded.layers[0], layers.Rescaling)
    assert len(restored.weights) == (0 if given else 2)  # constants travel in the config, adapted ones as weights
    for saved, back in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(back, saved)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    # The statistics came back (both cases hold x's): the loaded layer's output re-derived by hand.
    mean, variance = x.astype("float64").mean(axis=0), x.astype("float64").var(axis=0)
    np.testing.assert_allclose(restored(x), (x - mean) / np.sqrt(variance), rtol=1e-4, atol=1e-5)


def test_given_mean_and_variance_are_constants_in_the_config():
    layer = layers.Normalization(mean=[1., 2.], variance=[4., 9.])
    layer(np.zeros((1, 2)))
    assert layer.weights == []
    rebuilt = layers.Normalization.from_config(json.loads(json.dumps(layer.get_config())))
    np.testing.assert_allclose(rebuilt(np.array([[3., 8.]])), [[1., 2.]])


@pytest.mark.parametrize("make, error, match", [
    (lambda: layers.Normalization(mean=1.0), ValueError, "given together"),
    (lambda: layers.Normalization(mean=[1., 2.], variance=[1.]), ValueError, "variance's shape"),
    (lambda: layers.Normalization(mean=[[1.]], variance=[[1.]]), ValueError, "at most 1 axes"),
    (lambda: layers.Normalization(mean=0., variance=-1.), ValueError, "variance must be non-negative"),
    (lambda: layers.Normalization(axis="last"), TypeError, "axis must be an int"),
    (lambda: layers.Normalization(mean=0., variance=1.).adapt(np.ones((3, 2))), ValueError, "given mean and"),
    (lambda: layers.Normalization().adapt(np.array([[1., np.nan], [2., 3.]])), ValueError,
     "Column 1 holds one in sample 0"),
    (lambda: layers.Normalization(axis=0).adapt(np.ones((3, 2))), ValueError, "axis must be non-sample axes"),
    (lambda: layers.Normalization(mean=[1., 2., 3.], variance=[1., 1., 1.])(np.ones((2, 2))), ValueError,
     "broadcastable to the kept axes"),
    (lambda: layers.Rescaling(scale="big"), TypeError, "scale must be a number"),
    (lambda: layers.Rescaling(scale=[1., 2., 3.])(np.ones((2, 2))), ValueError, "broadcasts against samples"),
])
def test_bad_arguments_are_refused_with_clear_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_rescaling_maps_pixel_ranges_and_outputs_floats():
    pixels = np.array([[0, 51, 255]], dtype="uint8")
    to_unit = layers.Rescaling(1 / 255)(pixels)
    assert to_unit.dtype == np.dtype(tw.backend.floatx())
    np.testing.assert_allclose(to_unit, [[0.0, 0.2, 1.0]], rtol=1e-6)
    np.testing.assert_allclose(layers.Rescaling(1 / 127.5, offset=-1.0)(pixels), [[-1.0, -0.6, 1.0]], rtol=1e-6)
    per_channel = layers.Rescaling(scale=[1.0, 0.5], offset=[0.0, 1.0])(np.array([[[2.0, 2.0]]]))
    np.testing.assert_allclose(per_channel, [[[2.0, 2.0]]])


def test_rescaling_config_round_trips_arrays_and_numbers():
    layer = layers.Rescaling(scale=[0.5, 0.25], offset=-1.0)
    config = json.loads(json.dumps(layer.get_config()))
    assert config["scale"] == [0.5, 0.25] and config["offset"] == -1.0
    np.testing.assert_array_equal(layers.Rescaling.from_config(config)(np.ones((1, 2))), layer(np.ones((1, 2))))
