"""TerminateOnNaN: stop `fit` at the first batch whose loss is NaN or infinite."""
import math

from trainwell._errors import bad_type
from trainwell.callbacks.base import REGISTRY, Callback


@REGISTRY.register()
class TerminateOnNaN(Callback):
    """Watches `logs['loss']` after every training batch; acts when it is NaN, +inf or -inf.

    The loss in the batch logs is the running mean over the epoch, so one non-finite batch loss
    makes it non-finite for the rest of the epoch. Acting means printing "Batch B: Invalid loss,
    terminating training" and setting `model.stop_training`: the epoch ends after that batch
    (`on_epoch_end` still runs, with the non-finite loss in its logs) and no further epoch starts.
    With raise_error=True it raises RuntimeError instead, leaving the weights as the bad batch
    left them.

    Arguments: raise_error=False (Keras 3's default).

    Example:
        model.fit(x, y, epochs=10, callbacks=[TerminateOnNaN()])
    """

    def __init__(self, raise_error=False):
        super().__init__()
        if not isinstance(raise_error, bool):
            raise bad_type(type(self).__name__, "raise_error", "True or False", raise_error)
        self.raise_error = raise_error

    def get_config(self):
        return {"raise_error": self.raise_error}

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(f"TerminateOnNaN: the loss is {loss} at batch {batch}; training stopped.")
        print(f"\nBatch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
