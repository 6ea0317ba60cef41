"""ReduceLROnPlateau: patience, min_delta, cooldown, min_lr, the logged rate, modes, a real fit."""
import pytest

import trainwell as tw
from tests.test_callbacks_early_stopping import fit, tiny_model
from tests.test_callbacks_monitor import ScriptedModel, run_epochs
from trainwell.callbacks import ReduceLROnPlateau


def logged_rates(callback, values, learning_rate=1.0, key="val_loss", model=None):
    """The 'learning_rate' logged at each epoch end, and the rate left after the last epoch."""
    model = model or ScriptedModel(learning_rate=learning_rate)
    _, model, logs = run_epochs(callback, values, key=key, model=model)
    return [entry["learning_rate"] for entry in logs], model.optimizer.learning_rate


def test_rate_drops_by_factor_after_patience_epochs_without_improvement():
    # e0 best; e1 wait 1; e2 wait 2 -> 0.5 (wait 0); e3 wait 1; e4 wait 2 -> 0.25.
    # The rate logged is the one used in the epoch, i.e. before that epoch's reduction.
    rates, final = logged_rates(ReduceLROnPlateau(factor=0.5, patience=2), [1.0] * 5)
    assert rates == [1.0, 1.0, 1.0, 0.5, 0.5]
    assert final == 0.25


def test_an_improvement_restarts_the_wait():
    # e1 wait 1; e2 improves (wait 0); e3 wait 1; e4 wait 2 -> reduce
    rates, final = logged_rates(ReduceLROnPlateau(factor=0.5, patience=2), [1.0, 1.0, 0.5, 0.5, 0.5])
    assert rates == [1.0] * 5
    assert final == 0.5


def test_drops_smaller_than_min_delta_are_a_plateau():
    # default min_delta 1e-4: 0.99996 + 1e-4 = 1.00006 and 0.99992 + 1e-4 = 1.00002 are not < 1.0
    values = [1.0, 0.99996, 0.99992]
    _, final = logged_rates(ReduceLROnPlateau(factor=0.5, patience=2), values)
    _, final_without_min_delta = logged_rates(ReduceLROnPlateau(factor=0.5, patience=2, min_delta=0), values)
    assert (final, final_without_min_delta) == (0.5, 1.0)


def test_cooldown_pauses_the_count_after_a_reduction():
    # patience 1, cooldown 2, a constant loss:
    # e0 best | e1 wait 1 -> 0.5, counter 2 | e2 counter 1 | e3 counter 0, wait 1 -> 0.25, counter 2
    # e4 counter 1 | e5 counter 0 -> 0.125 | e6 counter 1
    rates, final = logged_rates(ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2), [1.0] * 7)
    assert rates == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125]
    assert final == 0.125
    rates_without_cooldown, _ = logged_rates(ReduceLROnPlateau(factor=0.5, patience=1), [1.0] * 5)
    assert rates_without_cooldown == [1.0, 1.0, 0.5, 0.25, 0.125]


def test_rate_never_goes_below_min_lr():
    # 1 -> 0.1 -> max(0.01, 0.05) = 0.05 -> stays
    rates, final = logged_rates(ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.05), [1.0] * 6)
    assert rates == [1.0, 1.0, 0.1, 0.05, 0.05, 0.05]
    assert final == 0.05


def test_a_rate_equal_to_min_lr_in_float32_is_not_reduced_again(capsys):
    # 0.2 * 0.1 = 0.020000000000000004 > 0.02 in float64, but equal in float32 (Keras's variable):
    # one reduction, one message.
    _, final = logged_rates(ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.02, verbose=1), [1.0] * 4,
                            learning_rate=0.2)
    assert final == 0.020000000000000004
    assert capsys.readouterr().out == "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.020000000000000004.\n"


def test_auto_mode_watches_accuracy_going_up():
    accuracy = tw.metrics.CategoricalAccuracy(name="accuracy")
    rising = [0.5, 0.6, 0.7, 0.8]
    _, final = logged_rates(ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1), rising,
                            key="val_accuracy", model=ScriptedModel(metrics=[accuracy]))
    _, final_min = logged_rates(ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1, mode="min"),
                                rising, key="val_accuracy", model=ScriptedModel(metrics=[accuracy]))
    assert (final, final_min) == (1.0, 0.125)


def test_a_never_logged_monitor_warns_once_but_the_rate_is_still_logged():
    with pytest.warns(UserWarning, match=r"ReduceLROnPlateau: monitor='val_loss'.*Logged keys: learning_rate, loss"
                      ) as record:
        rates, final = logged_rates(ReduceLROnPlateau(patience=0), [1.0, 2.0, 3.0], key="loss")
    assert (len(record), rates, final) == (1, [1.0, 1.0, 1.0], 1.0)


@pytest.mark.parametrize("bad", [{"factor": 1.0}, {"factor": 0.0}, {"patience": -1}, {"cooldown": 0.5},
                                 {"min_lr": -1e-3}, {"mode": "down"}, {"verbose": "yes"}])
def test_bad_arguments_are_refused(bad):
    with pytest.raises((TypeError, ValueError), match=f"ReduceLROnPlateau: {next(iter(bad))} must be"):
        ReduceLROnPlateau(**bad)


def test_an_instance_is_reusable_across_fits():
    callback = ReduceLROnPlateau(factor=0.5, patience=1, cooldown=3)
    logged_rates(callback, [1.0, 1.0])
    assert (callback.cooldown_counter, callback.best) == (3, 1.0)
    rates, final = logged_rates(callback, [2.0, 2.0])
    assert (rates, final) == ([1.0, 1.0], 0.5)


def test_fit_lowers_the_rate_and_records_it_in_the_history():
    # min_delta=10: no epoch improves, so with patience 1 every epoch from 1 on halves the rate
    model = tiny_model()
    history = fit(model, [ReduceLROnPlateau(monitor="loss", min_delta=10, patience=1, factor=0.5)], epochs=4)
    assert history.history["learning_rate"] == [0.1, 0.1, 0.05, 0.025]
    assert model.optimizer.learning_rate == 0.0125
    assert "lr" not in history.history


def test_with_a_scheduler_too_the_history_holds_one_rate_per_epoch():
    callbacks = [tw.callbacks.LearningRateScheduler(lambda epoch, lr: lr), ReduceLROnPlateau(monitor="loss")]
    history = fit(tiny_model(), callbacks, epochs=3)
    assert history.history["learning_rate"] == [0.1, 0.1, 0.1]
