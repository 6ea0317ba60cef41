"""Conv2D and SpatialDropout2D: values against a direct loop, Keras 'same' padding, gradients, shapes, errors."""
import math

import numpy as np
import pytest

from tests.gradcheck import check_layer
from trainwell import backend, layers

pytestmark = pytest.mark.usefixtures("compiled_or_numpy")  # every test on both paths

# (input shape, Conv2D arguments): odd sizes, strides 2, both paddings, dilation, few and many channels
CASES = [
    ((2, 7, 5, 3), {"filters": 4, "kernel_size": 3}),
    ((2, 7, 5, 3), {"filters": 2, "kernel_size": (3, 2), "strides": 2, "padding": "same"}),
    ((2, 8, 7, 2), {"filters": 3, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}),
    ((1, 9, 9, 5), {"filters": 2, "kernel_size": 2, "strides": (2, 3), "dilation_rate": 2}),
    ((2, 6, 6, 1), {"filters": 3, "kernel_size": 5, "padding": "same", "activation": "tanh"}),
    ((3, 5, 5, 4), {"filters": 2, "kernel_size": 1, "use_bias": False}),
    ((2, 7, 7, 6), {"filters": 3, "kernel_size": 3, "strides": 2, "activation": "relu"}),
]


def direct_convolution(x, kernel, bias, strides, dilation, padding):
    """The definition, one output pixel at a time, with Keras's 'same' split (the extra pad after)."""
    n, height, width, _ = x.shape
    kh, kw, _, filters = kernel.shape
    extent = ((kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1)
    if padding == "same":
        out = (math.ceil(height / strides[0]), math.ceil(width / strides[1]))
        pad = [max((o - 1) * s + e - size, 0) for o, s, e, size in zip(out, strides, extent, (height, width))]
        x = np.pad(x, ((0, 0), (pad[0] // 2, pad[0] - pad[0] // 2), (pad[1] // 2, pad[1] - pad[1] // 2), (0, 0)))
    else:
        out = ((height - extent[0]) // strides[0] + 1, (width - extent[1]) // strides[1] + 1)
    y = np.zeros((n, *out, filters))
    for row in range(out[0]):
        for col in range(out[1]):
            for i in range(kh):
                for j in range(kw):
                    y[:, row, col] += x[:, row * strides[0] + i * dilation[0], col * strides[1] + j * dilation[1]] \
                        @ kernel[i, j]
    return y + bias


@pytest.mark.parametrize("shape, kwargs", CASES)
def test_conv2d_matches_the_direct_definition(float64, shape, kwargs):
    layer = layers.Conv2D(**{**kwargs, "activation": None}, bias_initializer="random_normal")
    x = np.random.default_rng(0).normal(size=shape)
    y = layer(x)
    bias = layer.bias.value if layer.use_bias else 0.0
    expected = direct_convolution(x, layer.kernel.value, bias, layer.strides, layer.dilation_rate, layer.padding)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    assert layer.compute_output_shape((None, *shape[1:])) == (None, *y.shape[1:])


@pytest.mark.parametrize("shape, kwargs", CASES)
@pytest.mark.parametrize("training", [True, False])
def test_conv2d_gradients_for_inputs_kernel_and_bias(float64, shape, kwargs, training):
    layer = layers.Conv2D(**kwargs, bias_initializer="random_normal")
    x = np.random.default_rng(1).normal(size=shape)
    x[np.abs(x) < 0.05] += 0.2
    check_layer(layer, x, training=training)


def test_same_padding_puts_the_odd_extra_row_and_column_at_the_bottom_right():
    # 5x5 image of 0..24, 2x2 kernel of ones, stride 1, 'same': 5x5 output, one padding row and column,
    # both after the image (Keras); a centred pad would put them before.
    x = np.arange(25.0).reshape(1, 5, 5, 1)
    layer = layers.Conv2D(1, 2, padding="same", kernel_initializer="ones")
    y = np.asarray(layer(x))[0, :, :, 0]
    assert y[0, 0] == 0 + 1 + 5 + 6  # top-left window lies inside the image
    assert y[4, 4] == 24  # bottom-right window: only x[4, 4] is real
    assert y[4, 0] == 20 + 21  # bottom row: the row below is padding
    assert y[0, 4] == 4 + 9  # right column: the column to the right is padding


def test_strided_same_padding_hand_worked():
    # 4x4 image of 1..16, 3x3 ones kernel, stride 2, 'same': out 2x2, total pad (2-1)*2+3-4 = 1, after.
    x = np.arange(1.0, 17.0).reshape(1, 4, 4, 1)
    y = np.asarray(layers.Conv2D(1, 3, strides=2, padding="same", kernel_initializer="ones")(x))[0, :, :, 0]
    # y[0,0] = rows 0-2, cols 0-2 = 1+2+3+5+6+7+9+10+11 = 54; y[1,1] = rows 2-3, cols 2-3 = 11+12+15+16 = 54
    # y[0,1] = rows 0-2, cols 2-3 = 3+4+7+8+11+12 = 45;     y[1,0] = rows 2-3, cols 0-2 = 9+10+11+13+14+15 = 72
    np.testing.assert_array_equal(y, [[54.0, 45.0], [72.0, 54.0]])


def test_kernel_layout_and_glorot_uniform_limit():
    layer = layers.Conv2D(8, (3, 2))
    layer(np.zeros((1, 6, 6, 4), dtype=np.float32))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert layer.kernel.shape == (3, 2, 4, 8) and layer.bias.shape == (8,)
    fan_in, fan_out = 3 * 2 * 4, 3 * 2 * 8  # keras_semantics.md §1.4: receptive field times channels
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    kernel = np.asarray(layer.kernel.value)
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.9 * limit
    np.testing.assert_array_equal(layer.bias.value, np.zeros(8))


def test_backward_pre_activation_is_backward_after_the_activation_derivative(float64):
    layer = layers.Conv2D(4, 3, strides=(2, 1), activation="tanh")
    x = np.random.default_rng(2).normal(size=(2, 6, 5, 3))
    upstream = np.random.default_rng(3).normal(size=(2, 2, 3, 4))
    layer(x)
    results = []
    for fused in (False, True):
        layer.kernel.grad, layer.bias.grad = np.empty(layer.kernel.shape), np.empty(layer.bias.shape)
        with backend.recording():
            y = np.asarray(layer(x))
            dz = upstream * (1 - y ** 2)  # tanh' = 1 − y², computed here, not by the layer
            dx = layer.backward_pre_activation(dz) if fused else layer.run_backward(upstream)
        layer._pending_backward = False
        results.append((dx, layer.kernel.grad.copy(), layer.bias.grad.copy()))
    for unfused, fused in zip(*results):
        np.testing.assert_allclose(fused, unfused, rtol=1e-12)
    assert layer.output_activation.__name__ == "tanh"


def test_first_layer_skips_its_input_gradient_but_writes_weight_gradients(float64):
    layer = layers.Conv2D(2, 3, padding="same")
    x = np.random.default_rng(4).normal(size=(2, 5, 5, 1))
    layer(x)
    layer.kernel.grad, layer.bias.grad = np.full(layer.kernel.shape, np.nan), np.full(2, np.nan)
    layer._input_grad_needed = False
    with backend.recording():
        y = layer(x)
        assert layer.run_backward(np.ones_like(y)) is None
    assert np.isfinite(layer.kernel.grad).all() and np.isfinite(layer.bias.grad).all()
    np.testing.assert_allclose(layer.bias.grad, [50.0, 50.0])  # db = Σ dz = 2·5·5 ones per filter


def test_inference_calls_keep_nothing_for_a_backward():
    layer = layers.Conv2D(2, 3)
    layer(np.ones((1, 4, 4, 2), dtype=np.float32))
    assert layer._patches is None and layer._window is None


@pytest.mark.parametrize("make, x_shape, match", [
    (lambda: layers.Conv2D(2, 5), (1, 4, 6, 1), r"conv2_?d.*window \(5, 5\) is larger than the input image \(4, 6\)"),
    (lambda: layers.Conv2D(2, 3, dilation_rate=3), (1, 6, 6, 1), r"dilated to \(7, 7\).*\(1, 6, 6, 1\)"),
    (lambda: layers.Conv2D(2, 3), (4, 6, 6), r"expected 4-D inputs.*got inputs of shape \(None, 6, 6\)"),
])
def test_bad_inputs_are_refused_naming_the_layer_and_shapes(make, x_shape, match):
    with pytest.raises(ValueError, match=match):
        make()(np.zeros(x_shape, dtype=np.float32))


@pytest.mark.parametrize("kwargs, match", [
    ({"filters": 0, "kernel_size": 3}, r"Conv2D: filters must be an integer >= 1; got filters=0"),
    ({"filters": 2, "kernel_size": (3, 0)}, r"Conv2D: kernel_size must be positive.*\(3, 0\)"),
    ({"filters": 2, "kernel_size": 3, "strides": 0}, r"Conv2D: strides must be positive"),
    ({"filters": 2, "kernel_size": 3, "strides": (1, 2, 3)}, r"strides must be an integer or a tuple of 2"),
    ({"filters": 2, "kernel_size": 3, "dilation_rate": -1}, r"dilation_rate must be positive"),
    ({"filters": 2, "kernel_size": 3, "padding": "full"}, r"padding must be one of 'same', 'valid'"),
    ({"filters": 2, "kernel_size": 3, "data_format": "channels_first"}, r"data_format must be one of"),
    ({"filters": 2, "kernel_size": "3"}, r"kernel_size must be an integer or a tuple"),
])
def test_bad_constructor_arguments_name_the_argument(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        layers.Conv2D(**kwargs)


def test_config_keeps_keras_names_and_pairs():
    layer = layers.Conv2D(4, 3, strides=2, padding="SAME", dilation_rate=1, activation="relu")
    config = layer.get_config()
    assert config["kernel_size"] == [3, 3] and config["strides"] == [2, 2] and config["padding"] == "same"
    assert config["data_format"] == "channels_last" and config["activation"] == "relu"
    rebuilt = layers.Conv2D.from_config(config)
    assert rebuilt.kernel_size == (3, 3) and rebuilt.strides == (2, 2)


# ---- SpatialDropout2D (its class lives in layers/regularization.py) -----------------------------

def test_spatial_dropout_drops_whole_channels_and_keeps_the_mean():
    x = np.ones((400, 3, 4, 50), dtype=np.float32)
    y = np.asarray(layers.SpatialDropout2D(0.3, seed=3)(x, training=True))
    per_map = y.reshape(400, 12, 50)
    assert (per_map == per_map[:, :1, :]).all()  # one draw per (sample, channel)
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.7], rtol=1e-6)
    # 20,000 Bernoulli(0.7) draws: the mean of y has standard error sqrt(0.3·0.7/20000)/0.7 = 0.0046
    assert abs(y.mean() - 1.0) < 5 * 0.0046
    np.testing.assert_array_equal(layers.SpatialDropout2D(0.3)(x[:2]), x[:2])  # inference: the identity


@pytest.mark.parametrize("training", [True, False])
def test_spatial_dropout_gradient(float64, training):
    x = np.random.default_rng(6).normal(size=(3, 4, 3, 5))
    check_layer(layers.SpatialDropout2D(0.5, seed=2), x, training=training)


def test_spatial_dropout_refuses_non_image_inputs_and_has_no_noise_shape_argument():
    with pytest.raises(ValueError, match=r"spatial_dropout2_?d(_\d+)?: expected 4-D inputs.*\(None, 5\)"):
        layers.SpatialDropout2D(0.5)(np.ones((2, 5), dtype=np.float32), training=True)
    config = layers.SpatialDropout2D(0.2, seed=1).get_config()
    assert "noise_shape" not in config and config["data_format"] == "channels_last"
    with pytest.raises(TypeError, match="noise_shape"):
        layers.SpatialDropout2D(0.2, noise_shape=(1, 1, 1, 1))
