"""LearningRateScheduler: both schedule forms, the logged 'learning_rate', result checks, real fits."""
import numpy as np
import pytest

import trainwell as tw
from tests.test_callbacks_early_stopping import fit, tiny_model
from tests.test_callbacks_monitor import ScriptedModel, run_epochs
from trainwell.callbacks import LearningRateScheduler


def rates_seen_at_epoch_begin(scheduler, epochs, learning_rate=0.1):
    """The optimizer's learning rate right after each on_epoch_begin."""
    model = ScriptedModel(learning_rate=learning_rate)
    scheduler.set_model(model)
    scheduler.on_train_begin({})
    seen = []
    for epoch in range(epochs):
        scheduler.on_epoch_begin(epoch, {})
        seen.append(model.optimizer.learning_rate)
    return seen


def test_one_argument_schedule_gets_the_0_based_epoch():
    seen = rates_seen_at_epoch_begin(LearningRateScheduler(lambda epoch: 0.1 * 0.5 ** epoch), 4)
    assert seen == pytest.approx([0.1, 0.05, 0.025, 0.0125], rel=1e-15)


def test_two_argument_schedule_gets_the_current_rate():
    # starts at 0.1; each epoch multiplies by 0.9 *before* it runs: 0.09, 0.081, 0.0729
    seen = rates_seen_at_epoch_begin(LearningRateScheduler(lambda epoch, lr: lr * 0.9), 3)
    assert seen == pytest.approx([0.09, 0.081, 0.0729], rel=1e-12)


def test_two_argument_schedule_with_a_default_and_a_callable_object():
    class Halve:
        def __call__(self, epoch, lr):
            return lr / 2

    assert rates_seen_at_epoch_begin(LearningRateScheduler(Halve()), 2, 1.0) == [0.5, 0.25]
    assert rates_seen_at_epoch_begin(LearningRateScheduler(lambda epoch, lr=7.0: lr + epoch), 2, 1.0) == [1.0, 2.0]


def test_a_type_error_inside_a_two_argument_schedule_is_not_retried_with_one_argument():
    def schedule(epoch, lr):
        raise TypeError("bug inside the schedule")

    with pytest.raises(TypeError, match="bug inside the schedule"):
        rates_seen_at_epoch_begin(LearningRateScheduler(schedule), 1)


@pytest.mark.parametrize("result", ["0.1", None, float("nan"), -0.1, True, np.array([0.1, 0.2])])
def test_a_schedule_result_that_is_not_a_rate_is_an_error_naming_the_epoch(result):
    with pytest.raises(ValueError, match=r"LearningRateScheduler: schedule\(0, \.\.\.\) must be a finite float"):
        rates_seen_at_epoch_begin(LearningRateScheduler(lambda epoch: result), 1)


def test_numpy_and_integer_results_are_rates():
    seen = rates_seen_at_epoch_begin(LearningRateScheduler(lambda epoch: [np.float32(0.5), 1][epoch]), 2)
    assert seen == [0.5, 1.0] and all(type(rate) is float for rate in seen)


def test_each_epochs_rate_is_logged_as_learning_rate():
    scheduler = LearningRateScheduler(lambda epoch: 1.0 / (epoch + 1))
    _, _, logs = run_epochs(scheduler, [1.0, 1.0, 1.0], key="loss")
    assert [entry["learning_rate"] for entry in logs] == [1.0, 0.5, pytest.approx(1 / 3)]
    assert all("lr" not in entry for entry in logs)


@pytest.mark.parametrize("bad", [{"schedule": 0.1}, {"schedule": lambda epoch: 0.1, "verbose": 2}])
def test_bad_arguments_are_refused(bad):
    with pytest.raises((TypeError, ValueError), match="LearningRateScheduler"):
        LearningRateScheduler(**bad)


def test_an_optimizer_following_a_schedule_object_is_refused_at_train_begin():
    model = ScriptedModel()
    model.optimizer.learning_rate = lambda step: 0.1 / (1 + step)
    scheduler = LearningRateScheduler(lambda epoch: 0.1)
    scheduler.set_model(model)
    with pytest.raises(ValueError, match="LearningRateScheduler: the optimizer's learning_rate must be a float"):
        scheduler.on_train_begin({})


def test_verbose_announces_each_rate(capsys):
    rates_seen_at_epoch_begin(LearningRateScheduler(lambda epoch: 0.5 ** epoch, verbose=1), 2)
    assert capsys.readouterr().out == ("\nEpoch 1: LearningRateScheduler setting learning rate to 1.0.\n"
                                       "\nEpoch 2: LearningRateScheduler setting learning rate to 0.5.\n")


def test_fit_records_each_epochs_rate_in_the_history():
    history = fit(tiny_model(), [LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))], epochs=3)
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.1 / 3], rel=1e-15)
    assert len(history.history["loss"]) == 3 and "lr" not in history.history


def test_fit_trains_with_the_scheduled_rate():
    # a schedule of 0 from epoch 1 on: plain SGD then moves no weight, so epochs 1-2 change nothing
    model = tiny_model()
    snapshots = []
    record = tw.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: snapshots.append(model.get_weights()))
    fit(model, [LearningRateScheduler(lambda epoch: 0.1 if epoch == 0 else 0.0), record], epochs=3)
    assert not np.array_equal(snapshots[0][0], tiny_model().get_weights()[0])
    for later in snapshots[1:]:
        np.testing.assert_array_equal(later[0], snapshots[0][0])


def test_history_records_the_rate_and_the_tf_keras_key_lr_reads_it_with_a_notice():
    import numpy as np
    import pytest
    import trainwell as tw
    model = tw.Sequential([tw.layers.Input(shape=(2,)), tw.layers.Dense(1)])
    model.compile(optimizer=tw.optimizers.SGD(learning_rate=0.1), loss="mse")
    x = np.ones((4, 2))
    history = model.fit(x, np.ones(4), epochs=3, verbose=0,
                        callbacks=[tw.callbacks.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.1 / 3])
    with pytest.warns(FutureWarning, match="'lr' is the tf.keras key"):
        assert history.history["lr"] == history.history["learning_rate"]
    with pytest.raises(KeyError):
        history.history["momentum"]
