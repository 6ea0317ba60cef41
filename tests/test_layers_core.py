"""Dense, Flatten, Reshape, Activation, InputLayer: gradients, shapes, config, errors."""
import numpy as np
import pytest

from tests.gradcheck import check_layer
from trainwell import layers

pytestmark = pytest.mark.usefixtures("compiled_or_numpy")  # every test on both paths


@pytest.mark.parametrize("activation", [None, "relu", "elu", "tanh", "sigmoid", "softmax", "selu", "gelu"])
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_gradients_for_inputs_kernel_and_bias(float64, activation, use_bias):
    layer = layers.Dense(3, activation=activation, use_bias=use_bias, bias_initializer="random_normal")
    x = np.random.default_rng(1).normal(size=(5, 4))
    x[np.abs(x) < 1e-2] = 0.5  # stay away from the relu kink
    check_layer(layer, x, training=True)


def test_dense_on_three_dimensional_inputs_acts_on_the_last_axis(float64):
    layer = layers.Dense(2)
    x = np.random.default_rng(2).normal(size=(3, 4, 5))
    check_layer(layer, x, training=False)
    np.testing.assert_allclose(layer(x), x @ layer.kernel.value + layer.bias.value)


def test_dense_computes_x_w_plus_b_with_keras_layout():
    layer = layers.Dense(2, kernel_initializer="ones", bias_initializer="ones")
    out = layer(np.array([[1.0, 2.0, 3.0]]))
    np.testing.assert_allclose(out, [[7.0, 7.0]])  # 1+2+3 plus bias 1
    assert layer.kernel.shape == (3, 2) and layer.bias.shape == (2,)
    assert [w.name for w in layer.weights] == ["kernel", "bias"]


@pytest.mark.parametrize("layer, x_shape, out_shape", [
    (lambda: layers.Flatten(), (2, 3, 4), (2, 12)),
    (lambda: layers.Reshape((6, 2)), (2, 3, 4), (2, 6, 2)),
    (lambda: layers.Reshape((-1, 3)), (2, 3, 4), (2, 4, 3)),
    (lambda: layers.Activation("tanh"), (2, 3), (2, 3)),
])
def test_shape_layers_pass_gradients_through(float64, layer, x_shape, out_shape):
    layer = layer()
    x = np.random.default_rng(3).normal(size=x_shape)
    assert layer(x).shape == out_shape
    assert layer.compute_output_shape((None,) + x_shape[1:]) == (None,) + out_shape[1:]
    check_layer(layer, x, training=True)


def test_a_built_layer_refuses_inputs_of_another_feature_shape():
    layer = layers.Dense(2)
    layer(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"expected inputs of shape \(None, 3\).*\(1, 4\)"):
        layer(np.zeros((1, 4)))


@pytest.mark.parametrize("make, match", [
    (lambda: layers.Dense(0), "units must be an integer >= 1"),
    (lambda: layers.Dense(2.5), "units must be an integer"),
    (lambda: layers.Reshape((0, 2)), "target_shape must be"),
    (lambda: layers.Dense(3, kernel_initalizer="zeros"), "unknown keyword argument"),
])
def test_bad_constructor_arguments_name_the_argument(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_input_shape_on_the_first_layer_builds_the_model():
    import trainwell as tw
    model = tw.Sequential([layers.Flatten(input_shape=[28, 28]), layers.Dense(10)])
    assert model.built and model.count_params() == 7850


def test_dense_relu_in_place_equals_the_pure_function_and_keeps_no_pre_activation():
    from trainwell import activations, backend
    layer = layers.Dense(4, activation="relu", bias_initializer="random_normal")
    x = np.random.default_rng(4).normal(size=(6, 3)).astype("float32")
    with backend.recording():
        out = layer(x, training=True)
    expected = activations.relu(x @ layer.kernel.value + layer.bias.value)
    np.testing.assert_array_equal(out, expected)
    assert layer._pre_activation is None
    layer.release()


def test_default_layer_names_follow_keras_snake_case():
    from trainwell.layers.base import _snake_case
    # keras/src/utils/naming.py: split before Capital+lowercase, then between lowercase and Capital
    assert [_snake_case(n) for n in ("Dense", "BatchNormalization", "Conv2D", "MaxPooling2D", "ReLU", "PReLU")] == [
        "dense", "batch_normalization", "conv2d", "max_pooling2d", "re_lu", "p_re_lu"]
