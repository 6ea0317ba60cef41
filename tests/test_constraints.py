"""Constraints: each projection against its formula, axes, names, and MaxNorm holding after every step of fit."""
import json

import numpy as np
import pytest

import trainwell as tw
from trainwell import constraints, layers

EPSILON = 1e-7
W = np.random.default_rng(0).normal(size=(4, 3)) * np.array([0.1, 1.0, 3.0])  # column norms ~0.2, ~2, ~6


def column_norms(w):
    return np.linalg.norm(w, axis=0, keepdims=True)


def test_max_norm_caps_each_column_with_kerass_epsilon():
    norms = column_norms(W)
    expected = W * np.minimum(norms, 1.5) / (EPSILON + norms)
    np.testing.assert_allclose(constraints.MaxNorm(1.5)(W), expected, rtol=1e-12)
    assert np.all(column_norms(constraints.MaxNorm(1.5)(W)) <= 1.5)
    # the small column shrinks too, by ‖w‖/(ε + ‖w‖), not by nothing
    assert np.all(np.abs(constraints.MaxNorm(1.5)(W)[:, 0]) < np.abs(W[:, 0]))


def test_max_norm_axis_list_bounds_each_convolution_filter():
    kernel = np.random.default_rng(1).normal(size=(3, 3, 2, 5))
    projected = constraints.max_norm(1.0, axis=[0, 1, 2])(kernel)
    filter_norms = np.sqrt((kernel ** 2).reshape(-1, 5).sum(axis=0))
    expected = kernel * (np.minimum(filter_norms, 1.0) / (EPSILON + filter_norms))
    np.testing.assert_allclose(projected, expected, rtol=1e-12)
    np.testing.assert_allclose(np.sqrt((projected ** 2).reshape(-1, 5).sum(axis=0)), 1.0, rtol=1e-6)


def test_non_neg_unit_norm_and_min_max_norm_follow_their_formulas():
    np.testing.assert_array_equal(constraints.NonNeg()(W), np.where(W > 0, W, 0.0))
    np.testing.assert_allclose(constraints.UnitNorm()(W), W / (EPSILON + column_norms(W)), rtol=1e-12)
    rows = np.linalg.norm(W, axis=1, keepdims=True)
    np.testing.assert_allclose(constraints.unit_norm(axis=1)(W), W / (EPSILON + rows), rtol=1e-12)
    norms = column_norms(W)
    desired = 0.25 * np.clip(norms, 0.5, 2.5) + 0.75 * norms  # rate 0.25: a quarter of the way
    np.testing.assert_allclose(constraints.MinMaxNorm(0.5, 2.5, rate=0.25)(W), W * desired / (EPSILON + norms),
                               rtol=1e-12)
    np.testing.assert_allclose(column_norms(constraints.min_max_norm(0.5, 2.5)(W)), np.clip(norms, 0.5, 2.5),
                               rtol=1e-6)


def test_defaults_function_spellings_and_names_match_keras():
    assert constraints.max_norm is constraints.MaxNorm
    assert constraints.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert constraints.MinMaxNorm().get_config() == {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}
    assert constraints.UnitNorm().get_config() == {"axis": 0}
    for name, cls in [("max_norm", constraints.MaxNorm), ("non_neg", constraints.NonNeg),
                      ("unit_norm", constraints.UnitNorm), ("min_max_norm", constraints.MinMaxNorm),
                      ("MaxNorm", constraints.MaxNorm)]:
        assert type(constraints.get(name)) is cls
    with pytest.raises(ValueError, match="unknown constraint 'maxnorm'. Valid names: MaxNorm, MinMaxNorm"):
        constraints.get("maxnorm")


def test_bad_constraint_arguments_are_refused():
    with pytest.raises(ValueError, match="MinMaxNorm: max_value must be a number >= 2.0; got max_value=1.0"):
        constraints.MinMaxNorm(min_value=2.0, max_value=1.0)
    with pytest.raises(TypeError, match="MaxNorm: axis must be an int or a non-empty list of ints"):
        constraints.MaxNorm(axis=True)
    with pytest.raises(ValueError, match="MaxNorm: max_value must be a number >= 0"):
        constraints.MaxNorm(-1.0)


def test_a_plain_function_constrains_but_cannot_be_written_to_a_config():
    layer = layers.Dense(2, bias_constraint=lambda b: np.clip(b, 0, 1))
    layer(np.ones((1, 3)))
    np.testing.assert_array_equal(layer.bias.constraint(np.array([-2.0, 3.0])), [0.0, 1.0])
    with pytest.raises(TypeError, match="Subclass trainwell.constraints.Constraint"):
        layer.get_config()
    config = json.loads(json.dumps(layers.Dense(2, kernel_constraint=constraints.max_norm(3.0, axis=[0])).get_config()))
    assert config["kernel_constraint"] == {"class_name": "MaxNorm", "config": {"max_value": 3.0, "axis": [0]}}


class NormWatch(tw.callbacks.Callback):
    """Records the largest column norm of a kernel after every training batch."""

    def __init__(self, layer):
        super().__init__()
        self.layer, self.largest = layer, []

    def on_train_batch_end(self, batch, logs=None):
        self.largest.append(float(column_norms(self.layer.get_weights()[0]).max()))


def test_max_norm_holds_after_every_step_of_fit_and_binds():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(64, 6)).astype("float32"), rng.integers(0, 3, 64)
    hidden = layers.Dense(8, activation="relu", kernel_constraint=constraints.max_norm(0.5),
                          bias_constraint=constraints.non_neg())
    model = tw.Sequential([layers.Input(shape=(6,)), hidden, layers.Dense(3, activation="softmax")])
    model.compile(optimizer=tw.optimizers.SGD(learning_rate=0.5), loss="sparse_categorical_crossentropy")
    assert column_norms(hidden.get_weights()[0]).max() > 0.5  # not applied at initialization, as Keras
    watch = NormWatch(hidden)
    model.fit(x, y, epochs=3, batch_size=8, callbacks=[watch], verbose=0)
    assert len(watch.largest) == 24
    assert max(watch.largest) <= 0.5 * (1 + 1e-6)
    assert min(watch.largest) > 0.49  # the cap binds: the step keeps pushing norms past it
    assert np.all(hidden.get_weights()[1] >= 0)
