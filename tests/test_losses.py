"""Tests for trainwell.losses: values vs formulas, reductions, gradient checks, fused paths, stability, errors."""
import json

import numpy as np
import pytest

from gradcheck import assert_close, check_scalar_function, numerical_gradient
from trainwell import losses
from trainwell.losses import (
    REGISTRY, BinaryCrossentropy, CategoricalCrossentropy, Huber, Loss, MeanAbsoluteError, MeanSquaredError,
    SparseCategoricalCrossentropy)

MEMBERS = REGISTRY.members()
REDUCED = ["sum_over_batch_size", "mean", "sum", "mean_with_sample_weight"]
LABELS = np.array([0, 2, 1, 2])
ONE_HOT = np.eye(3)[LABELS]


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def gradient_cases():
    """Per class: (loss, y_true, y_pred) in float64, away from kinks and clip edges."""
    rng = np.random.default_rng(0)
    y_reg, p_reg = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    binary = rng.integers(0, 2, size=(4, 3)).astype(float)
    probabilities = rng.uniform(0.05, 0.95, size=(4, 3))
    unnormalized = rng.uniform(0.1, 1.0, size=(4, 3))  # exercises the renormalization's gradient
    logits = 3 * rng.normal(size=(4, 3))
    soft_labels = rng.uniform(size=(4, 3))  # rows not summing to 1: the gradient is softmax * sum(y) - y
    return {
        MeanSquaredError: [(MeanSquaredError(), y_reg, p_reg)],
        MeanAbsoluteError: [(MeanAbsoluteError(), y_reg, p_reg)],
        Huber: [(Huber(delta=0.7), y_reg, p_reg)],  # errors on both sides of delta
        BinaryCrossentropy: [(BinaryCrossentropy(), binary, probabilities),
                             (BinaryCrossentropy(label_smoothing=0.2), binary, probabilities),
                             (BinaryCrossentropy(from_logits=True, label_smoothing=0.1), binary, logits)],
        CategoricalCrossentropy: [(CategoricalCrossentropy(), ONE_HOT, unnormalized),
                                  (CategoricalCrossentropy(label_smoothing=0.1), ONE_HOT, unnormalized),
                                  (CategoricalCrossentropy(from_logits=True, label_smoothing=0.1), ONE_HOT, logits),
                                  (CategoricalCrossentropy(from_logits=True), soft_labels, logits),
                                  # classes on axis 0; C-contiguous, since gradcheck perturbs a flat view
                                  (CategoricalCrossentropy(axis=0), ONE_HOT.T.copy(), unnormalized.T.copy())],
        SparseCategoricalCrossentropy: [(SparseCategoricalCrossentropy(), LABELS, unnormalized),
                                        (SparseCategoricalCrossentropy(from_logits=True), LABELS, logits),
                                        (SparseCategoricalCrossentropy(ignore_class=2), LABELS, unnormalized)],
    }


CASES = gradient_cases()


# ---- values against formulas -----------------------------------------------------------------

@pytest.mark.parametrize("loss, expected", [
    # y = [[1, 2], [3, 4]], y_pred = [[1.5, 2], [2, 5.5]]: errors e = y_pred - y = [[0.5, 0], [-1, 1.5]]
    (MeanSquaredError(reduction=None), [(0.25 + 0) / 2, (1 + 2.25) / 2]),
    (MeanAbsoluteError(reduction=None), [(0.5 + 0) / 2, (1 + 1.5) / 2]),
    # delta = 1: |e| <= 1 -> e^2/2 (0.125, 0, 0.5); |e| = 1.5 -> 1.5 - 0.5 = 1.0
    (Huber(reduction=None), [(0.125 + 0) / 2, (0.5 + 1.0) / 2]),
])
def test_regression_losses_match_hand_worked_per_sample_values(loss, expected):
    values = loss([[1.0, 2.0], [3.0, 4.0]], [[1.5, 2.0], [2.0, 5.5]])
    np.testing.assert_allclose(values, expected, rtol=1e-12)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_binary_crossentropy_matches_formula_with_label_smoothing(smoothing):
    y, p = CASES[BinaryCrossentropy][0][1:]
    y_s = y * (1 - smoothing) + smoothing / 2
    expected = np.mean(-(y_s * np.log(p) + (1 - y_s) * np.log(1 - p)), axis=-1).mean()
    assert BinaryCrossentropy(label_smoothing=smoothing)(y, p) == pytest.approx(expected, rel=1e-12)
    z = np.log(p / (1 - p))  # the same probabilities as logits
    assert BinaryCrossentropy(from_logits=True, label_smoothing=smoothing)(y, z) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_categorical_crossentropy_renormalizes_and_smooths(smoothing):
    p = CASES[CategoricalCrossentropy][0][2]
    y_s = ONE_HOT * (1 - smoothing) + smoothing / 3
    expected = -(y_s * np.log(p / p.sum(axis=-1, keepdims=True))).sum(axis=-1).mean()
    assert CategoricalCrossentropy(label_smoothing=smoothing)(ONE_HOT, p) == pytest.approx(expected, rel=1e-12)
    assert CategoricalCrossentropy(from_logits=True, label_smoothing=smoothing)(ONE_HOT, np.log(p)) == \
        pytest.approx(expected, rel=1e-12)


def test_sparse_categorical_crossentropy_is_minus_log_of_the_label_probability():
    p = CASES[CategoricalCrossentropy][0][2]
    q = p / p.sum(axis=-1, keepdims=True)
    expected = -np.log(q[np.arange(4), LABELS])
    np.testing.assert_allclose(SparseCategoricalCrossentropy(reduction="none")(LABELS, p), expected, rtol=1e-12)
    np.testing.assert_allclose(SparseCategoricalCrossentropy(reduction="none")(LABELS[:, None], p), expected)
    assert SparseCategoricalCrossentropy(from_logits=True)(LABELS, np.log(p)) == pytest.approx(expected.mean())


def test_ignore_class_gives_zero_and_leaves_the_mean():
    p = CASES[CategoricalCrossentropy][0][2]
    q = p / p.sum(axis=-1, keepdims=True)
    labels = np.array([0, -1, 1, -1])
    valid = -np.log([q[0, 0], q[2, 1]])
    loss = SparseCategoricalCrossentropy(ignore_class=-1)
    assert loss(labels, p) == pytest.approx(valid.sum() / 2, rel=1e-12)  # 2 valid samples, not 4
    np.testing.assert_allclose(SparseCategoricalCrossentropy(ignore_class=-1, reduction="none")(labels, p),
                               [valid[0], 0, valid[1], 0], rtol=1e-12)


@pytest.mark.parametrize("reduction, expected", [
    # per-sample MSE [0.125, 1.625] (above), weights [2, 0.5] -> weighted [0.25, 0.8125], sum 1.0625
    ("sum_over_batch_size", 1.0625 / 2), ("mean", 1.0625 / 2), (None, [0.25, 0.8125]), ("none", [0.25, 0.8125]),
    ("sum", 1.0625), ("mean_with_sample_weight", 1.0625 / 2.5),
])
def test_reductions_with_sample_weights(reduction, expected):
    loss = MeanSquaredError(reduction=reduction)
    value = loss([[1.0, 2.0], [3.0, 4.0]], [[1.5, 2.0], [2.0, 5.5]], sample_weight=np.array([2.0, 0.5]))
    np.testing.assert_allclose(value, expected, rtol=1e-12)


def test_zero_sample_weight_still_counts_in_the_batch_size():
    value = MeanSquaredError()([[1.0, 2.0], [3.0, 4.0]], [[1.5, 2.0], [2.0, 5.5]], sample_weight=[1.0, 0.0])
    assert value == pytest.approx(0.125 / 2)


@pytest.mark.parametrize("y_shape, p_shape", [((3,), (3, 1)), ((3, 1), (3,)), ((3, 1), (3, 1))])
def test_rank_alignment_never_broadcasts_to_n_by_n(y_shape, p_shape):
    # aligned errors [0, 0, 1] -> 1/3; an (N, N) broadcast would give 7/3
    y, p = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0])
    loss = MeanSquaredError()
    assert loss(y.reshape(y_shape), p.reshape(p_shape)) == pytest.approx(1 / 3)
    assert loss.gradient(y.reshape(y_shape), p.reshape(p_shape)).shape == p_shape


def test_sample_weight_per_sample_applies_to_every_timestep():
    y, p = np.zeros((2, 3, 2)), np.ones((2, 3, 2))  # every per-sample value is 1, shape (2, 3)
    assert MeanSquaredError(reduction="sum")(y, p, sample_weight=[1.0, 3.0]) == pytest.approx(3 * 1 + 3 * 3)


def test_keras_documentation_examples():
    # numbers from the Keras 3 docstrings (keras/src/losses/losses.py), printed to 3 decimals there
    y, p = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]
    assert BinaryCrossentropy()(y, p) == pytest.approx(0.815, abs=1e-3)
    assert Huber()([[0, 1], [0, 0]], p) == pytest.approx(0.155, abs=1e-3)
    logits = [[-18.6, 0.51], [2.94, -12.8]]
    assert BinaryCrossentropy(from_logits=True)(y, logits) == pytest.approx(0.865, abs=1e-3)
    assert BinaryCrossentropy(from_logits=True)(y, logits, sample_weight=[0.8, 0.2]) == pytest.approx(0.243, abs=1e-3)
    one_hot, probabilities = [[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
    assert CategoricalCrossentropy()(one_hot, probabilities) == pytest.approx(1.177, abs=1e-3)
    assert CategoricalCrossentropy()(one_hot, probabilities, sample_weight=[0.3, 0.7]) == pytest.approx(0.814, abs=1e-3)
    assert CategoricalCrossentropy(reduction="sum")(one_hot, probabilities) == pytest.approx(2.354, abs=1e-3)
    np.testing.assert_allclose(CategoricalCrossentropy(reduction=None)(one_hot, probabilities), [0.0513, 2.303],
                               atol=1e-3)
    assert SparseCategoricalCrossentropy()([1, 2], probabilities) == pytest.approx(1.177, abs=1e-3)


# ---- gradients -------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", MEMBERS, ids=lambda cls: cls.__name__)
def test_call_gradient_passes_gradcheck(cls):
    for loss, y_true, y_pred in CASES[cls]:  # a KeyError here: a new loss without gradient cases
        check_scalar_function(lambda x: np.sum(loss.call(y_true, x)), lambda x: loss.call_gradient(y_true, x),
                              y_pred, f"{cls.__name__} {loss.get_config()}")


@pytest.mark.parametrize("reduction", REDUCED)
@pytest.mark.parametrize("cls", MEMBERS, ids=lambda cls: cls.__name__)
def test_value_and_gradient_passes_gradcheck_for_each_reduction(cls, reduction):
    weights = np.array([0.5, 2.0, 0.0, 1.5])
    for loss, y_true, y_pred in CASES[cls]:
        loss = cls.from_config({**loss.get_config(), "reduction": reduction})
        w = weights[:y_pred.shape[0]] if loss.axis == -1 else np.ones(y_pred.shape[1])
        check_scalar_function(lambda x: loss.value(y_true, x, w), lambda x: loss.value_and_gradient(y_true, x, w)[1],
                              y_pred, f"{loss.get_config()}")


def test_gradient_for_reduction_none_is_the_gradient_of_the_weighted_sum():
    _, y_true, y_pred = CASES[CategoricalCrossentropy][1]
    loss = CategoricalCrossentropy(label_smoothing=0.1, reduction="none")
    w = np.array([0.5, 2.0, 1.0, 1.5])
    check_scalar_function(lambda x: np.sum(loss.value(y_true, x, w)), lambda x: loss.gradient(y_true, x, w),
                          y_pred, "none")


FUSED = [(CategoricalCrossentropy(), ONE_HOT, "softmax"),
         (CategoricalCrossentropy(label_smoothing=0.1, reduction="sum"), ONE_HOT, "softmax"),
         (SparseCategoricalCrossentropy(), LABELS, "softmax"),
         (SparseCategoricalCrossentropy(ignore_class=1, reduction="mean_with_sample_weight"), LABELS, "softmax"),
         (BinaryCrossentropy(), ONE_HOT, "sigmoid"),
         (BinaryCrossentropy(label_smoothing=0.2), ONE_HOT, "sigmoid")]


FUSED_IDS = ["cce", "cce-smoothed-sum", "sparse", "sparse-ignore-weighted-mean", "bce", "bce-smoothed"]


@pytest.mark.parametrize("loss, y_true, activation", FUSED, ids=FUSED_IDS)
def test_fused_gradient_is_the_chain_rule_through_the_activation(loss, y_true, activation):
    z = np.random.default_rng(1).normal(size=(4, 3))
    forward = softmax if activation == "softmax" else sigmoid
    p = forward(z)
    w = np.array([0.5, 2.0, 1.0, 1.5])
    grad_p = loss.gradient(y_true, p, w)  # gradient w.r.t. the probabilities (gradchecked above)
    if activation == "softmax":  # J = diag(p) - p p^T per row, symmetric
        chain = p * (grad_p - np.sum(grad_p * p, axis=-1, keepdims=True))
    else:  # sigmoid'(z) = p (1 - p)
        chain = grad_p * p * (1 - p)
    value, fused = loss.fused_value_and_gradient(y_true, p, w)
    assert loss.fuses_with == activation
    assert value == pytest.approx(loss.value(y_true, p, w), rel=1e-12)
    assert_close(fused, chain, "fused vs chain rule")
    assert_close(fused, numerical_gradient(lambda: loss.value(y_true, forward(z), w), z), "fused vs numeric")


def test_fused_path_keeps_learning_where_the_clip_stops_the_gradient():
    y, p = np.array([[1.0]]), np.array([[0.0]])  # a saturated, wrong sigmoid output
    value, grad = BinaryCrossentropy().fused_value_and_gradient(y, p)
    assert value == pytest.approx(-np.log(1e-7))  # the clipped value
    np.testing.assert_allclose(grad, [[-1.0]])  # p - y, where the clipped path gives 0
    np.testing.assert_allclose(BinaryCrossentropy().gradient(y, p), [[0.0]])


def test_only_probability_crossentropies_fuse():
    assert {cls.__name__: cls.fuses_with for cls in MEMBERS} == {
        "BinaryCrossentropy": "sigmoid", "CategoricalCrossentropy": "softmax", "Huber": None,
        "MeanAbsoluteError": None, "MeanSquaredError": None, "SparseCategoricalCrossentropy": "softmax"}
    assert BinaryCrossentropy(from_logits=True).fuses_with is None
    with pytest.raises(ValueError, match="MeanSquaredError: fuses_with must be 'sigmoid' or 'softmax'"):
        MeanSquaredError().fused_value_and_gradient([[1.0]], [[0.5]])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logits_of_plus_minus_1000_give_exact_finite_values_and_gradients(dtype):
    z = np.array([[1000.0, 1000.0, -1000.0, -1000.0]], dtype=dtype)
    # softplus(z) - y z per element: [0, 1000, 1000, 0], mean over the last axis 500
    value, grad = BinaryCrossentropy(from_logits=True).value_and_gradient([[1, 0, 1, 0]], z)
    assert value == 500.0
    np.testing.assert_array_equal(grad, [[0.0, 0.25, -0.25, 0.0]])  # (sigmoid(z) - y) / 4
    for loss, y in ((CategoricalCrossentropy(from_logits=True), [[0, 1]]),
                    (SparseCategoricalCrossentropy(from_logits=True), [1])):
        value, grad = loss.value_and_gradient(y, np.array([[1000.0, -1000.0]], dtype=dtype))
        assert value == 2000.0  # logsumexp = 1000, minus z[1] = -1000
        np.testing.assert_array_equal(grad, [[1.0, -1.0]])
        assert grad.dtype == np.dtype(dtype)  # computed in y_pred's dtype, not promoted


# ---- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("loss, y_true, y_pred, match", [
    (MeanSquaredError(), np.zeros((4, 2)), np.zeros((4, 3)), r"MeanSquaredError: y_true must be an array of y_pred's "
                                                             r"shape \(4, 3\); got y_true=an array of shape \(4, 2\)"),
    (MeanAbsoluteError(), [[np.nan]], [[0.5]], r"MeanAbsoluteError: y_true must be finite \(no NaN or Inf\)"),
    (SparseCategoricalCrossentropy(), [0.5, 1.0], np.full((2, 3), 1 / 3), "must be integer class labels"),
    (SparseCategoricalCrossentropy(), [0, 3], np.full((2, 3), 1 / 3),
     r"class labels in \[0, 3\) .* Found labels from 0 to 3"),
    (SparseCategoricalCrossentropy(), np.eye(3), np.full((3, 3), 1 / 3), "use loss='categorical_crossentropy'"),
    (CategoricalCrossentropy(), [0, 2, 1], np.full((3, 3), 1 / 3), "use loss='sparse_categorical_crossentropy'"),
    (CategoricalCrossentropy(), [[1.0], [0.0]], [[0.3], [0.6]], "at least 2 classes.*binary_crossentropy"),
    (BinaryCrossentropy(), [[2.0]], [[0.5]], r"BinaryCrossentropy: y_true must be in \[0, 1\]"),
    (CategoricalCrossentropy(axis=2), np.eye(3), np.eye(3), r"axis must be in \[-2, 2\)"),
])
def test_bad_labels_are_refused_with_a_message_naming_the_loss(loss, y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        loss.value_and_gradient(y_true, y_pred)


def test_bad_constructor_arguments_and_sample_weights_are_refused():
    with pytest.raises(ValueError, match=r"label_smoothing must be a number in \[0, 1\]; got label_smoothing=1.5"):
        CategoricalCrossentropy(label_smoothing=1.5)
    with pytest.raises(ValueError, match="reduction must be one of 'mean', .* or None; got reduction='avg'"):
        BinaryCrossentropy(reduction="avg")
    with pytest.raises(TypeError, match="from_logits must be True or False"):
        BinaryCrossentropy(from_logits="yes")
    with pytest.raises(ValueError, match="delta must be a number > 0"):
        Huber(delta=0.0)
    with pytest.raises(ValueError, match=r"sample_weight must be an array that broadcasts to .* \(4,\)"):
        MeanSquaredError()(np.zeros((4, 2)), np.zeros((4, 2)), sample_weight=np.ones(3))


# ---- names and configs -----------------------------------------------------------------------

@pytest.mark.parametrize("name, cls", [
    ("mse", MeanSquaredError), ("MSE", MeanSquaredError), ("mean_squared_error", MeanSquaredError),
    ("mae", MeanAbsoluteError), ("MAE", MeanAbsoluteError), ("mean_absolute_error", MeanAbsoluteError),
    ("huber", Huber), ("bce", BinaryCrossentropy), ("BCE", BinaryCrossentropy),
    ("binary_crossentropy", BinaryCrossentropy), ("categorical_crossentropy", CategoricalCrossentropy),
    ("sparse_categorical_crossentropy", SparseCategoricalCrossentropy), ("Huber", Huber),
])
def test_get_builds_a_new_default_instance_from_a_name(name, cls):
    loss = losses.get(name)
    assert type(loss) is cls and loss.reduction == "sum_over_batch_size" and loss is not losses.get(name)


def test_get_passes_instances_through_and_refuses_plain_functions_and_unknown_names():
    loss = Huber(delta=2.0)
    assert losses.get(loss) is loss
    assert type(losses.get(Huber)) is Huber
    with pytest.raises(TypeError, match="no automatic differentiation.*subclass trainwell.losses.Loss"):
        losses.get(lambda y_true, y_pred: (y_true - y_pred) ** 2)
    with pytest.raises(ValueError, match="unknown loss 'msq'. Valid names: .*categorical_crossentropy.*mse"):
        losses.get("msq")


@pytest.mark.parametrize("cls", MEMBERS, ids=lambda cls: cls.__name__)
def test_config_round_trips_through_json(cls):
    for loss, _, _ in CASES[cls]:
        config = json.loads(json.dumps(losses.serialize(loss)))
        rebuilt = losses.get(config)
        assert type(rebuilt) is cls and rebuilt.get_config() == loss.get_config()


def test_default_names_follow_keras():
    assert [cls().name for cls in MEMBERS] == [
        "binary_crossentropy", "categorical_crossentropy", "huber_loss", "mean_absolute_error",
        "mean_squared_error", "sparse_categorical_crossentropy"]


def test_a_user_subclass_with_call_and_call_gradient_gets_reductions_and_weights():
    class Quartic(Loss):
        def call(self, y_true, y_pred):
            return ((y_pred - y_true) ** 4).sum(axis=-1)

        def call_gradient(self, y_true, y_pred):
            return 4 * (y_pred - y_true) ** 3

    loss = Quartic()
    assert loss.name == "quartic"
    # per-sample [1 + 16, 0] weighted by [2, 1]: 34 / 2 samples
    assert loss([[0.0, 0.0], [1.0, 1.0]], [[1.0, 2.0], [1.0, 1.0]], sample_weight=[2.0, 1.0]) == pytest.approx(17.0)
    check_scalar_function(lambda x: loss.value(ONE_HOT, x), lambda x: loss.gradient(ONE_HOT, x),
                          CASES[MeanSquaredError][0][2], "user subclass")
