"""ReLU, LeakyReLU, PReLU, RReLU, ELU, Softmax: gradients, formulas, randomness, configs, errors."""
import json
import math
import warnings

import numpy as np
import pytest

from tests.gradcheck import check_layer
from trainwell import activations, backend, initializers, layers
from trainwell.layers import activation as activation_module

# Each case: a factory (called after the float64 fixture, so weights are float64), the input
# shape, and the points where the layer has a kink or a jump (inputs are kept 0.05 away).
CASES = {
    "relu": (lambda: layers.ReLU(), (4, 5), [0.0]),
    "relu_capped_leaky_threshold": (
        lambda: layers.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.5), (4, 5), [0.0, 0.5, 1.5]),
    "relu_leaky": (lambda: layers.ReLU(negative_slope=0.2), (4, 5), [0.0]),
    "leaky_relu": (lambda: layers.LeakyReLU(), (4, 5), [0.0]),
    "prelu": (lambda: layers.PReLU(alpha_initializer=initializers.RandomUniform(0.1, 0.5, seed=1)), (4, 3, 5), [0.0]),
    "prelu_shared_1": (lambda: layers.PReLU(alpha_initializer=initializers.RandomUniform(0.1, 0.5, seed=2),
                                            shared_axes=[1]), (4, 3, 5), [0.0]),
    "prelu_shared_1_2": (lambda: layers.PReLU(alpha_initializer="ones", shared_axes=[1, 2]), (4, 3, 5), [0.0]),
    "rrelu": (lambda: layers.RReLU(seed=3), (4, 5), [0.0]),
    "elu": (lambda: layers.ELU(alpha=0.7), (4, 5), [0.0]),
    "softmax": (lambda: layers.Softmax(), (4, 5), []),
    "softmax_axis_1": (lambda: layers.Softmax(axis=1), (3, 4, 2), []),
    "softmax_axes_1_2": (lambda: layers.Softmax(axis=[1, 2]), (3, 4, 2), []),
}


def inputs_away_from(shape, kinks, seed=0, gap=0.05):
    x = np.random.default_rng(seed).normal(scale=1.5, size=shape)
    for kink in kinks:
        near = np.abs(x - kink) < gap
        x[near] = kink + np.where(x[near] >= kink, gap, -gap)
    return x


# ----- gradients ------------------------------------------------------------------------------

@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("case", sorted(CASES))
def test_backward_matches_finite_differences_for_inputs_and_weights(float64, case, training):
    make, shape, kinks = CASES[case]
    check_layer(make(), inputs_away_from(shape, kinks), training=training)


def test_prelu_alpha_gradient_sums_upstream_times_negative_part_over_batch_and_shared_axes(float64):
    layer = layers.PReLU(shared_axes=[1])
    x = inputs_away_from((4, 3, 5), [0.0], seed=5)
    upstream = np.random.default_rng(6).normal(size=x.shape)
    layer.build_for(x.shape)
    layer.alpha.grad = np.full(layer.alpha.shape, np.nan)
    with backend.recording():
        layer(x, training=True)
        layer.run_backward(upstream)
    expected = (upstream * np.minimum(x, 0)).sum(axis=(0, 1)).reshape(1, 5)  # dy/dalpha = min(x, 0)
    np.testing.assert_allclose(layer.alpha.grad, expected, rtol=1e-12)


def test_layers_keep_no_arrays_outside_a_training_step():
    for case, (make, shape, kinks) in CASES.items():
        layer = make()
        layer(inputs_away_from(shape, kinks), training=True)
        kept = [name for name, value in vars(layer).items() if isinstance(value, np.ndarray)]
        assert kept == [], f"{case} kept {kept}"


# ----- numbers vs independent formulas ------------------------------------------------------

X = np.array([[-3.0, -0.7, 0.2, 0.9, 2.5, 7.0]])


@pytest.mark.parametrize("make, formula", [
    (lambda: layers.ReLU(), lambda x: np.where(x > 0, x, 0.0)),
    (lambda: layers.ReLU(max_value=6.0), lambda x: np.clip(x, 0, 6)),
    (lambda: layers.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.5),
     lambda x: np.where(x > 0.5, np.minimum(x, 2.0), 0.1 * (x - 0.5))),
    (lambda: layers.LeakyReLU(), lambda x: np.where(x >= 0, x, 0.3 * x)),  # Keras layer default 0.3
    (lambda: layers.LeakyReLU(negative_slope=0.01), lambda x: np.where(x >= 0, x, 0.01 * x)),
    (lambda: layers.PReLU(), lambda x: np.where(x >= 0, x, 0.0)),  # alpha starts at zero: a ReLU
    (lambda: layers.PReLU(alpha_initializer=initializers.Constant(0.25)), lambda x: np.where(x >= 0, x, 0.25 * x)),
    (lambda: layers.ELU(), lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    (lambda: layers.ELU(alpha=2.0), lambda x: np.where(x > 0, x, 2.0 * (np.exp(x) - 1))),
    (lambda: layers.Softmax(), lambda x: np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)),
], ids=["relu", "relu6", "relu_general", "leaky_default", "leaky_pytorch_slope", "prelu_default",
        "prelu_quarter", "elu", "elu_alpha_2", "softmax"])
def test_outputs_match_the_formula_re_derived_here(float64, make, formula):
    np.testing.assert_allclose(make()(X), formula(X), rtol=1e-12, atol=1e-15)


def test_hand_worked_values(float64):
    np.testing.assert_allclose(layers.ReLU(max_value=6.0)([[-1.0, 3.0, 8.0]]), [[0.0, 3.0, 6.0]])
    np.testing.assert_allclose(layers.LeakyReLU()([[-2.0, 4.0]]), [[-0.6, 4.0]])  # 0.3 * -2
    np.testing.assert_allclose(layers.ELU()([[-1.0]]), [[-0.6321205588285577]])  # e^-1 - 1
    # softmax([0, ln 3]) = [1, 3] / 4
    np.testing.assert_allclose(layers.Softmax()([[0.0, math.log(3.0)]]), [[0.25, 0.75]], rtol=1e-12)


def test_softmax_over_a_list_of_axes_normalizes_over_them_together(float64):
    x = np.random.default_rng(7).normal(size=(2, 3, 4))
    y = layers.Softmax(axis=[1, 2])(x)
    e = np.exp(x)
    np.testing.assert_allclose(y, e / e.sum(axis=(1, 2), keepdims=True), rtol=1e-12)


def test_prelu_alpha_has_input_shape_with_shared_axes_set_to_one():
    for shared_axes, shape in [(None, (3, 5)), ([1], (1, 5)), (2, (3, 1)), ([1, 2], (1, 1))]:
        layer = layers.PReLU(shared_axes=shared_axes)
        layer(np.zeros((4, 3, 5)))
        assert layer.alpha.shape == shape and [w.name for w in layer.trainable_weights] == ["alpha"]


# ----- RReLU ----------------------------------------------------------------------------------

def test_rrelu_training_slopes_lie_in_lower_upper_and_change_between_calls(float64):
    layer = layers.RReLU(lower=0.1, upper=0.3, seed=0)
    x = -np.ones((200, 50))
    first = -layer(x, training=True)  # the slopes themselves, since x = -1
    second = -layer(x, training=True)
    for slopes in (first, second):
        assert slopes.min() >= 0.1 and slopes.max() <= 0.3
        assert abs(slopes.mean() - 0.2) < 0.003  # U(0.1, 0.3): std of the mean 0.0577/100
    assert np.mean(first != second) > 0.99
    np.testing.assert_array_equal(layer(-x, training=True), -x)  # positive inputs pass unchanged


def test_rrelu_inference_slope_is_exactly_the_mean_of_lower_and_upper(float64):
    layer = layers.RReLU()
    x = np.array([[-1.0, -2.0, 3.0]])
    expected = np.array([[-11 / 48, -22 / 48, 3.0]])  # (1/8 + 1/3) / 2 = 11/48, PyTorch's eval slope
    np.testing.assert_array_equal(layer(x, training=False), expected)
    np.testing.assert_array_equal(layer(x), expected)  # training=None outside fit: inference


def test_rrelu_same_seed_gives_same_slopes():
    x = -np.ones((3, 4))
    np.testing.assert_array_equal(layers.RReLU(seed=9)(x, training=True), layers.RReLU(seed=9)(x, training=True))


# ----- LeakyReLU's tf.keras spelling ----------------------------------------------------------

def test_leaky_relu_alpha_is_the_old_spelling_of_negative_slope_and_warns_once(float64):
    with pytest.warns(DeprecationWarning, match="old tf.keras spelling") as record:
        layer = layers.LeakyReLU(alpha=0.2)
    assert len(record) == 1
    assert layer.negative_slope == 0.2 and layer.get_config()["negative_slope"] == 0.2
    assert "alpha" not in layer.get_config()
    np.testing.assert_allclose(layer([[-5.0, 5.0]]), [[-1.0, 5.0]])  # 0.2 * -5


def test_leaky_relu_with_negative_slope_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layers.LeakyReLU(negative_slope=0.3)


# ----- fused softmax + cross-entropy path ----------------------------------------------------

def test_softmax_layer_offers_the_fused_cross_entropy_path(float64):
    layer = layers.Softmax()
    assert layer.output_activation is activations.softmax
    z = np.random.default_rng(8).normal(size=(3, 4))
    targets = np.eye(4)[[0, 2, 3]]
    with backend.recording():
        p = layer(z, training=True)
        through_softmax = layer.run_backward(-targets / p)  # d(-sum y log p)/dp, back through softmax
    np.testing.assert_allclose(through_softmax, p - targets, atol=1e-12)
    np.testing.assert_array_equal(layer.backward_pre_activation(p - targets), p - targets)


def test_only_a_last_axis_softmax_fuses_and_elementwise_layers_name_their_function():
    inner = layers.Softmax(axis=1)
    inner(np.zeros((2, 3, 4)))
    assert inner.output_activation is None
    last = layers.Softmax(axis=2)
    last(np.zeros((2, 3, 4)))
    assert last.output_activation is activations.softmax
    assert layers.ReLU().output_activation is activations.relu
    assert layers.LeakyReLU().output_activation is activations.leaky_relu
    assert layers.ELU().output_activation is activations.elu


# ----- configs and errors ---------------------------------------------------------------------

CLASSES_HERE = sorted((cls for cls in layers.REGISTRY.members() if cls.__module__ == activation_module.__name__),
                      key=lambda cls: cls.__name__)
CONFIG_CASES = [
    lambda: layers.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5),
    lambda: layers.LeakyReLU(negative_slope=0.15),
    lambda: layers.PReLU(alpha_initializer="ones", shared_axes=[1, 2]),
    lambda: layers.RReLU(lower=0.2, upper=0.4, seed=7),
    lambda: layers.ELU(alpha=0.5),
    lambda: layers.Softmax(axis=[1, 2]),
]


def test_config_cases_cover_every_class_of_this_file():
    assert sorted(type(make()).__name__ for make in CONFIG_CASES) == [cls.__name__ for cls in CLASSES_HERE]


@pytest.mark.parametrize("make", CONFIG_CASES, ids=lambda make: type(make()).__name__)
def test_config_round_trips_through_json(float64, make):
    layer = make()
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    assert clone.get_config() == layer.get_config()
    x = inputs_away_from((2, 3, 4), [0.0])
    np.testing.assert_allclose(clone(x), layer(x), rtol=1e-12)
    np.testing.assert_allclose(clone(x, training=True), layer(x, training=True), rtol=1e-12)  # RReLU: seed


def test_config_holds_keras_defaults():
    assert {k: v for k, v in layers.ReLU().get_config().items() if k not in ("name", "trainable")} == {
        "max_value": None, "negative_slope": 0.0, "threshold": 0.0}
    assert layers.LeakyReLU().get_config()["negative_slope"] == 0.3
    assert layers.ELU().get_config()["alpha"] == 1.0
    assert layers.Softmax().get_config()["axis"] == -1
    prelu = layers.PReLU().get_config()
    assert prelu["alpha_initializer"]["class_name"] == "Zeros" and prelu["shared_axes"] is None
    rrelu = layers.RReLU().get_config()
    assert (rrelu["lower"], rrelu["upper"], rrelu["seed"]) == (0.125, 1 / 3, None)


@pytest.mark.parametrize("make, error, match", [
    (lambda: layers.ReLU(max_value=-1.0), ValueError, r"ReLU: max_value must be a number >= 0; got max_value=-1.0"),
    (lambda: layers.ReLU(negative_slope=-0.1), ValueError, "negative_slope must be a number >= 0"),
    (lambda: layers.ReLU(threshold=-0.5), ValueError, "threshold must be a number >= 0"),
    (lambda: layers.LeakyReLU(negative_slope=-0.2), ValueError, "negative_slope must be a number >= 0"),
    (lambda: layers.LeakyReLU(negative_slope=0.3, alpha=0.2), ValueError, "alpha must be left out when"),
    (lambda: layers.PReLU(shared_axes=0), ValueError, "shared_axes must be an integer >= 1"),
    (lambda: layers.PReLU(shared_axes=[3])(np.zeros((4, 3, 5))), ValueError, "shared_axes must be axes between"),
    (lambda: layers.RReLU(lower=-0.1), ValueError, "lower must be a number >= 0"),
    (lambda: layers.RReLU(lower=0.5, upper=0.25), ValueError, "upper must be a number >= 0.5; got upper=0.25"),
    (lambda: layers.RReLU(seed=1.5), TypeError, "seed must be an integer"),
    (lambda: layers.ELU(alpha=float("inf")), ValueError, "alpha must be a finite number"),
    (lambda: layers.ELU(alpha="one"), TypeError, "alpha must be a number"),
    (lambda: layers.Softmax(axis="last"), TypeError, "axis must be an integer; got axis='last'"),
    (lambda: layers.Softmax(axis=[]), ValueError, "axis must be an integer or a non-empty list"),
    (lambda: layers.Softmax(axis=2)(np.zeros((2, 3))), ValueError, r"axis must be an axis of inputs of shape"),
])
def test_bad_arguments_are_refused_naming_the_argument(make, error, match):
    with pytest.raises(error, match=match):
        make()
