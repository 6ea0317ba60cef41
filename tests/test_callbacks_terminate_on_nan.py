"""TerminateOnNaN: a NaN or infinite batch loss stops training (or raises), a finite one does nothing."""
import numpy as np
import pytest

from tests.test_callbacks_early_stopping import fit, tiny_model
from tests.test_callbacks_monitor import ScriptedModel
from trainwell.callbacks import LambdaCallback, TerminateOnNaN


def watch(callback, loss, batch=3):
    model = ScriptedModel()
    callback.set_model(model)
    callback.on_train_batch_end(batch, {"loss": loss})
    return model.stop_training


@pytest.mark.parametrize("loss", [float("nan"), float("inf"), -float("inf")])
def test_a_non_finite_loss_stops_training_with_a_message(capsys, loss):
    assert watch(TerminateOnNaN(), loss)
    assert capsys.readouterr().out == "\nBatch 3: Invalid loss, terminating training\n"


def test_a_finite_or_absent_loss_changes_nothing(capsys):
    callback = TerminateOnNaN()
    assert not watch(callback, 1e30)
    callback.on_train_batch_end(0, {})
    assert not callback.model.stop_training and capsys.readouterr().out == ""


def test_raise_error_raises_instead_of_stopping():
    with pytest.raises(RuntimeError, match="TerminateOnNaN: the loss is nan at batch 3"):
        watch(TerminateOnNaN(raise_error=True), float("nan"))


def test_raise_error_must_be_a_bool():
    with pytest.raises(TypeError, match="TerminateOnNaN: raise_error must be True or False; got raise_error='yes'"):
        TerminateOnNaN(raise_error="yes")


def test_fit_ends_the_epoch_after_the_first_nan_batch(capsys):
    # 24 samples, batch 8: 3 batches per epoch. After batch 0 the weights become NaN, so batch 1's
    # loss is NaN: training stops there, the epoch still ends, and no other epoch starts.
    model = tiny_model()
    batches = []

    def poison(batch, logs):
        batches.append(batch)
        if batch == 0:
            model.set_weights([np.full_like(w, np.nan) for w in model.get_weights()])

    history = fit(model, [LambdaCallback(on_train_batch_end=poison), TerminateOnNaN()], epochs=5)
    assert batches == [0, 1]
    assert history.epoch == [0] and np.isnan(history.history["loss"][0])
    assert capsys.readouterr().out == "\nBatch 1: Invalid loss, terminating training\n"
