"""LambdaCallback: a callback made of plain functions, one per hook."""
from trainwell._errors import bad_type, bad_value
from trainwell.callbacks.base import Callback


class LambdaCallback(Callback):
    """Calls the functions it is given at the matching hooks, with the arguments Keras passes:

        on_epoch_begin(epoch, logs), on_epoch_end(epoch, logs),
        on_train_begin(logs), on_train_end(logs),
        on_train_batch_begin(batch, logs), on_train_batch_end(batch, logs).

    Every argument defaults to None (that hook does nothing). `on_batch_begin` / `on_batch_end`,
    the names tf.keras code uses, are accepted as the same as the `on_train_batch_*` ones (Keras 3
    forwards them too); giving both spellings of one hook is an error. Not registered for configs:
    its functions are code, which loading never runs.

    Example:
        losses = []
        record = LambdaCallback(on_train_batch_end=lambda batch, logs: losses.append(logs["loss"]))
        model.fit(x, y, epochs=2, callbacks=[record])
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, on_batch_begin=None, on_batch_end=None):
        super().__init__()
        given = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end, on_train_begin=on_train_begin,
                     on_train_end=on_train_end, on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end)
        for hook, function in [*given.items(), ("on_batch_begin", on_batch_begin), ("on_batch_end", on_batch_end)]:
            if function is not None and not callable(function):
                raise bad_type("LambdaCallback", hook, "a function or None", function)
        for old, function in (("on_batch_begin", on_batch_begin), ("on_batch_end", on_batch_end)):
            hook = old.replace("on_batch", "on_train_batch")
            if function is not None and given[hook] is not None:
                raise bad_value("LambdaCallback", old, f"None when {hook} is given (the same hook)", function)
            given[hook] = given[hook] or function
        for hook, function in given.items():
            if function is not None:
                setattr(self, hook, function)  # the loop calls (and only calls) the hooks given
