"""Max, average and global pooling: hand-worked values, a direct loop, first-max gradients, shapes, errors."""
import math

import numpy as np
import pytest

from tests.gradcheck import check_layer
from trainwell import backend, layers

pytestmark = pytest.mark.usefixtures("compiled_or_numpy")  # every test on both paths

WINDOWED = [layers.MaxPooling2D, layers.AveragePooling2D]
# (input shape, arguments): odd sizes, strides 2, overlapping windows, both paddings, non-square pools
CASES = [
    ((2, 6, 4, 3), {}),
    ((2, 7, 5, 3), {}),
    ((2, 7, 5, 2), {"pool_size": 3, "strides": 2, "padding": "same"}),
    ((1, 7, 6, 2), {"pool_size": (2, 3), "strides": 1}),
    ((2, 5, 5, 1), {"pool_size": 2, "padding": "same"}),
    ((1, 6, 7, 3), {"pool_size": 3, "strides": (1, 2), "padding": "same"}),
]


def direct_pooling(x, kind, pool, strides, padding):
    """The definition, one output cell at a time; 'same' windows use only their real pixels."""
    _, height, width, _ = x.shape
    if padding == "same":
        out = (math.ceil(height / strides[0]), math.ceil(width / strides[1]))
        before = [max((o - 1) * s + p - size, 0) // 2 for o, s, p, size in zip(out, strides, pool, (height, width))]
    else:
        out = ((height - pool[0]) // strides[0] + 1, (width - pool[1]) // strides[1] + 1)
        before = [0, 0]
    y = np.zeros((x.shape[0], *out, x.shape[3]))
    for row in range(out[0]):
        for col in range(out[1]):
            top, left = row * strides[0] - before[0], col * strides[1] - before[1]
            window = x[:, max(top, 0):top + pool[0], max(left, 0):left + pool[1], :]
            y[:, row, col] = window.max(axis=(1, 2)) if kind == "max" else window.mean(axis=(1, 2))
    return y


@pytest.mark.parametrize("cls", WINDOWED)
@pytest.mark.parametrize("shape, kwargs", CASES)
def test_pooling_matches_the_direct_definition(float64, cls, shape, kwargs):
    layer = cls(**kwargs)
    x = np.random.default_rng(0).normal(size=shape)
    y = layer(x)
    kind = "max" if cls is layers.MaxPooling2D else "average"
    np.testing.assert_allclose(y, direct_pooling(x, kind, layer.pool_size, layer.strides, layer.padding),
                               rtol=1e-12, atol=1e-12)
    assert layer.compute_output_shape((None, *shape[1:])) == (None, *y.shape[1:])


@pytest.mark.parametrize("cls", WINDOWED)
@pytest.mark.parametrize("shape, kwargs", CASES)
@pytest.mark.parametrize("training", [True, False])
def test_pooling_gradients(float64, cls, shape, kwargs, training):
    x = np.random.default_rng(1).normal(size=shape)  # distinct values: no ties within 2·1e-6
    check_layer(cls(**kwargs), x, training=training)


def test_max_and_average_pooling_hand_worked():
    # 4x4 image:  1  2  5  6       2x2 windows, stride 2: max [[ 4,  8], [12, 16]]
    #             3  4  7  8                               avg [[2.5, 6.5], [10.5, 14.5]]
    #             9 10 13 14
    #            11 12 15 16
    x = np.array([[1, 2, 5, 6], [3, 4, 7, 8], [9, 10, 13, 14], [11, 12, 15, 16]], dtype=np.float32)[None, :, :, None]
    np.testing.assert_array_equal(layers.MaxPooling2D()(x)[0, :, :, 0], [[4, 8], [12, 16]])
    np.testing.assert_array_equal(layers.AveragePooling2D()(x)[0, :, :, 0], [[2.5, 6.5], [10.5, 14.5]])


def test_same_average_pooling_leaves_padding_out_of_the_mean():
    # 3x3 image of 1..9, pool 2, stride 2, 'same': out 2x2, one padding row and column after (Keras).
    # y[0,0] = (1+2+4+5)/4 = 3; y[0,1] = (3+6)/2 = 4.5; y[1,0] = (7+8)/2 = 7.5; y[1,1] = 9/1 = 9
    x = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    y = layers.AveragePooling2D(padding="same")(x)[0, :, :, 0]
    np.testing.assert_array_equal(y, [[3.0, 4.5], [7.5, 9.0]])
    # max pooling pads with −∞: a window of negative numbers keeps its own maximum
    np.testing.assert_array_equal(layers.MaxPooling2D(padding="same")(-x)[0, :, :, 0], [[-1, -3], [-7, -9]])


@pytest.mark.parametrize("pool_size, strides", [(2, None), (3, 1)])
def test_max_pooling_gives_a_tied_window_gradient_to_its_first_maximum_only(pool_size, strides):
    layer = layers.MaxPooling2D(pool_size, strides=strides)
    x = np.zeros((1, 4, 4, 1), dtype=np.float32)  # every window ties
    with backend.recording():
        y = layer(x)
        dx = np.asarray(layer.run_backward(np.ones_like(y)))
    expected = np.zeros((4, 4))
    step = layer.strides[0]
    for row in range(y.shape[1]):
        for col in range(y.shape[2]):
            expected[row * step, col * step] += 1  # the top-left cell of each window (row-major first)
    np.testing.assert_array_equal(dx[0, :, :, 0], expected)
    assert dx.sum() == y.size


def test_max_pooling_routes_the_whole_gradient_to_the_argmax():
    x = np.array([[1, 7], [7, 3]], dtype=np.float32)[None, :, :, None]  # a tie between (0,1) and (1,0)
    layer = layers.MaxPooling2D()
    with backend.recording():
        layer(x)
        dx = np.asarray(layer.run_backward(np.full((1, 1, 1, 1), 5.0, dtype=np.float32)))
    np.testing.assert_array_equal(dx[0, :, :, 0], [[0, 5], [0, 0]])


@pytest.mark.parametrize("cls, reduce", [(layers.GlobalAveragePooling2D, np.mean),
                                         (layers.GlobalMaxPooling2D, np.max)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_values_shapes_and_gradients(float64, cls, reduce, keepdims):
    layer = cls(keepdims=keepdims)
    x = np.random.default_rng(2).normal(size=(3, 5, 4, 2))
    y = np.asarray(layer(x))
    np.testing.assert_allclose(y, reduce(x, axis=(1, 2), keepdims=keepdims), rtol=1e-12)
    assert layer.compute_output_shape((None, 5, 4, 2)) == (None, *y.shape[1:])
    for training in (True, False):
        check_layer(layer, x, training=training)


def test_global_max_pooling_gives_a_tie_to_the_first_cell():
    layer = layers.GlobalMaxPooling2D()
    x = np.array([[0, 2], [2, 1]], dtype=np.float32)[None, :, :, None]
    with backend.recording():
        layer(x)
        dx = np.asarray(layer.run_backward(np.ones((1, 1), dtype=np.float32)))
    np.testing.assert_array_equal(dx[0, :, :, 0], [[0, 1], [0, 0]])


def test_pooling_keeps_nothing_in_inference():
    layer = layers.MaxPooling2D()
    layer(np.ones((1, 4, 4, 2), dtype=np.float32))
    assert layer._kept is None and layer._window is None


@pytest.mark.parametrize("make, x_shape, match", [
    (lambda: layers.MaxPooling2D(3), (1, 2, 5, 1), r"max_pooling2_?d.*window \(3, 3\) is larger than the input "
                                                   r"image \(2, 5\) of inputs of shape \(1, 2, 5, 1\)"),
    (lambda: layers.AveragePooling2D(), (4, 4, 4), r"expected 4-D inputs"),
    (lambda: layers.GlobalAveragePooling2D(), (4, 4), r"expected 4-D inputs.*\(None, 4\)"),
])
def test_bad_inputs_are_refused_naming_the_layer_and_shapes(make, x_shape, match):
    with pytest.raises(ValueError, match=match):
        make()(np.zeros(x_shape, dtype=np.float32))


@pytest.mark.parametrize("make, match", [
    (lambda: layers.MaxPooling2D(0), r"MaxPooling2D: pool_size must be positive"),
    (lambda: layers.AveragePooling2D(2, strides=(0, 1)), r"AveragePooling2D: strides must be positive"),
    (lambda: layers.MaxPooling2D(padding="causal"), r"padding must be one of 'same', 'valid'"),
    (lambda: layers.GlobalMaxPooling2D(data_format="channels_first"), r"GlobalMaxPooling2D: data_format"),
])
def test_bad_constructor_arguments_name_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_strides_default_to_the_pool_size_in_the_config():
    config = layers.MaxPooling2D(3).get_config()
    assert config["pool_size"] == [3, 3] and config["strides"] == [3, 3] and config["padding"] == "valid"
