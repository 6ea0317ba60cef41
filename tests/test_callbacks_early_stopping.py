"""EarlyStopping: patience counting, min_delta, baseline, restore_best_weights, start_from_epoch, modes."""
import numpy as np
import pytest

import trainwell as tw
from tests.test_callbacks_monitor import ScriptedModel, run_epochs
from trainwell import layers
from trainwell.callbacks import EarlyStopping, LambdaCallback


def test_patience_counts_epochs_in_a_row_without_improvement():
    # best 0.5 at epoch 0; epochs 1, 2 do not improve -> wait 1, 2 -> stop at epoch 2
    stop = EarlyStopping(patience=2)
    epochs, model, _ = run_epochs(stop, [0.5, 0.6, 0.7, 0.1, 0.1])
    assert (epochs, stop.stopped_epoch, stop.best, stop.best_epoch) == (3, 2, 0.5, 0)
    assert model.stop_training


def test_an_improvement_restarts_the_count():
    # wait: e1 1, e2 -> 0 (0.4 < 0.5), e3 1, e4 2 -> stop at epoch 4
    stop = EarlyStopping(patience=2)
    epochs, _, _ = run_epochs(stop, [0.5, 0.6, 0.4, 0.45, 0.45, 0.1])
    assert (epochs, stop.stopped_epoch, stop.best) == (5, 4, 0.4)


def test_patience_zero_stops_at_the_first_epoch_without_improvement():
    stop = EarlyStopping(patience=0)
    epochs, _, _ = run_epochs(stop, [1.0, 0.9, 0.95, 0.1])
    assert (epochs, stop.stopped_epoch) == (3, 2)


def test_training_runs_to_the_end_while_it_improves():
    stop = EarlyStopping(patience=0)
    epochs, model, _ = run_epochs(stop, [1.0, 0.9, 0.8, 0.7])
    assert (epochs, stop.stopped_epoch, model.stop_training) == (4, 0, False)


def test_min_delta_makes_small_drops_count_as_no_improvement():
    # e1: 0.95 + 0.1 = 1.05 not < 1.0 (wait 1); e2: 0.85 + 0.1 < 1.0 (best 0.85, wait 0);
    # e3: 0.94 not < 0.85 (wait 1); e4: 0.93 not < 0.85 (wait 2) -> stop at epoch 4
    values = [1.0, 0.95, 0.85, 0.84, 0.83, 0.82]
    stop = EarlyStopping(patience=2, min_delta=0.1)
    epochs, _, _ = run_epochs(stop, values)
    assert (epochs, stop.stopped_epoch, stop.best) == (5, 4, 0.85)
    epochs_without_min_delta, _, _ = run_epochs(EarlyStopping(patience=2), values)
    assert epochs_without_min_delta == 6


def test_baseline_not_beaten_uses_up_patience_even_while_improving():
    # baseline 0.5: e0 and e1 improve on the best but not on 0.5, so wait is not reset (1, 2);
    # e2 does not improve: wait 3 >= 2 -> stop. Without a baseline, e2 is only wait 1.
    stop = EarlyStopping(patience=2, baseline=0.5)
    epochs, _, _ = run_epochs(stop, [0.9, 0.8, 0.85, 0.85, 0.85])
    assert (epochs, stop.stopped_epoch) == (3, 2)
    epochs_without_baseline, _, _ = run_epochs(EarlyStopping(patience=2), [0.9, 0.8, 0.85, 0.85, 0.85])
    assert epochs_without_baseline == 4


def test_baseline_never_reached_stops_after_patience_epochs():
    # Keras's own check: constant 0.9 with baseline 0.5 and patience 3 runs 3 epochs (wait 1, 2, 3)
    stop = EarlyStopping(patience=3, baseline=0.5)
    epochs, _, _ = run_epochs(stop, [0.9] * 10)
    assert epochs == 3


def test_beating_the_baseline_resets_patience():
    stop = EarlyStopping(patience=2, baseline=0.5)
    epochs, _, _ = run_epochs(stop, [0.4, 0.45, 0.46, 0.47])
    assert (epochs, stop.stopped_epoch, stop.best) == (3, 2, 0.4)


def test_restore_best_weights_sets_back_the_best_epoch_after_stopping():
    # best at epoch 1 (0.3); e2 wait 1, e3 wait 2 -> stop; weights during epoch e are all e
    stop = EarlyStopping(patience=2, restore_best_weights=True)
    epochs, model, _ = run_epochs(stop, [0.5, 0.3, 0.4, 0.45, 0.6])
    assert epochs == 4
    assert stop.best_epoch == 1
    assert all(np.all(w == 1.0) for w in model.weights)


def test_restore_best_weights_also_applies_when_training_runs_to_the_end():
    stop = EarlyStopping(patience=5, restore_best_weights=True)
    epochs, model, _ = run_epochs(stop, [0.5, 0.3, 0.4])
    assert epochs == 3 and not model.stop_training
    assert all(np.all(w == 1.0) for w in model.weights)


def test_without_restore_the_last_weights_stay():
    _, model, _ = run_epochs(EarlyStopping(patience=2), [0.5, 0.3, 0.4, 0.45, 0.6])
    assert all(np.all(w == 3.0) for w in model.weights)


def test_start_from_epoch_ignores_the_warm_up_epochs():
    # epochs 0-2 ignored; e3 sets best 4.0; e4 is worse -> patience 0 stops at epoch 4
    stop = EarlyStopping(monitor="loss", patience=0, start_from_epoch=3)
    epochs, _, _ = run_epochs(stop, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], key="loss")
    assert (epochs, stop.stopped_epoch, stop.best, stop.best_epoch) == (5, 4, 4.0, 3)


def test_auto_mode_maximizes_accuracy_and_minimizes_loss():
    accuracy = tw.metrics.SparseCategoricalAccuracy(name="accuracy")
    rising = [0.5, 0.6, 0.7, 0.8]
    epochs_auto, _, _ = run_epochs(EarlyStopping(monitor="val_accuracy"), rising, key="val_accuracy",
                                   model=ScriptedModel(metrics=[accuracy]))
    epochs_min, _, _ = run_epochs(EarlyStopping(monitor="val_accuracy", mode="min"), rising,
                                  key="val_accuracy", model=ScriptedModel(metrics=[accuracy]))
    epochs_loss, _, _ = run_epochs(EarlyStopping(monitor="val_loss"), rising)
    assert (epochs_auto, epochs_min, epochs_loss) == (4, 2, 2)


def test_bad_mode_is_a_value_error_listing_the_modes():
    with pytest.raises(ValueError, match=r"EarlyStopping: mode must be one of 'auto', 'max', 'min'"):
        EarlyStopping(mode="minimum")


@pytest.mark.parametrize("bad", [{"patience": -1}, {"patience": 1.5}, {"verbose": 3}, {"baseline": "0.5"},
                                 {"restore_best_weights": 1}, {"start_from_epoch": -2}])
def test_bad_arguments_are_refused(bad):
    with pytest.raises((TypeError, ValueError), match=f"EarlyStopping: {next(iter(bad))} must be"):
        EarlyStopping(**bad)


def test_a_never_logged_monitor_warns_once_and_never_stops():
    stop = EarlyStopping(monitor="val_loss", patience=0)
    with pytest.warns(UserWarning, match="Logged keys: loss") as record:
        epochs, model, _ = run_epochs(stop, [1.0, 2.0, 3.0], key="loss")
    assert (len(record), epochs, model.stop_training) == (1, 3, False)


def test_an_instance_is_reusable_across_fits():
    stop = EarlyStopping(patience=1)
    run_epochs(stop, [0.5, 0.6, 0.7])
    epochs, _, _ = run_epochs(stop, [0.5, 0.4, 0.3])
    assert (epochs, stop.stopped_epoch, stop.wait, stop.best) == (3, 0, 0, 0.3)


def test_verbose_prints_the_stopping_epoch(capsys):
    run_epochs(EarlyStopping(patience=1, verbose=1), [0.5, 0.6, 0.7])
    assert capsys.readouterr().out == "Epoch 2: early stopping\n"


def tiny_model():
    tw.utils.set_random_seed(3)
    model = tw.Sequential([layers.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=tw.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy")
    return model


def fit(model, callbacks, epochs=6):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(24, 4)).astype("float32"), rng.integers(0, 3, 24)
    return model.fit(x, y, epochs=epochs, batch_size=8, verbose=0, callbacks=callbacks)


def test_fit_stops_early_and_restores_the_first_epochs_weights():
    # min_delta=10: no epoch improves on epoch 0's loss by 10, so with patience 2 fit stops at
    # epoch 2 and the weights snapshotted after epoch 0 come back.
    model = tiny_model()
    snapshots = []
    record = LambdaCallback(on_epoch_end=lambda epoch, logs: snapshots.append(model.get_weights()))
    stop = EarlyStopping(monitor="loss", min_delta=10, patience=2, restore_best_weights=True)
    history = fit(model, [record, stop])
    assert history.epoch == [0, 1, 2]
    assert stop.stopped_epoch == 2
    for restored, first in zip(model.get_weights(), snapshots[0]):
        np.testing.assert_array_equal(restored, first)
    assert not np.array_equal(snapshots[2][0], snapshots[0][0])


def test_fit_without_validation_warns_that_val_loss_is_never_logged():
    with pytest.warns(UserWarning, match=r"monitor='val_loss' is not in the logs.*Logged keys: loss\.") as record:
        history = fit(tiny_model(), [EarlyStopping(patience=0)], epochs=3)
    assert len(record) == 1
    assert history.epoch == [0, 1, 2]
