"""Tests for trainwell.metrics: streaming sums, accuracy resolution, top-k, RMSE, AUC, names and configs."""
import json
import math

import numpy as np
import pytest

from trainwell import metrics
from trainwell.metrics import (
    AUC, REGISTRY, BinaryAccuracy, CategoricalAccuracy, Mean, MeanAbsoluteError, MeanMetricWrapper,
    MeanSquaredError, RootMeanSquaredError, SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy)

MEMBERS = REGISTRY.members()


def batches():
    """Per class: y_true and y_pred for 7 samples (split 3 + 4 below) and sample weights."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, size=7)
    scores = rng.uniform(size=(7, 4))
    binary = rng.integers(0, 2, size=(7, 1)).astype(float)
    regression = rng.normal(size=(7, 2)), rng.normal(size=(7, 2))
    return {
        Mean: (None, rng.normal(size=7)),
        BinaryAccuracy: (binary, rng.uniform(size=(7, 1))),
        CategoricalAccuracy: (np.eye(4)[labels], scores),
        SparseCategoricalAccuracy: (labels, scores),
        TopKCategoricalAccuracy: (np.eye(4)[labels], scores),
        SparseTopKCategoricalAccuracy: (labels[:, None], scores),
        MeanSquaredError: regression, MeanAbsoluteError: regression, RootMeanSquaredError: regression,
        AUC: (binary, rng.uniform(size=(7, 1))),
    }, rng.uniform(0.5, 2.0, size=7)


BATCHES, WEIGHTS = batches()


def update(metric, y_true, y_pred, sample_weight=None):
    if isinstance(metric, Mean) and not isinstance(metric, MeanMetricWrapper):
        metric.update_state(y_pred, sample_weight)  # Mean takes the values alone
    else:
        metric.update_state(y_true, y_pred, sample_weight)


def split(array, index):
    return (None, None) if array is None else (array[:index], array[index:])


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("cls", MEMBERS, ids=lambda cls: cls.__name__)
def test_two_batches_give_the_one_batch_result(cls, weighted):
    y_true, y_pred = BATCHES[cls]  # a KeyError here: a new metric without a streaming case
    weights = WEIGHTS if weighted else None
    whole = cls(**({"k": 2} if "TopK" in cls.__name__ else {}))
    update(whole, y_true, y_pred, weights)
    streamed = cls.from_config(whole.get_config())
    for part in (slice(0, 3), slice(3, 7)):  # unequal batches: a mean of batch means would differ
        update(streamed, None if y_true is None else y_true[part], y_pred[part],
               None if weights is None else weights[part])
    assert streamed.result() == pytest.approx(whole.result(), rel=1e-12, abs=1e-15)


def test_mean_weights_each_value():
    mean = Mean()
    mean.update_state([1.0, 3.0])           # total 4, count 2
    mean.update_state(5.0, sample_weight=2)  # the loop's loss tracker: a batch loss weighted by batch size
    assert mean.result() == pytest.approx((4 + 10) / 4)


def test_per_sample_metrics_average_over_all_samples_not_batches():
    mae = MeanAbsoluteError()
    mae.update_state([[0.0]], [[1.0]])                  # one sample, error 1
    mae.update_state([[0.0], [0.0], [0.0]], np.zeros((3, 1)))  # three samples, error 0
    assert mae.result() == pytest.approx(1 / 4)  # a mean of batch means would say 1/2
    accuracy = BinaryAccuracy()  # 1-D inputs: one value per element, not one per batch
    accuracy.update_state([1.0, 0.0, 1.0], [0.9, 0.2, 0.1])  # 2 of 3 right
    accuracy.update_state([1.0], [0.9])                      # 1 of 1 right
    assert accuracy.result() == pytest.approx(3 / 4)


def test_reset_state_forgets_everything():
    for cls in MEMBERS:
        metric = cls()
        y_true, y_pred = BATCHES[cls]
        update(metric, y_true, y_pred)
        metric.reset_state()
        assert metric.result() == 0.0
        update(metric, None if y_true is None else y_true[:3], y_pred[:3])
        fresh = cls()
        update(fresh, None if y_true is None else y_true[:3], y_pred[:3])
        assert metric.result() == fresh.result()


# ---- accuracy family -------------------------------------------------------------------------

def test_binary_accuracy_threshold_is_strict():
    accuracy = BinaryAccuracy()
    # predictions 0.5 -> 0, 0.51 -> 1, 0.2 -> 0, 0.9 -> 1 against labels 0, 1, 1, 1: three right
    accuracy.update_state([[0.0], [1.0], [1.0], [1.0]], [[0.5], [0.51], [0.2], [0.9]])
    assert accuracy.result() == pytest.approx(0.75)
    assert BinaryAccuracy(threshold=0.1)([[1.0]], [[0.2]]) == 1.0


def test_categorical_and_sparse_accuracy_compare_argmaxes():
    scores = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.3, 0.4, 0.3]])
    labels = np.array([1, 2, 2, 0])  # argmax(scores) = [1, 0, 2, 1]: samples 0 and 2 right
    assert CategoricalAccuracy()(np.eye(3)[labels], scores) == pytest.approx(0.5)
    assert SparseCategoricalAccuracy()(labels, scores) == pytest.approx(0.5)
    assert SparseCategoricalAccuracy()(labels[:, None].astype(float), scores) == pytest.approx(0.5)


@pytest.mark.parametrize("name", ["accuracy", "acc", "Accuracy", "ACC"])
@pytest.mark.parametrize("y_true_shape, y_pred_shape, cls", [
    ((32, 1), (32, 1), BinaryAccuracy),        # one sigmoid output
    ((32,), (32, 1), BinaryAccuracy),
    ((32,), (32, 10), SparseCategoricalAccuracy),   # lower rank than y_pred
    ((32, 1), (32, 10), SparseCategoricalAccuracy),  # trailing dimension 1
    ((32, 10), (32, 10), CategoricalAccuracy),
])
def test_accuracy_is_resolved_from_shapes_and_keeps_the_typed_name(name, y_true_shape, y_pred_shape, cls):
    metric = metrics.get(name, y_true_shape=y_true_shape, y_pred_shape=y_pred_shape)
    assert type(metric) is cls and metric.name == name and metric.direction == "up"


def test_accuracy_without_shapes_asks_for_them():
    with pytest.raises(ValueError, match="y_true_shape must be the label/output shape to resolve 'acc'"):
        metrics.get("acc")


def test_top_k_counts_the_true_class_among_the_k_largest_scores():
    scores = np.array([[0.5, 0.3, 0.15, 0.05],
                       [0.1, 0.2, 0.3, 0.4],
                       [0.25, 0.25, 0.25, 0.25]])
    labels = np.array([1, 0, 3])
    # k=2: sample 0 label score 0.3 is 2nd (in); sample 1 label score 0.1 is 4th (out);
    # sample 2 ties everything: fewer than 2 scores beat it (in)
    assert SparseTopKCategoricalAccuracy(k=2)(labels, scores) == pytest.approx(2 / 3)
    assert TopKCategoricalAccuracy(k=2)(np.eye(4)[labels], scores) == pytest.approx(2 / 3)
    assert SparseTopKCategoricalAccuracy(k=1)(labels, scores) == pytest.approx(1 / 3)
    assert SparseTopKCategoricalAccuracy()(labels, scores) == 1.0  # k=5 >= 4 classes


# ---- regression and AUC ----------------------------------------------------------------------

def test_rmse_is_the_root_of_the_mse_over_all_samples():
    y_true, y_pred = BATCHES[RootMeanSquaredError]
    rmse = RootMeanSquaredError()
    rmse.update_state(y_true[:2], y_pred[:2])
    rmse.update_state(y_true[2:], y_pred[2:])
    assert rmse.result() == pytest.approx(math.sqrt(np.mean((y_true - y_pred) ** 2)), rel=1e-12)
    assert MeanSquaredError()(y_true, y_pred) == pytest.approx(np.mean((y_true - y_pred) ** 2), rel=1e-12)


def keras_thresholds(n):
    return np.array([-1e-7] + [i / (n - 1) for i in range(1, n - 1)] + [1 + 1e-7])


def exact_auc(y, p):
    """Probability that a random positive outscores a random negative (ties count half)."""
    positives, negatives = p[y == 1], p[y == 0]
    diff = positives[:, None] - negatives[None, :]
    return (np.sum(diff > 0) + 0.5 * np.sum(diff == 0)) / diff.size


def test_auc_is_within_its_tie_bound_of_the_exact_rank_auc():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, size=500)
    p = np.clip(0.35 * y + 0.65 * rng.uniform(size=500), 0, 1)
    auc = AUC()
    auc.update_state(y[:200], p[:200])
    auc.update_state(y[200:], p[200:])
    # Only a (positive, negative) pair between the same two thresholds can be scored wrongly,
    # by half a pair (it counts as a tie), so the gap is at most half their share.
    bucket = np.sum(p[:, None] > keras_thresholds(200)[None, :], axis=1)
    same = np.sum(bucket[y == 1][:, None] == bucket[y == 0][None, :]) / (np.sum(y == 1) * np.sum(y == 0))
    assert 0 < same < 0.02
    assert abs(auc.result() - exact_auc(y, p)) <= 0.5 * same + 1e-12


def test_auc_equals_the_exact_auc_when_no_pair_shares_a_bucket():
    y = np.array([0, 1, 0, 1, 1, 0])
    p = np.array([0.10, 0.90, 0.55, 0.40, 0.70, 0.20])  # pos > neg in 8 of 9 pairs (0.40 < 0.55)
    assert AUC()(y, p) == pytest.approx(8 / 9, abs=1e-12)
    assert AUC()([0, 1], [0.2, 0.8]) == pytest.approx(1.0)
    assert AUC()([1, 1], [0.2, 0.8]) == 0.0  # no negatives: no curve


def test_auc_counts_a_prediction_as_positive_only_strictly_above_a_threshold():
    # thresholds -1e-7, 0.5, 1 + 1e-7. Positive 0.5 is not above 0.5: (FPR, TPR) points
    # (1, 1), (0, 0), (0, 0) -> area 1 * (1 + 0) / 2 = 0.5 (it would be 0.75 with >=)
    assert AUC(num_thresholds=3)([1, 0, 0], [0.5, 0.5, 0.2]) == pytest.approx(0.5)
    # above 0.5: one positive (0.9) and one negative (0.8): points (1, 1), (0.5, 0.5), (0, 0)
    # -> 0.5 * (1 + 0.5) / 2 + 0.5 * (0.5 + 0) / 2 = 0.5
    assert AUC(num_thresholds=3)([1, 0, 1, 0], [0.9, 0.8, 0.3, 0.2]) == pytest.approx(0.5)


def test_auc_sample_weights_count_samples_as_repeats():
    y, p = np.array([0, 1, 0, 1]), np.array([0.3, 0.6, 0.7, 0.9])
    weighted = AUC()(y, p, sample_weight=[1, 2, 1, 1])
    repeated = exact_auc(np.array([0, 1, 1, 0, 1]), np.array([0.3, 0.6, 0.6, 0.7, 0.9]))
    assert weighted == pytest.approx(repeated, abs=1e-12)  # 4 of 6 pairs: 4/6


# ---- names, configs and errors ---------------------------------------------------------------

@pytest.mark.parametrize("name, cls", [
    ("binary_accuracy", BinaryAccuracy), ("categorical_accuracy", CategoricalAccuracy),
    ("sparse_categorical_accuracy", SparseCategoricalAccuracy), ("top_k_categorical_accuracy", TopKCategoricalAccuracy),
    ("sparse_top_k_categorical_accuracy", SparseTopKCategoricalAccuracy), ("mse", MeanSquaredError),
    ("MSE", MeanSquaredError), ("mae", MeanAbsoluteError), ("mean_squared_error", MeanSquaredError),
    ("mean_absolute_error", MeanAbsoluteError), ("root_mean_squared_error", RootMeanSquaredError),
    ("auc", AUC), ("AUC", AUC), ("RootMeanSquaredError", RootMeanSquaredError),
])
def test_get_builds_a_new_metric_named_as_typed(name, cls):
    metric = metrics.get(name)
    assert type(metric) is cls and metric.name == name and metric is not metrics.get(name)


def test_default_names_and_directions_follow_keras():
    assert {cls.__name__: (cls().name, cls.direction) for cls in MEMBERS} == {
        "AUC": ("auc", "up"), "BinaryAccuracy": ("binary_accuracy", "up"),
        "CategoricalAccuracy": ("categorical_accuracy", "up"), "Mean": ("mean", "down"),
        "MeanAbsoluteError": ("mean_absolute_error", "down"), "MeanSquaredError": ("mean_squared_error", "down"),
        "RootMeanSquaredError": ("root_mean_squared_error", "down"),
        "SparseCategoricalAccuracy": ("sparse_categorical_accuracy", "up"),
        "SparseTopKCategoricalAccuracy": ("sparse_top_k_categorical_accuracy", "up"),
        "TopKCategoricalAccuracy": ("top_k_categorical_accuracy", "up")}


def test_get_passes_instances_through_wraps_functions_and_refuses_unknown_names():
    metric = AUC(num_thresholds=50)
    assert metrics.get(metric) is metric
    wrapped = metrics.get(lambda y_true, y_pred: np.max(np.abs(y_true - y_pred), axis=-1))
    wrapped.update_state([[0.0, 0.0]], [[1.0, 3.0]])
    wrapped.update_state([[0.0, 0.0]], [[1.0, 0.0]])
    assert wrapped.result() == pytest.approx((3 + 1) / 2)
    with pytest.raises(ValueError, match="unknown metric 'accurcy'. Valid names: AUC, .*acc, accuracy, auc"):
        metrics.get("accurcy")


@pytest.mark.parametrize("cls", MEMBERS, ids=lambda cls: cls.__name__)
def test_config_round_trips_through_json(cls):
    extra = {"AUC": {"num_thresholds": 50}, "BinaryAccuracy": {"threshold": 0.3},
             "TopKCategoricalAccuracy": {"k": 3}, "SparseTopKCategoricalAccuracy": {"k": 2}}
    metric = cls(name="custom", **extra.get(cls.__name__, {}))
    rebuilt = metrics.get(json.loads(json.dumps(metrics.serialize(metric))))
    assert type(rebuilt) is cls and rebuilt.get_config() == metric.get_config()


def test_bad_inputs_are_refused_with_a_message_naming_the_metric():
    with pytest.raises(ValueError, match=r"CategoricalAccuracy: y_true must be an array of y_pred's shape \(2, 3\)"):
        CategoricalAccuracy().update_state([[1.0, 0.0], [0.0, 1.0]], np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"integer class labels in \[0, 3\)"):
        SparseCategoricalAccuracy().update_state([0, 3], np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"AUC: y_true must be binary labels \(0 or 1\)"):
        AUC().update_state([0.5], [0.5])
    with pytest.raises(ValueError, match=r"AUC: y_pred must be probabilities in \[0, 1\].*sigmoid"):
        AUC().update_state([1.0], [2.5])
    with pytest.raises(ValueError, match="num_thresholds must be an integer >= 2"):
        AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        TopKCategoricalAccuracy(k=0)
