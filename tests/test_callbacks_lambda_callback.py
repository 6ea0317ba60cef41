"""LambdaCallback: each function runs at its hook with Keras's arguments, in fit's event order."""
import pytest

from tests.test_callbacks_early_stopping import fit, tiny_model
from trainwell.callbacks import LambdaCallback


def recording_callback(events, **spellings):
    """A LambdaCallback whose functions append (hook, arguments...) to `events`."""
    hooks = {"on_train_begin": lambda logs: events.append(("train_begin",)),
             "on_train_end": lambda logs: events.append(("train_end", sorted(logs))),
             "on_epoch_begin": lambda epoch, logs: events.append(("epoch_begin", epoch)),
             "on_epoch_end": lambda epoch, logs: events.append(("epoch_end", epoch, sorted(logs))),
             "on_train_batch_begin": lambda batch, logs: events.append(("batch_begin", batch)),
             "on_train_batch_end": lambda batch, logs: events.append(("batch_end", batch, sorted(logs)))}
    for old, new in spellings.items():
        hooks[old] = hooks.pop(new)
    return LambdaCallback(**hooks)


def expected_events(epochs, batches):
    """fit's event order (keras_semantics §8.2), batch numbers restarting each epoch."""
    events = [("train_begin",)]
    for epoch in range(epochs):
        events.append(("epoch_begin", epoch))
        for batch in range(batches):
            events += [("batch_begin", batch), ("batch_end", batch, ["loss"])]
        events.append(("epoch_end", epoch, ["loss"]))
    return events + [("train_end", ["loss"])]


def test_every_hook_runs_in_fits_order_with_its_arguments():
    events = []
    fit(tiny_model(), [recording_callback(events)], epochs=2)  # 24 samples, batch 8: 3 batches
    assert events == expected_events(epochs=2, batches=3)


def test_the_tf_keras_batch_names_are_the_same_hooks():
    events = []
    callback = recording_callback(events, on_batch_begin="on_train_batch_begin",
                                  on_batch_end="on_train_batch_end")
    fit(tiny_model(), [callback], epochs=1)
    assert events == expected_events(epochs=1, batches=3)


def test_hooks_left_out_do_nothing():
    ends = []
    history = fit(tiny_model(), [LambdaCallback(on_epoch_end=lambda epoch, logs: ends.append(epoch)),
                                 LambdaCallback()], epochs=3)
    assert ends == [0, 1, 2] and history.epoch == [0, 1, 2]


def test_a_function_can_stop_training():
    model = tiny_model()
    stop = LambdaCallback(on_epoch_end=lambda epoch, logs: setattr(model, "stop_training", epoch == 1))
    assert fit(model, [stop], epochs=5).epoch == [0, 1]


def test_both_spellings_of_one_hook_are_refused():
    with pytest.raises(ValueError, match="LambdaCallback: on_batch_end must be None when on_train_batch_end"):
        LambdaCallback(on_train_batch_end=print, on_batch_end=print)


@pytest.mark.parametrize("hook", ["on_epoch_begin", "on_epoch_end", "on_train_begin", "on_train_end",
                                  "on_train_batch_begin", "on_train_batch_end", "on_batch_end"])
def test_a_hook_that_is_not_callable_is_refused(hook):
    with pytest.raises(TypeError, match=f"LambdaCallback: {hook} must be a function or None; got {hook}=3 "):
        LambdaCallback(**{hook: 3})
