"""ProgbarLogger: the progress bar (verbose=1) or one line per epoch (verbose=2)."""
import sys
import time

from trainwell._errors import check_choice
from trainwell.callbacks.base import REGISTRY, Callback

_BAR_WIDTH = 20
_REFRESH_SECONDS = 0.1


@REGISTRY.register()
class ProgbarLogger(Callback):
    """Prints training progress to stdout, in Keras's layout.

    verbose=1: `Epoch 3/20` then a bar `  120/1719 ━━━━━━━━━━━━━━━━━━━━ 3s 2ms/step - accuracy: 0.8123 -
    loss: 0.5432`, refreshed at most every 0.1 s and completed with the validation values at epoch end;
    verbose=2: one line per epoch at its end. Values are the running means of the epoch.
    """

    def __init__(self, verbose=1, stream=None):
        super().__init__()
        self.verbose = check_choice("ProgbarLogger", "verbose", verbose, (1, 2))
        self.stream = stream

    def get_config(self):
        return {"verbose": self.verbose}

    def on_train_begin(self, logs=None):
        self._out = self.stream or sys.stdout
        self._epochs = self.params.get("epochs", 1)
        self._steps = self.params.get("steps")

    def on_epoch_begin(self, epoch, logs=None):
        self._start = self._last_draw = time.perf_counter()
        if self._epochs > 1 or self.verbose == 2:
            self._out.write(f"Epoch {epoch + 1}/{self._epochs}\n")
            self._out.flush()

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        if self.verbose == 1 and now - self._last_draw >= _REFRESH_SECONDS:
            self._last_draw = now
            self._draw(batch + 1, logs, final=False)

    def on_epoch_end(self, epoch, logs=None):
        self._draw(self._steps, logs, final=True)

    def _draw(self, step, logs, final):
        elapsed = time.perf_counter() - self._start
        steps = self._steps or step
        per_step = elapsed / max(step, 1)
        values = " - ".join(f"{key}: {_format(value)}" for key, value in sorted((logs or {}).items()))
        if self.verbose == 2:
            self._out.write(f"{steps}/{steps} - {elapsed:.0f}s - {per_step * 1e3:.0f}ms/step - {values}\n")
        else:
            filled = int(_BAR_WIDTH * step / steps) if steps else _BAR_WIDTH
            bar = "━" * filled + " " * (_BAR_WIDTH - filled)
            width = len(str(steps))
            self._out.write(f"\r{step:>{width}}/{steps} {bar} {elapsed:.0f}s {per_step * 1e3:.0f}ms/step - {values}")
            if final:
                self._out.write("\n")
        self._out.flush()


def _format(value):
    return f"{value:.4e}" if value != 0 and abs(value) <= 1e-3 else f"{value:.4f}"
