"""Tests for BatchNormalization: both modes, moving statistics, frozen layers, gradients, config, errors."""
import json

import numpy as np
import pytest

from gradcheck import check_layer
from trainwell import backend
from trainwell.layers.base import REGISTRY
from trainwell.layers.normalization import BatchNormalization

pytestmark = pytest.mark.usefixtures("compiled_or_numpy")  # every test on both paths

EPSILON = 1e-3  # Keras's default


def reference_output(x, axis, mean, variance, gamma=None, beta=None, epsilon=EPSILON):
    """γ·(x − μ)/√(σ² + ε) + β per channel, re-derived with per-channel vectors broadcast on `axis`."""
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    y = (x - np.reshape(mean, shape)) / np.sqrt(np.reshape(variance, shape) + epsilon)
    if gamma is not None:
        y = y * np.reshape(gamma, shape)
    if beta is not None:
        y = y + np.reshape(beta, shape)
    return y


def batch_moments(x, axis):
    """Mean and biased (÷n) variance over every axis but `axis`."""
    axes = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
    return x.mean(axis=axes), x.var(axis=axes, ddof=0)


def randomized_layer(shape, seed=0, **kwargs):
    """A built layer whose γ, β and moving statistics are random (so no term hides behind 1 or 0)."""
    rng = np.random.default_rng(seed)
    layer = BatchNormalization(**kwargs)
    layer.build_for(shape)
    layer.set_weights([rng.uniform(0.5, 2.0, size=w.shape) if w.name in ("gamma", "moving_variance")
                       else rng.normal(size=w.shape) for w in layer.weights])
    return layer


# ---- forward, training mode --------------------------------------------------------------

def test_worked_example_matches_keras_reference_numbers():
    # keras_semantics.md §3.4: x = [[1,2],[3,6],[5,10]], a fresh layer, one training call.
    # μ_B = [3, 6]; σ²_B = [8/3, 32/3] (biased); moving_mean = 0.99·0 + 0.01·μ_B = [0.03, 0.06];
    # moving_variance = 0.99·1 + 0.01·σ²_B = [1.016667, 1.096667];
    # column 0: (x − 3)/√(8/3 + 0.001) = ±2/1.633299 = ±1.2245153.
    layer = BatchNormalization()
    x = np.array([[1, 2], [3, 6], [5, 10]], dtype=np.float32)
    y = np.asarray(layer(x, training=True))
    np.testing.assert_allclose(layer.moving_mean.numpy(), [0.03, 0.06], atol=1e-6)
    np.testing.assert_allclose(layer.moving_variance.numpy(), [1.016667, 1.096667], atol=1e-6)
    np.testing.assert_allclose(y[:, 0], [-1.2245153, 0.0, 1.2245153], atol=1e-6)
    column_1 = (np.array([2.0, 6.0, 10.0]) - 6.0) / np.sqrt(32 / 3 + EPSILON)  # ±4/3.266139
    np.testing.assert_allclose(y[:, 1], column_1, atol=1e-6)
    assert y.dtype == np.float32 and layer.moving_mean.dtype == np.float32


@pytest.mark.parametrize("shape, axis", [((16, 5), -1), ((4, 3, 3, 5), -1), ((4, 5, 3, 3), 1)])
def test_training_normalizes_each_channel_with_batch_statistics(float64, shape, axis):
    layer = randomized_layer(shape, axis=axis)
    gamma, beta = layer.gamma.numpy(), layer.beta.numpy()
    x = np.random.default_rng(1).normal(loc=3.0, scale=2.0, size=shape)
    mean, variance = batch_moments(x, axis)
    y = np.asarray(layer(x, training=True))
    np.testing.assert_allclose(y, reference_output(x, axis, mean, variance, gamma, beta), rtol=1e-12, atol=1e-12)


def test_moving_statistics_follow_the_momentum_update_with_biased_variance():
    layer = BatchNormalization(momentum=0.9)
    rng = np.random.default_rng(2)
    batches = [rng.normal(loc=1.0, scale=3.0, size=(8, 4)) for _ in range(2)]
    moving_mean, moving_variance = np.zeros(4), np.ones(4)
    for x in batches:
        layer(x.astype(np.float32), training=True)
        mean, variance = batch_moments(x, -1)  # ÷n, not PyTorch's ÷(n − 1)
        moving_mean = 0.9 * moving_mean + 0.1 * mean
        moving_variance = 0.9 * moving_variance + 0.1 * variance
    np.testing.assert_allclose(layer.moving_mean.numpy(), moving_mean, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), moving_variance, rtol=1e-5)


# ---- inference mode and frozen layers ----------------------------------------------------

@pytest.mark.parametrize("training", [False, None])
def test_inference_uses_moving_statistics_and_leaves_them_alone(float64, training):
    layer = randomized_layer((6, 3))
    before = layer.get_weights()
    x = np.random.default_rng(3).normal(size=(6, 3))
    y = np.asarray(layer(x, training=training))
    gamma, beta, moving_mean, moving_variance = before
    np.testing.assert_allclose(y, reference_output(x, -1, moving_mean, moving_variance, gamma, beta), rtol=1e-12)
    for old, new in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_frozen_layer_runs_in_inference_mode_even_with_training_true(float64):
    layer = randomized_layer((4, 2, 2, 3))
    layer.trainable = False
    before = layer.get_weights()
    x = np.random.default_rng(4).normal(size=(4, 2, 2, 3))
    y = np.asarray(layer(x, training=True))
    gamma, beta, moving_mean, moving_variance = before
    np.testing.assert_allclose(y, reference_output(x, -1, moving_mean, moving_variance, gamma, beta), rtol=1e-12)
    for old, new in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 4


# ---- gradients ---------------------------------------------------------------------------

GRADIENT_CASES = {
    "2d": ((6, 4), {}),
    "4d_channels_last": ((3, 2, 2, 3), {}),
    "4d_channels_first": ((3, 3, 2, 2), {"axis": 1}),
    "no_center": ((6, 3), {"center": False}),
    "no_scale": ((6, 3), {"scale": False}),
    "no_center_no_scale": ((5, 3), {"center": False, "scale": False}),
}


@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.parametrize("case", sorted(GRADIENT_CASES))
def test_gradients_match_finite_differences(float64, case, training):
    shape, kwargs = GRADIENT_CASES[case]
    layer = randomized_layer(shape, **kwargs)
    x = np.random.default_rng(5).normal(loc=1.0, scale=2.0, size=shape)
    check_layer(layer, x, training=training)


def test_frozen_layer_gradient_is_the_affine_map_of_the_moving_statistics(float64):
    layer = randomized_layer((5, 3))
    layer.trainable = False
    x = np.random.default_rng(6).normal(size=(5, 3))
    dx = check_layer(layer, x, training=True)
    gamma, _, _, moving_variance = layer.get_weights()
    upstream = np.random.default_rng(0).normal(size=(5, 3))  # check_layer's upstream_seed=0
    np.testing.assert_allclose(dx, upstream * gamma / np.sqrt(moving_variance + EPSILON), rtol=1e-12)


def test_backward_writes_weight_gradients_and_skips_input_gradient_when_not_needed(float64):
    layer = randomized_layer((6, 3))
    layer._input_grad_needed = False  # what the training engine sets for the first trainable layer
    for variable in layer.trainable_weights:
        variable.grad = np.full(variable.shape, np.nan)
    x = np.random.default_rng(7).normal(size=(6, 3))
    dy = np.random.default_rng(8).normal(size=(6, 3))
    with backend.recording():
        layer(x, training=True)
        assert layer.run_backward(dy) is None
    mean, variance = batch_moments(x, -1)
    x_hat = (x - mean) / np.sqrt(variance + EPSILON)
    np.testing.assert_allclose(layer.gamma.grad, (dy * x_hat).sum(axis=0), rtol=1e-10)  # dγ = Σ dy·x̂
    np.testing.assert_allclose(layer.beta.grad, dy.sum(axis=0), rtol=1e-10)  # dβ = Σ dy


@pytest.mark.parametrize("training", [True, False])
def test_backward_leaves_the_incoming_gradient_and_keeps_no_batch_arrays(training):
    layer = randomized_layer((8, 4))
    x = np.random.default_rng(9).normal(size=(8, 4)).astype(np.float32)
    dy = np.random.default_rng(10).normal(size=(8, 4)).astype(np.float32)
    dy_before = dy.copy()
    with backend.recording():
        layer(x, training=training)
        dx = layer.run_backward(dy)
    np.testing.assert_array_equal(dy, dy_before)
    assert dx.shape == x.shape and dx.dtype == np.float32
    assert not any(isinstance(value, np.ndarray) and value.size >= x.size for value in vars(layer).values())


@pytest.mark.parametrize("training", [True, False])
def test_call_outside_recording_keeps_no_batch_arrays(training):
    layer = randomized_layer((8, 4))
    layer(np.ones((8, 4), dtype=np.float32), training=training)
    assert not any(isinstance(value, np.ndarray) and value.size >= 32 for value in vars(layer).values())


# ---- weights, config, errors -------------------------------------------------------------

@pytest.mark.parametrize("center, scale, names", [
    (True, True, ["gamma", "beta", "moving_mean", "moving_variance"]),
    (False, True, ["gamma", "moving_mean", "moving_variance"]),
    (True, False, ["beta", "moving_mean", "moving_variance"]),
    (False, False, ["moving_mean", "moving_variance"]),
])
def test_weights_come_in_keras_order_with_moving_statistics_non_trainable(center, scale, names):
    layer = BatchNormalization(center=center, scale=scale)
    layer.build_for((None, 7))
    assert [w.name for w in layer.weights] == names
    assert [w.name for w in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]
    assert all(w.shape == (7,) for w in layer.weights)
    assert [w.numpy().tolist() for w in layer.weights] == [[1.0] * 7 if n in ("gamma", "moving_variance")
                                                           else [0.0] * 7 for n in names]


def test_config_round_trips_through_json_and_the_registry():
    layer = BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, center=False, gamma_initializer="he_normal",
                               name="bn_test")
    config = layer.get_config()
    restored = REGISTRY.lookup("BatchNormalization", "test").from_config(json.loads(json.dumps(config)))
    assert restored.get_config() == config
    assert (config["axis"], config["momentum"], config["epsilon"], config["center"]) == (1, 0.9, 1e-5, False)


def test_default_config_has_keras_defaults():
    config = BatchNormalization().get_config()
    assert (config["axis"], config["momentum"], config["epsilon"], config["center"], config["scale"]) == (
        -1, 0.99, 1e-3, True, True)
    assert config["moving_variance_initializer"]["class_name"] == "Ones"


@pytest.mark.parametrize("kwargs, argument", [
    ({"momentum": -0.1}, "momentum"), ({"momentum": 1.5}, "momentum"),
    ({"epsilon": 0.0}, "epsilon"), ({"epsilon": -1e-3}, "epsilon"),
])
def test_out_of_range_arguments_raise_value_error_naming_them(kwargs, argument):
    with pytest.raises(ValueError, match=rf"BatchNormalization: {argument} must be"):
        BatchNormalization(**kwargs)


def test_non_integer_axis_raises_type_error_naming_axis():
    with pytest.raises(TypeError, match=r"axis must be an integer; got axis=1.5"):
        BatchNormalization(axis=1.5)


@pytest.mark.parametrize("axis", [0, 2, -3])
def test_axis_outside_the_non_batch_axes_raises_value_error_at_build(axis):
    layer = BatchNormalization(axis=axis)
    with pytest.raises(ValueError, match=rf"axis must be a non-batch axis .*; got axis={axis}"):
        layer(np.ones((4, 3), dtype=np.float32), training=True)
