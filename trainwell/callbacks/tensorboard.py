"""TensorBoard: event files of the epoch scalars and of weight, gradient and activation histograms."""
import numbers
import os
import time
import uuid

from trainwell import backend
from trainwell._errors import bad_type, bad_value, check_number
from trainwell.callbacks.base import REGISTRY, Callback

PROBE_ROWS = 256  # at most this many rows of the first training batch feed the activation histograms


@REGISTRY.register()
class TensorBoard(Callback):
    """Writes TensorBoard event files laid out as Keras writes them, plus gradients and activations.

    Runs: `{log_dir}/train` and `{log_dir}/validation` (the latter only once validation is logged).
    At each epoch end, with step = epoch (0-based):
        train run:      epoch_<key> for every log key not starting with 'val_', and
                        epoch_learning_rate = float(model.optimizer.learning_rate) (the rate the optimizer
                        holds at the epoch's end, as Keras reads it; it replaces a logged 'learning_rate');
        validation run: epoch_<key> for every 'val_<key>', and evaluation_<key>_vs_iterations at
                        step = optimizer.iterations (Keras writes this after each evaluation inside fit).
    update_freq='batch' (= 1) or an integer N also writes batch_<key> (the running means of the epoch
    so far, as the logs hold them) to the train run at global batch b (1-based, counted across
    epochs) whenever b % N == 0; 'epoch' writes no batch scalars (and costs the loop nothing per batch).

    histogram_freq=k > 0: at epochs with epoch % k == 0 (epoch 0 included), to the train run:
        <layer>/<weight>/histogram   every weight, trainable or not (Keras's tag, e.g. dense/kernel/histogram);
        <layer>/<weight>/gradient    every trainable weight's gradient of the epoch's last step: the
                                     gradient of the loss plus penalties, before clipping (what
                                     `variable.grad` holds until the next step writes it);
        <layer>/activation           each layer's output on a fixed batch, in inference mode.
    The activation batch is the first PROBE_ROWS (256) rows of the first training batch of the fit,
    kept once; at each histogram epoch one extra `training=False` pass runs over it. A fixed batch
    in inference mode makes epochs comparable (only the weights change between two histograms), and
    the pass draws no random numbers and updates no statistic, so training goes exactly as without
    this callback. tf.keras 2 dropped gradient and activation histograms; Keras 1 had them.
    Non-finite entries are left out of a histogram (a diverged weight does not stop the writer).

    Arguments (Keras's defaults): log_dir='logs', histogram_freq=0, write_graph=True (accepted and
    ignored: TensorBoard's graph dashboard draws TensorFlow op graphs, and a trainwell model has no
    op graph; its layers are what `model.summary()` prints), write_images=False (True is refused:
    weight images are not written), write_steps_per_second=False (True adds epoch_steps_per_second,
    and batch_steps_per_second beside the batch scalars, timed from the previous batch's end),
    update_freq='epoch', profile_batch=0, embeddings_freq=0, embeddings_metadata=None (profiling and
    embeddings are not supported: other values are refused, as Keras 3 refuses profiling on NumPy).
    Writing uses tensorboardX (`pip install trainwell[tensorboard]`); each fit writes new event files.

    Example:
        board = TensorBoard(log_dir="logs/run1", histogram_freq=1)
        model.fit(x, y, validation_split=0.1, epochs=20, callbacks=[board])
        # then: tensorboard --logdir logs
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None):
        super().__init__()
        where = type(self).__name__
        if not isinstance(log_dir, (str, os.PathLike)):
            raise bad_type(where, "log_dir", "a path (str or os.PathLike)", log_dir)
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = check_number(where, "histogram_freq", histogram_freq, low=0, integer=True)
        for name, value in (("write_graph", write_graph), ("write_images", write_images),
                            ("write_steps_per_second", write_steps_per_second)):
            if not isinstance(value, bool):
                raise bad_type(where, name, "True or False", value)
        if write_images:
            raise bad_value(where, "write_images", "False (weight images are not written)", write_images,
                            "Use histogram_freq=1 to follow the weights' distributions.")
        self.write_graph, self.write_images = write_graph, write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq
        self._batch_every = _batch_every(where, update_freq)
        for name, value in (("profile_batch", profile_batch), ("embeddings_freq", embeddings_freq)):
            if value != 0:
                raise bad_value(where, name, "0 (not supported by trainwell)", value)
        if embeddings_metadata is not None:
            raise bad_value(where, "embeddings_metadata", "None (embeddings are not supported)", embeddings_metadata)
        self.profile_batch, self.embeddings_freq, self.embeddings_metadata = 0, 0, None
        _summary_writer_class()  # fail now, not after the first epoch, when the extra is missing
        if self._batch_every:
            self.on_train_batch_end = self._write_batch_scalars  # only then does the loop call a batch hook
        self._writers = {}
        self._probe = self._probed_model = None

    def get_config(self):
        return {"log_dir": self.log_dir, "histogram_freq": self.histogram_freq, "write_graph": self.write_graph,
                "write_images": self.write_images, "write_steps_per_second": self.write_steps_per_second,
                "update_freq": self.update_freq, "profile_batch": self.profile_batch,
                "embeddings_freq": self.embeddings_freq, "embeddings_metadata": self.embeddings_metadata}

    # ----- hooks ------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._close_writers()
        self._disarm_probe()
        self._probe = None
        self._global_batch = 0
        self._writer("train")  # a log_dir that cannot be written fails before any training
        if self.histogram_freq:
            self._arm_probe()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = self._batch_end = time.perf_counter()
        self._epoch_start_iterations = self.model.optimizer.iterations

    def _write_batch_scalars(self, batch, logs=None):
        self._global_batch += 1
        now, previous = time.perf_counter(), self._batch_end
        self._batch_end = now
        if self._global_batch % self._batch_every:
            return
        writer, step = self._writer("train"), self._global_batch
        for name, value in _scalars(logs):
            writer.add_scalar(f"batch_{name}", value, step)
        if self.write_steps_per_second:
            writer.add_scalar("batch_steps_per_second", 1.0 / max(now - previous, 1e-9), step)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        train["learning_rate"] = float(self.model.optimizer.learning_rate)
        if self.write_steps_per_second:
            steps = self.model.optimizer.iterations - self._epoch_start_iterations
            train["steps_per_second"] = steps / max(time.perf_counter() - self._epoch_start, 1e-9)
        writer = self._writer("train")
        for name, value in _scalars(train):
            writer.add_scalar(f"epoch_{name}", value, epoch)
        validation = {k[len("val_"):]: v for k, v in logs.items() if k.startswith("val_")}
        if validation:
            val_writer, iterations = self._writer("validation"), self.model.optimizer.iterations
            for name, value in _scalars(validation):
                val_writer.add_scalar(f"epoch_{name}", value, epoch)
                val_writer.add_scalar(f"evaluation_{name}_vs_iterations", value, iterations)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_histograms(writer, epoch)
        for each in self._writers.values():
            each.flush()  # an epoch's events are on disk when it ends, for a TensorBoard watching the run

    def on_train_end(self, logs=None):
        self._disarm_probe()
        self._close_writers()

    # ----- histograms -------------------------------------------------------------------------
    def _write_histograms(self, writer, epoch):
        for variable in self.model.weights:
            _histogram(writer, f"{variable.path}/histogram", variable.value, epoch)
        for variable in self.model.weights:
            if variable.grad is not None:
                _histogram(writer, f"{variable.path}/gradient", variable.grad, epoch)
        if self._probe is None:
            return
        outputs = self._probe
        with backend.recording(False):  # an inference pass: layers keep nothing for a backward
            for layer in self.model.leaf_layers():
                outputs = layer(outputs, training=False)
                _histogram(writer, f"{layer.name}/activation", outputs, epoch)

    def _arm_probe(self):
        """Keep the first rows of the first training batch: wrap this model's `_train_step` once.

        Callbacks never see the data; the step does. The wrapper lives on the instance (the class is
        untouched), copies the rows, removes itself, and runs the step unchanged.
        """
        model = self.model
        step = model._train_step

        def first_step(x, *args, **kwargs):
            self._probe = x[:PROBE_ROWS].copy()
            self._disarm_probe()
            return step(x, *args, **kwargs)

        model._train_step = first_step
        self._probed_model = model

    def _disarm_probe(self):
        model, self._probed_model = self._probed_model, None
        if model is not None:
            vars(model).pop("_train_step", None)

    # ----- writers ----------------------------------------------------------------------------
    def _writer(self, run):
        if run not in self._writers:
            # A suffix of its own per writer: two fits in one second would otherwise share a file name.
            suffix = f".{os.getpid()}.{uuid.uuid4().hex[:8]}"
            self._writers[run] = _summary_writer_class()(os.path.join(self.log_dir, run), filename_suffix=suffix)
        return self._writers[run]

    def _close_writers(self):
        writers, self._writers = self._writers, {}
        for writer in writers.values():
            writer.close()


def _batch_every(where, update_freq):
    """None for 'epoch', 1 for 'batch', N for a positive integer N."""
    if update_freq == "epoch":
        return None
    if update_freq == "batch":
        return 1
    if isinstance(update_freq, bool) or not isinstance(update_freq, numbers.Integral) or update_freq < 1:
        raise bad_value(where, "update_freq", "'epoch', 'batch' or a positive integer (batches)", update_freq)
    return int(update_freq)


def _scalars(logs):
    """(name, float) for each scalar value in `logs` (a metric that logs an array is not a scalar)."""
    for name, value in (logs or {}).items():
        if getattr(value, "ndim", 0) == 0 and hasattr(value, "__float__"):
            yield name, float(value)


def _histogram(writer, tag, values, step):
    xp = backend.xp
    values = values[xp.isfinite(values)]
    if values.size:
        writer.add_histogram(tag, backend.to_numpy(values), step)


def _summary_writer_class():
    try:
        from tensorboardX import SummaryWriter  # noqa: PLC0415  (an optional extra)
    except ImportError as error:
        raise ImportError("TensorBoard: writing event files needs the tensorboardX package; install it with "
                          "`pip install trainwell[tensorboard]`.") from error
    return SummaryWriter
