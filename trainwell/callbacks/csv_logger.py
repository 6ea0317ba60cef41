"""CSVLogger: one CSV row per epoch with that epoch's logs."""
import csv
import os

from trainwell._errors import bad_type, bad_value
from trainwell.callbacks.base import REGISTRY, Callback


@REGISTRY.register()
class CSVLogger(Callback):
    """Writes `epoch,<log keys...>` rows to `filename`, one as each epoch ends, flushed at once.

    Columns are fixed at the first epoch: 'epoch' (0-based, as Keras writes it), then the log keys
    sorted; when no 'val_' key is logged, 'val_<key>' columns are added for every key and hold 'NA'
    (Keras's layout, so runs with and without validation give the same columns). A key missing
    in a later epoch is written as 'NA'. Each row is written and flushed when its epoch ends, so a
    crash loses at most the epoch in progress; the file is opened only to add a row, so a failed fit
    leaves no handle open. At train begin the file is emptied (unless append) and a missing
    directory is a FileNotFoundError naming it.

    Arguments (Keras's defaults): filename, separator=',' (one character), append=False
    (True: add rows to an existing file; the header is written only when the file is new or empty,
    and a header with other columns is a ValueError rather than misaligned rows).

    Example:
        model.fit(x, y, epochs=20, callbacks=[CSVLogger("training.csv")])
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        where = type(self).__name__
        if not isinstance(filename, (str, os.PathLike)):
            raise bad_type(where, "filename", "a path (str or os.PathLike)", filename)
        if not isinstance(separator, str) or len(separator) != 1 or separator in "\r\n\"":
            raise bad_value(where, "separator", "one character other than a quote or a line break", separator)
        if not isinstance(append, bool):
            raise bad_type(where, "append", "True or False", append)
        self.filename = os.fspath(filename)
        self.separator = separator
        self.append = append
        self._keys = self._existing = None

    def get_config(self):
        return {"filename": self.filename, "separator": self.separator, "append": self.append}

    def on_train_begin(self, logs=None):
        directory = os.path.dirname(os.path.abspath(self.filename))
        if not os.path.isdir(directory):
            message = bad_value(type(self).__name__, "filename", "a path in an existing directory", self.filename,
                                f"The directory {directory!r} does not exist; create it first.")
            raise FileNotFoundError(str(message))
        self._existing = self._existing_header() if self.append else None
        if not self.append:
            open(self.filename, "w", encoding="utf-8").close()  # a new run starts an empty file, as Keras's does
        self._keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        rows = []
        if self._keys is None:
            self._keys = self._columns(logs)
            if self._existing is None:
                rows.append(["epoch"] + self._keys)
        rows.append([epoch] + [_cell(logs.get(key, "NA")) for key in self._keys])
        # Opened per epoch: no handle is left open if fit fails, and each row is on disk when it ends.
        with open(self.filename, "a", newline="", encoding="utf-8") as file:
            csv.writer(file, delimiter=self.separator).writerows(rows)

    def _columns(self, logs):
        keys = sorted(logs)
        if keys and not any(key.startswith("val_") for key in keys):
            keys += [f"val_{key}" for key in keys]
        if self._existing is not None and self._existing != ["epoch"] + keys:
            raise bad_value(type(self).__name__, "the columns of this run", f"those already in {self.filename!r}, "
                            f"{self._existing}, to append", ["epoch"] + keys,
                            "Write to a new file or pass append=False.")
        return keys

    def _existing_header(self):
        """The header row of an existing non-empty file, or None."""
        if not os.path.exists(self.filename) or os.path.getsize(self.filename) == 0:
            return None
        with open(self.filename, newline="", encoding="utf-8") as file:
            return next(csv.reader(file, delimiter=self.separator), None)


def _cell(value):
    if isinstance(value, str) or not hasattr(value, "__iter__") or getattr(value, "ndim", None) == 0:
        return value
    return f"[{', '.join(str(item) for item in value)}]"
