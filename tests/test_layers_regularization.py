"""Tests for Dropout and AlphaDropout: masks, scaling, noise_shape, seeds, MC dropout, gradients, config."""
import json
import math

import numpy as np
import pytest

from gradcheck import check_layer
from trainwell import backend
from trainwell.layers.base import REGISTRY
from trainwell.layers.regularization import AlphaDropout, Dropout

SATURATION = -1.7580993408473766  # α' = −scale·alpha of SELU, keras_semantics.md §4.2
N = 1_000_000  # draws for the statistical tests; their tolerances are five standard errors


class MCDropout(Dropout):
    """The textbook Monte Carlo dropout layer (HOML ch. 11): always on."""

    def call(self, inputs):
        return super().call(inputs, training=True)


# ---- Dropout -----------------------------------------------------------------------------

def test_dropout_keeps_the_mean_and_drops_about_rate_of_the_values():
    rate = 0.3
    y = np.asarray(Dropout(rate, seed=1)(np.ones((1000, 1000), dtype=np.float32), training=True))
    # Each value is 0 or 1/0.7; the count kept is Binomial(N, 0.7), so the mean of y has standard
    # error sqrt(rate·(1 − rate)/N)/(1 − rate) = 6.5e-4 and the dropped fraction sqrt(rate·(1 − rate)/N).
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs(y.mean() - 1.0) < 5 * math.sqrt(rate * (1 - rate) / N) / (1 - rate)
    assert abs((y == 0).mean() - rate) < 5 * math.sqrt(rate * (1 - rate) / N)


def test_rate_zero_is_the_identity_while_training():
    x = np.random.default_rng(0).normal(size=(5, 7)).astype(np.float32)
    np.testing.assert_array_equal(Dropout(0.0)(x, training=True), x)


def test_rate_one_gives_zeros_and_a_zero_gradient():
    layer = Dropout(1.0)
    x = np.random.default_rng(1).normal(size=(4, 6)).astype(np.float32)
    with backend.recording():
        y = layer(x, training=True)
        dx = layer.run_backward(np.ones_like(x))
    np.testing.assert_array_equal(y, np.zeros_like(x))
    np.testing.assert_array_equal(dx, np.zeros_like(x))


@pytest.mark.parametrize("cls", [Dropout, AlphaDropout])
@pytest.mark.parametrize("training", [False, None])
def test_inference_is_the_identity(cls, training):
    x = np.random.default_rng(2).normal(size=(5, 7)).astype(np.float32)
    np.testing.assert_array_equal(cls(0.5)(x, training=training), x)


def test_noise_shape_broadcasts_one_mask_over_the_axes_of_size_one():
    layer = Dropout(0.5, noise_shape=(None, 1, 6), seed=3)
    y = np.asarray(layer(np.ones((8, 5, 6), dtype=np.float32), training=True))
    assert np.all(y == y[:, :1, :])  # the same features dropped at every timestep
    assert len({row.tobytes() for row in y[:, 0, :]}) > 1  # None took the batch size: rows differ


@pytest.mark.parametrize("noise_shape", [(None, 2), (None, 3, 6), (4, 1, 6)])
def test_noise_shape_that_cannot_broadcast_raises_value_error(noise_shape):
    layer = Dropout(0.5, noise_shape=noise_shape)
    with pytest.raises(ValueError, match=r"noise_shape must be broadcastable to the input shape \(8, 5, 6\)"):
        layer(np.ones((8, 5, 6), dtype=np.float32), training=True)


def test_same_seed_same_mask_and_different_seeds_different_masks():
    x = np.ones((20, 30), dtype=np.float32)
    first, second, other = (np.asarray(Dropout(0.5, seed=s)(x, training=True)) for s in (7, 7, 8))
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)


def test_each_training_call_draws_a_fresh_mask():
    layer = Dropout(0.5, seed=9)
    x = np.ones((20, 30), dtype=np.float32)
    assert not np.array_equal(layer(x, training=True), layer(x, training=True))


def test_mc_dropout_subclass_is_active_without_a_training_flag_and_draws_fresh_masks():
    layer = MCDropout(0.5, seed=10)
    x = np.ones((20, 30), dtype=np.float32)
    first, second = np.asarray(layer(x)), np.asarray(layer(x))
    assert set(np.unique(first)) == {0.0, 2.0} and not np.array_equal(first, second)
    with backend.recording():
        y = layer(x)
        dx = layer.run_backward(np.ones_like(x))
    np.testing.assert_array_equal(dx, y)  # dx = dy·m/(1 − rate), and y = x·m/(1 − rate) with x = 1


def test_backward_applies_the_forward_mask_in_the_input_dtype():
    layer = Dropout(0.4, seed=11)
    x = np.random.default_rng(12).uniform(1.0, 2.0, size=(6, 9)).astype(np.float32)
    dy = np.random.default_rng(13).normal(size=(6, 9)).astype(np.float32)
    dy_before = dy.copy()
    with backend.recording():
        y = layer(x, training=True)
        dx = layer.run_backward(dy)
    assert y.dtype == np.float32 and dx.dtype == np.float32
    np.testing.assert_allclose(dx, dy * (y / x), rtol=1e-6)  # the same multiplier as the forward pass
    np.testing.assert_array_equal(dy, dy_before)


# ---- AlphaDropout ------------------------------------------------------------------------

@pytest.mark.parametrize("rate, a, b", [(0.1, 0.9212845161, 0.1619709701), (0.2, 0.8789035834, 0.3090399621)])
def test_alpha_dropout_matches_keras_reference_affine_correction(float64, rate, a, b):
    # Reference numbers from keras_semantics.md §4.2. Kept values map x -> a·x + b, dropped ones
    # to a·α' + b; so inputs 1 give a + b or a·α' + b, and inputs 0 give b where kept.
    ones = np.asarray(AlphaDropout(rate, seed=14)(np.ones((100, 100)), training=True))
    zeros = np.asarray(AlphaDropout(rate, seed=14)(np.zeros((100, 100)), training=True))
    kept = ones != ones.min()
    np.testing.assert_allclose(zeros[kept], b, rtol=1e-9)
    np.testing.assert_allclose(ones[kept], a + b, rtol=1e-9)
    np.testing.assert_allclose(ones[~kept], a * SATURATION + b, rtol=1e-9)


@pytest.mark.parametrize("rate", [0.1, 0.3])
def test_alpha_dropout_keeps_zero_mean_and_unit_variance_of_standard_normal_inputs(float64, rate):
    x = np.random.default_rng(15).normal(size=N)
    y = np.asarray(AlphaDropout(rate, seed=16)(x, training=True))
    # Standard errors: the mean's is 1/sqrt(N); the variance's is sqrt((μ4 − 1)/N), where μ4, the
    # fourth central moment of y = a·z + b with z = x·k + α'(1 − k) (mean m = α'·rate), is
    # a⁴·[(1 − rate)·E(x − m)⁴ + rate·(α' − m)⁴] and E(x − m)⁴ = 3 + 6m² + m⁴ for x ~ N(0, 1).
    a = ((1 - rate) * (1 + rate * SATURATION ** 2)) ** -0.5
    m = SATURATION * rate
    fourth_moment = a ** 4 * ((1 - rate) * (3 + 6 * m ** 2 + m ** 4) + rate * (SATURATION - m) ** 4)
    assert abs(y.mean()) < 5 / math.sqrt(N)
    assert abs(y.var() - 1.0) < 5 * math.sqrt((fourth_moment - 1) / N)


def test_alpha_dropout_refuses_rate_one():
    with pytest.raises(ValueError, match=r"AlphaDropout: rate must be a number in \[0, 1\); got rate=1.0"):
        AlphaDropout(1.0)


# ---- shared: gradients, config, errors ---------------------------------------------------

GRADIENT_CASES = {
    "dropout": lambda: Dropout(0.4),
    "dropout_noise_shape": lambda: Dropout(0.5, noise_shape=(None, 1, 3)),
    "alpha_dropout": lambda: AlphaDropout(0.2),
    "mc_dropout": lambda: MCDropout(0.3),
}


@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.parametrize("case", sorted(GRADIENT_CASES))
def test_gradients_match_finite_differences(float64, case, training):
    x = np.random.default_rng(17).normal(size=(4, 2, 3))
    check_layer(GRADIENT_CASES[case](), x, training=training)


@pytest.mark.parametrize("cls", [Dropout, AlphaDropout])
def test_config_round_trips_through_json_and_the_registry(cls):
    layer = cls(0.25, noise_shape=(None, 1, 4), seed=5, name=f"{cls.__name__.lower()}_test")
    config = layer.get_config()
    restored = REGISTRY.lookup(cls.__name__, "test").from_config(json.loads(json.dumps(config)))
    assert restored.get_config() == config
    assert (config["rate"], config["noise_shape"], config["seed"]) == (0.25, [None, 1, 4], 5)
    x = np.ones((3, 2, 4), dtype=np.float32)
    np.testing.assert_array_equal(layer(x, training=True), restored(x, training=True))  # same seed, same mask


@pytest.mark.parametrize("cls", [Dropout, AlphaDropout])
@pytest.mark.parametrize("kwargs, argument", [
    ({"rate": -0.1}, "rate"), ({"rate": 1.5}, "rate"),
    ({"rate": 0.5, "seed": -1}, "seed"),
    ({"rate": 0.5, "noise_shape": (None, 0)}, "noise_shape"),
])
def test_bad_arguments_raise_value_error_naming_them(cls, kwargs, argument):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: {argument} must be"):
        cls(**kwargs)


def test_rate_is_required():
    with pytest.raises(TypeError, match="rate"):
        Dropout()
