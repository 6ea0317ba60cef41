"""Callback: the Keras hook names; CallbackList: calls them in order and skips hooks nobody uses."""
from trainwell._registry import Registry

REGISTRY = Registry("callback")

_HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
          "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
          "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
          "on_predict_batch_begin", "on_predict_batch_end")


class Callback:
    """Base of every callback: each hook receives `logs` (a dict of floats) and does nothing here.

    `fit` sets `self.model` (and `self.params`: epochs, steps, verbose) before `on_train_begin`.
    Subclasses implement only the hooks they need; the loop skips batch hooks nobody overrides.
    """

    def __init__(self):
        self.model = None
        self.params = {}

    def get_config(self):
        """The constructor arguments (callbacks that take some override this)."""
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_train_batch_begin(self, batch, logs=None): pass
    def on_train_batch_end(self, batch, logs=None): pass
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass


class CallbackList:
    """Calls a hook on every callback in order; `needs(hook)` tells the loop whether to build logs."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            callback.set_model(model)
            callback.set_params(params)
        self._users = {hook: [c for c in self.callbacks if _overrides(c, hook)] for hook in _HOOKS}

    def needs(self, hook):
        return bool(self._users[hook])

    def call(self, hook, *args):
        for callback in self._users[hook]:
            getattr(callback, hook)(*args)


def _overrides(callback, hook):
    """True when this callback object does something on `hook` (a method of its class or its own)."""
    method = getattr(callback, hook)
    return getattr(method, "__func__", method) is not getattr(Callback, hook)
