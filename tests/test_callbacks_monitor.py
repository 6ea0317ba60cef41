"""The shared monitor logic: improvement test, mode resolution, a missing key, the tf.keras 'acc' names.

Also holds `ScriptedModel` and `run_epochs`, which the other callback tests use to drive hooks with
scripted logs (as Keras's own callback tests do).
"""
import warnings

import numpy as np
import pytest

import trainwell as tw
from trainwell.callbacks import MonitorCallback


class ScriptedModel:
    """What callbacks touch on a model: optimizer, compiled metrics, stop flag, weights, history."""

    def __init__(self, learning_rate=1.0, metrics=()):
        self.optimizer = tw.optimizers.SGD(learning_rate=learning_rate)
        self.compiled_metrics = list(metrics)
        self.stop_training = False
        self.history = None
        self.weights = [np.zeros(2), np.zeros(1)]

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]


def run_epochs(callback, values, key="val_loss", model=None, extra=None):
    """Drive `callback` through epochs whose logs hold `key: values[epoch]`; the model's weights
    during epoch e are [e, e], [e]. Returns (epochs run, model, logs of each epoch)."""
    model = model or ScriptedModel()
    callback.set_model(model)
    callback.on_train_begin({})
    all_logs = []
    for epoch, value in enumerate(values):
        callback.on_epoch_begin(epoch, {})
        model.weights = [np.full(2, float(epoch)), np.full(1, float(epoch))]
        logs = {key: value, **(extra or {})}
        callback.on_epoch_end(epoch, logs)
        all_logs.append(logs)
        if model.stop_training:
            break
    callback.on_train_end({})
    return len(all_logs), model, all_logs


def monitor(logs, metrics=(), **kwargs):
    """A MonitorCallback attached to a scripted model, after reading `logs` once."""
    callback = MonitorCallback(**kwargs)
    callback.set_model(ScriptedModel(metrics=metrics))
    value = callback._monitored_value(logs)
    return callback, value


def test_min_mode_needs_a_drop_larger_than_min_delta():
    callback, _ = monitor({"val_loss": 1.0}, mode="min", min_delta=0.1)
    assert callback._is_improvement(0.85, 1.0)       # 0.85 + 0.1 = 0.95 < 1.0
    assert not callback._is_improvement(0.95, 1.0)   # 0.95 + 0.1 = 1.05
    assert callback._is_improvement(5.0, None)       # no best yet


def test_a_drop_of_exactly_min_delta_is_no_improvement_as_keras_computes_it():
    # Keras tests current + d < best: 0.1 + 0.3 == 0.4 is not < 0.4. The algebraically equal
    # current < best - d would say yes (0.4 - 0.3 = 0.10000000000000003).
    callback, _ = monitor({"val_loss": 1.0}, mode="min", min_delta=0.3)
    assert not callback._is_improvement(0.1, 0.4)


def test_max_mode_needs_a_rise_larger_than_min_delta():
    callback, _ = monitor({"val_loss": 1.0}, mode="max", min_delta=0.1)
    assert callback._is_improvement(1.15, 1.0)
    assert not callback._is_improvement(1.05, 1.0)


def test_negative_min_delta_means_its_absolute_value():
    callback, _ = monitor({"val_loss": 1.0}, mode="min", min_delta=-0.1)
    assert callback.min_delta == 0.1
    assert not callback._is_improvement(0.95, 1.0)


def test_zero_min_delta_counts_an_equal_value_as_no_improvement():
    callback, _ = monitor({"val_loss": 1.0}, mode="min")
    assert not callback._is_improvement(1.0, 1.0)


@pytest.mark.parametrize("key, expected", [("loss", "min"), ("val_loss", "min")])
def test_auto_mode_minimizes_the_loss(key, expected):
    callback, value = monitor({key: 0.5}, monitor=key)
    assert value == 0.5
    assert callback._monitor_op == expected


def test_auto_mode_follows_the_metric_direction():
    accuracy = tw.metrics.SparseCategoricalAccuracy(name="accuracy")
    mae = tw.metrics.MeanAbsoluteError(name="mae")
    up, _ = monitor({"val_accuracy": 0.5}, metrics=[accuracy, mae], monitor="val_accuracy")
    down, _ = monitor({"mae": 0.5}, metrics=[accuracy, mae], monitor="mae")
    assert (up._monitor_op, down._monitor_op) == ("max", "min")


def test_auto_mode_refuses_a_key_that_is_neither_loss_nor_metric():
    with pytest.raises(ValueError, match=r"monitor='learning_rate'.*mode='min'.*mode='max'"):
        monitor({"learning_rate": 0.1}, monitor="learning_rate")


def test_explicit_mode_needs_no_metric():
    callback, _ = monitor({"learning_rate": 0.1}, monitor="learning_rate", mode="max")
    assert callback._monitor_op == "max"


def test_bad_mode_is_an_error_listing_the_modes():
    with pytest.raises(ValueError, match=r"mode must be one of 'auto', 'max', 'min'; got mode='maximum'"):
        MonitorCallback(mode="maximum")


@pytest.mark.parametrize("bad", [{"monitor": 3}, {"monitor": ""}, {"min_delta": "0.1"},
                                 {"min_delta": float("nan")}])
def test_bad_monitor_or_min_delta_is_refused(bad):
    with pytest.raises((TypeError, ValueError), match="MonitorCallback"):
        MonitorCallback(**bad)


def test_a_missing_key_warns_once_per_fit_naming_the_logged_keys():
    callback = MonitorCallback(monitor="val_loss")
    callback.set_model(ScriptedModel())
    expected = r"MonitorCallback: monitor='val_loss' is not in the logs.*Logged keys: accuracy, loss\."
    with pytest.warns(UserWarning, match=expected) as record:
        for _ in range(3):
            assert callback._monitored_value({"loss": 1.0, "accuracy": 0.5}) is None
    assert len(record) == 1
    callback._reset_monitor()  # what on_train_begin does
    with pytest.warns(UserWarning):
        callback._monitored_value({"loss": 1.0})


def test_val_acc_resolves_to_val_accuracy_with_one_notice():
    accuracy = tw.metrics.SparseCategoricalAccuracy(name="accuracy")
    callback = MonitorCallback(monitor="val_acc")
    callback.set_model(ScriptedModel(metrics=[accuracy]))
    with pytest.warns(FutureWarning, match=r"monitor='val_acc'.*'val_accuracy'") as record:
        values = [callback._monitored_value({"val_accuracy": v, "val_loss": 1.0}) for v in (0.25, 0.5)]
    assert len(record) == 1
    assert values == [0.25, 0.5]
    assert callback._monitor_op == "max"


def test_acc_is_used_as_is_when_acc_is_what_is_logged():
    acc = tw.metrics.SparseCategoricalAccuracy(name="acc")
    callback = MonitorCallback(monitor="acc")
    callback.set_model(ScriptedModel(metrics=[acc]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert callback._monitored_value({"acc": 0.75, "loss": 1.0}) == 0.75
    assert callback._monitor_op == "max"
