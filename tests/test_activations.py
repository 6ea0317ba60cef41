"""Tests for trainwell.activations: every derivative against finite differences, values against
independent formulas and hand-worked numbers, the private erf, and name lookup."""
import inspect
import math

import numpy as np
import pytest

from gradcheck import check_elementwise
from trainwell import activations, backend
from trainwell.activations import REGISTRY, derivative_of, deserialize, get, serialize

EXPECTED_NAMES = [
    "elu", "exponential", "gelu", "hard_sigmoid", "hard_silu", "hard_swish", "leaky_relu", "linear",
    "log_softmax", "mish", "relu", "relu6", "selu", "sigmoid", "silu", "softmax", "softplus",
    "softsign", "swish", "tanh"]
ALIASES = {"swish": "silu", "hard_swish": "hard_silu"}
# Every place where some case below has a kink: 0, thresholds, max_values, hard_sigmoid's +-3.
KINKS = (0.0, 0.5, -0.5, 2.0, 2.5, -3.0, 3.0, 6.0)
# Non-default arguments, on top of the default-argument check that every registered function gets.
ARGUMENT_CASES = [
    ("relu", {"negative_slope": 0.1}), ("relu", {"negative_slope": 1.5}),
    ("relu", {"max_value": 2.0}), ("relu", {"max_value": 6.0}), ("relu", {"threshold": 0.5}),
    ("relu", {"negative_slope": 0.1, "max_value": 6.0, "threshold": 0.5}),
    ("relu", {"negative_slope": 0.2, "max_value": 2.0}), ("relu", {"max_value": 2.0, "threshold": 2.5}),
    ("relu", {"threshold": -0.5}), ("relu", {"threshold": -0.5, "max_value": 2.0}),
    ("relu", {"negative_slope": -0.5}), ("relu", {"negative_slope": 0.2, "max_value": 0.0}),
    ("leaky_relu", {"negative_slope": 0.3}), ("leaky_relu", {"negative_slope": 2.0}),
    ("leaky_relu", {"negative_slope": -0.5}),
    ("elu", {"alpha": 0.5}), ("elu", {"alpha": 0.0}), ("elu", {"alpha": -0.5}),
    ("softmax", {"axis": 0}), ("log_softmax", {"axis": 0}), ("gelu", {"approximate": True}),
]


def points():
    """60 points 0.25 apart over [-7.4, 7.4], shuffled into a (6, 10) array, at least 0.02 from
    every kink: each piece between two kinks holds a point."""
    x = np.random.default_rng(0).permutation(np.linspace(-7.4, 7.35, 60)).reshape(6, 10)
    for kink in KINKS:
        x = np.where(np.abs(x - kink) < 0.02, kink + 0.05, x)
    return x


def check_derivative(function, kwargs):
    """Finite differences against the derivative given x, and given y alone where that suffices."""
    def forward(x):
        return function(x, **kwargs)
    what = f"{function.__name__}{kwargs}"
    check_elementwise(forward, lambda x, y, g: function.derivative(g, x, y, **kwargs), points(), what)
    if not function.input_needed(**kwargs):
        check_elementwise(forward, lambda x, y, g: function.derivative(g, None, y, **kwargs), points(),
                          what + " from y alone")


def cube(x):
    return x ** 3


@derivative_of(cube)
def cube_derivative(grad, x, y):
    return grad * 3 * x ** 2


# ---- gradients -----------------------------------------------------------------------------

@pytest.mark.parametrize("function", REGISTRY.members(), ids=lambda f: f.__name__)
def test_derivative_matches_finite_differences_at_default_arguments(function):
    check_derivative(function, {})


@pytest.mark.parametrize("name, kwargs", ARGUMENT_CASES, ids=[f"{n}{k}" for n, k in ARGUMENT_CASES])
def test_derivative_matches_finite_differences_with_arguments(name, kwargs):
    check_derivative(get(name), kwargs)


def test_a_user_function_with_an_attached_derivative_passes_the_check():
    check_derivative(cube, {})


@pytest.mark.parametrize("function", REGISTRY.members(), ids=lambda f: f.__name__)
def test_derivative_returns_a_new_array_and_leaves_grad_untouched(function):
    x = points()
    grad = np.random.default_rng(1).normal(size=x.shape)
    original = grad.copy()
    result = function.derivative(grad, x, function(x))
    np.testing.assert_array_equal(grad, original)
    assert not np.shares_memory(result, grad)


@pytest.mark.parametrize("function", REGISTRY.members(), ids=lambda f: f.__name__)
def test_function_and_derivative_keep_float32(function):
    x = points().astype(np.float32)
    y = function(x)
    assert y.dtype == np.float32
    assert function.derivative(np.ones_like(x), x, y).dtype == np.float32


@pytest.mark.parametrize("function", [f for f in REGISTRY.members() if f is not activations.linear],
                         ids=lambda f: f.__name__)  # the identity touches no array module
def test_functions_look_up_the_array_module_at_call_time(function, monkeypatch):
    class Recording:
        used = []

        def __getattr__(self, name):
            self.used.append(name)
            return getattr(np, name)
    monkeypatch.setattr(backend, "xp", Recording())
    function(points())
    assert Recording.used
    assert "numpy" not in vars(activations)


def test_needs_input_says_which_derivatives_read_the_output_alone():
    from_output = {"elu", "exponential", "hard_sigmoid", "leaky_relu", "linear", "log_softmax",
                   "relu", "relu6", "selu", "sigmoid", "softmax", "softplus", "softsign", "tanh"}
    assert {f.__name__ for f in REGISTRY.members() if not f.needs_input} == from_output
    assert activations.elu.input_needed(alpha=-1.0) and not activations.elu.input_needed(alpha=0.0)
    assert activations.relu.input_needed(threshold=-0.5)
    assert not activations.relu.input_needed(negative_slope=0.3, max_value=6.0, threshold=1.0)


@pytest.mark.parametrize("name, kwargs", [("silu", {}), ("elu", {"alpha": -0.5})])
def test_derivative_refuses_a_missing_input_where_the_output_is_not_enough(name, kwargs):
    function = get(name)
    x = points()
    with pytest.raises(ValueError, match=f"{name}_derivative: x must be the input of {name} with "
                                         r"these arguments \(its output alone does not give the slope\)"
                                         r"; got x=None\."):
        function.derivative(np.ones_like(x), None, function(x, **kwargs), **kwargs)


# ---- values ------------------------------------------------------------------------------

X_RELU = np.array([-3.0, -1.0, 0.25, 1.0, 5.0, 8.0])


@pytest.mark.parametrize("kwargs, expected", [
    ({}, [0, 0, 0.25, 1, 5, 8]),
    ({"negative_slope": 0.1}, [-0.3, -0.1, 0.25, 1, 5, 8]),
    ({"max_value": 6.0}, [0, 0, 0.25, 1, 5, 6]),
    ({"max_value": 4.0}, [0, 0, 0.25, 1, 4, 4]),
    ({"threshold": 0.5}, [0, 0, 0, 1, 5, 8]),  # 0.25 is below the threshold: 0
    # below 0.5: 0.1 * (x - 0.5) = -0.35, -0.15, -0.025; above: min(x, 6)
    ({"negative_slope": 0.1, "max_value": 6.0, "threshold": 0.5}, [-0.35, -0.15, -0.025, 1, 5, 6]),
    # below 2: 0.5 * (x - 2) = -2.5, -1.5, -0.875, -0.5
    ({"negative_slope": 0.5, "threshold": 2.0}, [-2.5, -1.5, -0.875, -0.5, 5, 8]),
])
def test_relu_general_form_matches_hand_worked_cases(kwargs, expected):
    np.testing.assert_allclose(activations.relu(X_RELU, **kwargs), expected, rtol=0, atol=1e-15)


def test_leaky_relu_defaults_to_the_keras_function_slope_and_documents_the_others():
    assert inspect.signature(activations.leaky_relu).parameters["negative_slope"].default == 0.2
    np.testing.assert_allclose(get("leaky_relu")(X_RELU), [-0.6, -0.2, 0.25, 1, 5, 8], atol=1e-15)
    doc = activations.leaky_relu.__doc__
    assert "LeakyReLU layer" in doc and "0.3" in doc  # keras.layers.LeakyReLU
    assert "PyTorch" in doc and "0.01" in doc  # torch.nn.LeakyReLU


def test_hard_functions_match_keras_3_numbers():
    x = np.array([-4.0, -3.0, 0.0, 1.5, 3.0, 4.0])
    # x / 6 + 0.5 clipped: 1.5 -> 0.75 (tf.keras 2's 0.2 * x + 0.5 would give 0.8)
    np.testing.assert_allclose(activations.hard_sigmoid(x), [0, 0, 0.5, 0.75, 1, 1], atol=1e-15)
    np.testing.assert_allclose(activations.hard_silu(x), [0, 0, 0, 1.125, 3, 4], atol=1e-15)
    np.testing.assert_allclose(activations.relu6(np.array([-1.0, 3.0, 7.0])), [0, 3, 6])


def test_elu_and_selu_match_hand_worked_numbers():
    np.testing.assert_allclose(activations.elu(np.array([-1.0, 2.0])),
                               [math.exp(-1) - 1, 2.0], rtol=1e-15)  # -0.6321205588285577
    np.testing.assert_allclose(activations.elu(np.array([-2.0]), alpha=0.5),
                               [-0.43233235838169365], rtol=1e-15)  # 0.5 * (e**-2 - 1)
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946  # §2.2
    np.testing.assert_allclose(activations.selu(np.array([-1.0, 1.0])),
                               [scale * alpha * (math.exp(-1) - 1), scale], rtol=1e-15)


def test_selu_keeps_a_standard_normal_at_mean_zero_and_variance_one():
    z, step = np.linspace(-12.0, 12.0, 240_001, retstep=True)  # 0 lies on the grid (the kink)
    density = np.exp(-z * z / 2) / math.sqrt(2 * math.pi) * step
    y = activations.selu(z)
    assert abs(np.sum(y * density)) < 1e-8
    assert abs(np.sum(y * y * density) - 1) < 1e-8


@pytest.mark.parametrize("name, kwargs, reference", [
    ("sigmoid", {}, lambda v: 1 / (1 + math.exp(-v))),
    ("tanh", {}, math.tanh),
    ("softplus", {}, lambda v: math.log1p(math.exp(v))),
    ("softsign", {}, lambda v: v / (1 + abs(v))),
    ("silu", {}, lambda v: v / (1 + math.exp(-v))),
    ("swish", {}, lambda v: v / (1 + math.exp(-v))),
    ("gelu", {}, lambda v: v * (1 + math.erf(v / math.sqrt(2))) / 2),
    ("gelu", {"approximate": True},
     lambda v: v * (1 + math.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v ** 3))) / 2),
    ("exponential", {}, math.exp),
    ("mish", {}, lambda v: v * math.tanh(math.log1p(math.exp(v)))),
    ("linear", {}, lambda v: v),
])
def test_values_match_an_independent_scalar_formula(name, kwargs, reference):
    x = np.linspace(-8.0, 8.0, 161)
    expected = [reference(v) for v in x]
    np.testing.assert_allclose(get(name)(x, **kwargs), expected, rtol=1e-14, atol=1e-15)


def test_gelu_at_one_is_the_normal_cdf_at_one():
    assert abs(activations.gelu(np.array(1.0)) - 0.8413447460685429) < 1e-15  # Phi(1)


def test_gelu_keeps_relative_accuracy_in_the_left_tail():
    x = np.linspace(-30.0, -3.0, 271)  # 1 + erf(x / sqrt(2)) would cancel to 0 from x = -8.3 on
    expected = [v * math.erfc(-v / math.sqrt(2)) / 2 for v in x]
    np.testing.assert_allclose(activations.gelu(x), expected, rtol=1e-13, atol=0)


def test_softmax_rows_sum_to_one_along_either_axis():
    x = np.random.default_rng(2).normal(size=(3, 5)) * 4
    np.testing.assert_allclose(activations.softmax(x).sum(axis=-1), np.ones(3), rtol=1e-15)
    np.testing.assert_allclose(activations.softmax(x, axis=0).sum(axis=0), np.ones(5), rtol=1e-15)
    independent = np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(activations.softmax(x), independent, rtol=1e-13)
    np.testing.assert_allclose(activations.log_softmax(x, axis=0),
                               np.log(np.exp(x) / np.exp(x).sum(axis=0)), rtol=1e-13, atol=1e-14)


def test_large_inputs_stay_finite_without_floating_point_warnings():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        # exp(1000) overflows: naive formulas would give inf/nan here
        np.testing.assert_allclose(activations.softmax(np.array([1000.0, 1000.0 + math.log(3)])),
                                   [0.25, 0.75], rtol=1e-12)
        np.testing.assert_array_equal(activations.softmax(np.array([1000.0, 1000.0])), [0.5, 0.5])
        np.testing.assert_array_equal(activations.log_softmax(np.array([1000.0, 0.0])), [0, -1000])
        np.testing.assert_array_equal(activations.sigmoid(np.array([-1000.0, 1000.0])), [0, 1])
        np.testing.assert_array_equal(activations.softplus(np.array([-1000.0, 1000.0])), [0, 1000])
        np.testing.assert_array_equal(activations.elu(np.array([1000.0])), [1000])
        np.testing.assert_array_equal(activations.gelu(np.array([-1000.0, 1000.0])), [0, 1000])


# ---- the private erf -----------------------------------------------------------------------

def test_erf_matches_math_erf_across_both_branches():
    edges = [0.0, 1e-300, 1e-10, 1.9999999999999998, 2.0, 2.0000000000000004, 6.0, 30.0]
    x = np.concatenate([np.linspace(-8.0, 8.0, 3201), edges, np.negative(edges)])
    expected = np.array([math.erf(v) for v in x])
    result = activations._erf(x)
    np.testing.assert_allclose(result, expected, rtol=0, atol=1e-14)
    small = np.abs(x) < 2  # the series keeps relative accuracy near 0
    np.testing.assert_allclose(result[small], expected[small], rtol=1e-14, atol=0)


def test_erfc_keeps_relative_accuracy_in_the_tail():
    x = np.linspace(-5.0, 26.0, 3101)
    expected = np.array([math.erfc(v) for v in x])
    assert np.max(np.abs(activations._erfc(x) - expected) / expected) < 1e-13


def test_erf_handles_infinities_and_nan():
    result = activations._erf(np.array([-np.inf, np.inf, np.nan]))
    np.testing.assert_array_equal(result, [-1.0, 1.0, np.nan])


# ---- names ---------------------------------------------------------------------------------

def test_every_keras_name_resolves_with_aliases():
    assert REGISTRY.names() == EXPECTED_NAMES
    for name in EXPECTED_NAMES:
        assert get(name) is getattr(activations, ALIASES.get(name, name))
    assert get(None) is activations.linear


def test_unknown_name_lists_the_valid_names_sorted():
    valid = ", ".join(EXPECTED_NAMES)
    message = f"activations.get: unknown activation 'relu7'. Valid names: {valid}."
    with pytest.raises(ValueError) as error:
        get("relu7")
    assert str(error.value) == message


def test_a_callable_without_derivative_is_refused_with_how_to_attach_one():
    def squash(x):
        return x / 2
    with pytest.raises(TypeError, match=r"activations.get: activation must be a registered name or a "
                                        r"function with a derivative; got activation=<function"):
        get(squash)
    with pytest.raises(TypeError, match=r"trainwell has no automatic differentiation: attach the "
                                        r"derivative with the decorator trainwell\.activations\."
                                        r"derivative_of, as in `@derivative_of\(squash\)` above "
                                        r"`def squash_derivative\(grad, x, y\): return grad \* "
                                        r"<dsquash/dx>`\."):
        get(squash)
    squash.derivative = lambda grad, x, y: grad / 2  # attached by hand: needs_input is missing
    with pytest.raises(TypeError, match="derivative_of"):
        get(squash)


def test_get_refuses_a_value_that_is_not_a_name_or_function():
    with pytest.raises(TypeError, match="activations.get: activation must be a string name, None or "
                                        "a function; got activation=42 of type int."):
        get(42)


def test_a_function_with_an_attached_derivative_is_accepted_and_needs_its_input():
    assert get(cube) is cube
    assert cube.derivative is cube_derivative and cube.needs_input
    with pytest.raises(ValueError, match="cube_derivative: x must be the input of cube"):
        cube.derivative(np.ones(2), None, np.ones(2))


def test_serialize_gives_the_canonical_name_and_deserialize_inverts_it():
    assert serialize(get("swish")) == "silu"
    assert serialize(get("hard_swish")) == "hard_silu"
    for function in REGISTRY.members():
        assert deserialize(serialize(function)) is function
    assert deserialize(serialize(cube), custom_objects={"cube": cube}) is cube
    with pytest.raises(TypeError, match="activations.serialize: activation must be a named function"):
        serialize("relu")


def test_derivative_of_refuses_a_bad_needs_input():
    with pytest.raises(TypeError, match="derivative_of: needs_input must be a bool or a predicate"):
        derivative_of(cube, needs_input="yes")
