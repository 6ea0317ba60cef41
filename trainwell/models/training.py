"""Model: compile, fit, evaluate and predict over a layer graph whose weights live in flat buffers."""
import numpy

from trainwell import backend, losses, metrics
from trainwell import optimizers as optimizers_module
from trainwell._errors import bad_type, bad_value
from trainwell.callbacks import CallbackList, History, ProgbarLogger
from trainwell.layers.base import Layer, _as_input_array
from trainwell.models import _data, penalties
from trainwell.models.flat import pack


class Model(Layer):
    """The Keras training API over a model's layers (Sequential is the model users build).

    compile(optimizer='rmsprop', loss=None, metrics=None) packs the trainable weights into one flat
    buffer and their gradients into another (DESIGN §3); a `trainable` change takes effect at the
    next compile. fit/evaluate/predict follow keras_semantics §9.2-9.3: batch_size 32, the last
    partial batch kept, validation_split from the end before shuffling, a new shuffle each epoch,
    epoch logs that are running means over the epoch, `val_` twins from a training=False pass.
    """

    def __init__(self, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self.optimizer = None
        self.loss = None
        self.stop_training = False
        self.history = None
        self._compiled = False
        self._metric_specs = []
        self.compiled_metrics = None

    def __call__(self, inputs, training=None):
        """`model(x, training=...)`: the forward pass on an array (Monte Carlo dropout: training=True)."""
        inputs = _as_input_array(inputs, self)
        self.build_for(inputs.shape)
        return self.call(inputs, training=training)

    # ----- compile ----------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None, weighted_metrics=None,
                run_eagerly=None, steps_per_execution=1, jit_compile=None):
        """Choose the optimizer, loss and metrics; pack the trainable weights (if built)."""
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise bad_type(f"{self.name}.compile", "metrics", "a list of metric names or objects", metrics)
        if loss is None:
            raise ValueError(f"{self.name}.compile: loss is required, e.g. loss='sparse_categorical_crossentropy'.")
        self.optimizer = optimizers_module.get(optimizer)
        self.loss = losses.get(loss)
        self._metric_specs = list(metrics or [])
        self.compiled_metrics = None
        self._compiled = True
        self._pack_token = None
        self._compiled_variables = None
        if self.built:
            self._prepare_training()

    def _prepare_training(self):
        """Pack the flat buffers for the variables trainable at compile time; mark which layers need dx.

        As in Keras, a `trainable` change takes effect at the next compile: the variables are the
        ones recorded then (or at the first training call of a model built late). A repack happens
        when another model sharing these layers packed them into its own buffer; the layout (the
        variable order) is unchanged, so the optimizer's slots stay valid.
        """
        if self._compiled_variables is None:
            self._compiled_variables = self.trainable_weights
        variables = self._compiled_variables
        if self._pack_token is None or any(v._pack_token is not self._pack_token for v in variables):
            self._params, self._grads, self._pack_token = pack(variables, self.weights)
            self.optimizer.build(variables, size=self._params.size, dtype=self._params.dtype)
        leaves = self.leaf_layers()
        trainable = {id(v) for v in variables}
        self._backward_stop = next((i for i, layer in enumerate(leaves)
                                    if any(id(v) in trainable for v in layer.weights)), len(leaves))
        for index, layer in enumerate(leaves):
            layer._input_grad_needed = index != self._backward_stop
        activation = self.output_activation
        fuses_with = getattr(self.loss, "fuses_with", None)
        self._fused = fuses_with is not None and getattr(activation, "__name__", None) == fuses_with

    def leaf_layers(self):
        return [self]

    def _resolve_metrics(self, y, output_shape):
        if self.compiled_metrics is None:
            y_pred_shape = (len(y),) + tuple(output_shape[1:])
            self.compiled_metrics = [metrics.get(m, y_true_shape=y.shape, y_pred_shape=y_pred_shape)
                                     for m in self._metric_specs]
        return self.compiled_metrics

    # ----- one step ---------------------------------------------------------------------------
    def _train_step(self, x, y, weights):
        loss, outputs = self._loss_and_gradients(x, y, weights)
        self.optimizer.apply(self._params, self._grads)
        return loss, outputs

    def _loss_and_gradients(self, x, y, weights):
        """Forward in training mode, the loss (with penalties) and every gradient into `self._grads`
        (the flat buffer; `variable.grad` views into it); the weights are not updated."""
        leaves = self.leaf_layers()
        try:
            with backend.recording():
                outputs = x
                for layer in leaves:
                    outputs = layer(outputs, training=True)
                if self._fused:
                    loss, grad = self.loss.fused_value_and_gradient(y, outputs, weights)
                else:
                    loss, grad = self.loss.value_and_gradient(y, outputs, weights)
                self._backward_layers(grad, leaves, self._fused, self._backward_stop)
                loss += penalties.add_penalties(leaves, with_gradients=True)
        except BaseException:
            for layer in leaves:
                layer.release()
            raise
        return loss, outputs

    @staticmethod
    def _backward_layers(grad, leaves, fused, stop=0):
        """Walk `leaves` backwards down to index `stop` (layers before it need no gradient).

        With `fused`, `grad` is the gradient w.r.t. the input of the last layer's output activation
        (the loss already went through softmax/sigmoid), so that layer skips its activation.
        """
        last = len(leaves) - 1
        for index in range(last, stop - 1, -1):
            layer = leaves[index]
            if fused and index == last:
                layer._pending_backward = False
                grad = layer.backward_pre_activation(grad)
            else:
                grad = layer.run_backward(grad)  # adds an activity penalty's gradient, if any
        for layer in leaves[:stop]:
            layer.release()
        return grad

    def _forward(self, x):
        return self.call(backend.cast(x), training=False)

    # ----- fit --------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_batch_size=None):
        """Train for `epochs` epochs; returns the History (`history.history['loss']`, ...)."""
        where = f"{self.name}.fit"
        self._check_compiled(where)
        batch_size = _data.check_batch_size(where, batch_size)
        x, y = _data.as_features(x, where), _data.as_targets(y, where)
        _data.check_lengths(where, x=x, y=y, sample_weight=sample_weight)
        weights = _data.sample_weights(where, y, sample_weight, class_weight)
        if validation_data is None and validation_split:
            (x, y, weights), validation_data = _data.split_validation(where, validation_split, x, y, weights)
        validation = self._prepare_validation(where, validation_data)
        self._check_data(where, x, y)
        self._prepare_training()
        backend.keep_freed_memory()  # no page faults for the arrays every step frees and allocates again
        metric_list = self._resolve_metrics(y, self.compute_output_shape((None,) + x.shape[1:]))
        steps = -(-len(x) // batch_size)
        callback_list = self._callbacks(callbacks, verbose, epochs, steps)
        self.stop_training = False
        callback_list.call("on_train_begin", {})
        logs = {}
        for epoch in self._epochs_to_run(initial_epoch, epochs, callback_list):  # resume hook (issue 4)
            callback_list.call("on_epoch_begin", epoch, {})
            logs = self._run_epoch(x, y, weights, batch_size, shuffle, metric_list, callback_list)
            if validation is not None:
                val_logs = self._evaluate_arrays(*validation, validation_batch_size or batch_size, metric_list)
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callback_list.call("on_epoch_end", epoch, logs)
            if self.stop_training:
                break
        callback_list.call("on_train_end", logs)
        return self.history

    def _run_epoch(self, x, y, weights, batch_size, shuffle, metric_list, callback_list):
        for metric in metric_list:
            metric.reset_state()
        batch_hooks = callback_list.needs("on_train_batch_end") or callback_list.needs("on_train_batch_begin")
        logs = {}
        batches = self._epoch_batches(_data.batch_indices(len(x), batch_size, shuffle), metric_list, callback_list)
        loss_total, seen = batches.totals  # resume hook (issue 4): (0.0, 0) unless resuming inside this epoch
        for step, index in batches:  # (step, index) pairs, from where a resumed epoch stopped
            if batch_hooks:
                callback_list.call("on_train_batch_begin", step, {})
            xb, yb = backend.cast(x[index]), y[index]
            wb = None if weights is None else weights[index]
            loss, outputs = self._train_step(xb, yb, wb)
            n = len(yb)
            loss_total += loss * n
            seen += n
            batches.totals = loss_total, seen  # resume hook (issue 4): what a mid-epoch backup saves
            for metric in metric_list:
                metric.update_state(yb, outputs)
            if batch_hooks:
                logs = self._logs(loss_total / seen, metric_list)
                callback_list.call("on_train_batch_end", step, logs)
            if self.stop_training:
                break
        return self._logs(loss_total / max(seen, 1), metric_list)

    @staticmethod
    def _logs(loss, metric_list):
        logs = {"loss": float(loss)}
        logs.update({metric.name: metric.result() for metric in metric_list})
        return logs

    def _callbacks(self, callbacks, verbose, epochs, steps):
        verbose = 1 if verbose == "auto" else verbose
        if verbose not in (0, 1, 2):
            raise bad_value(f"{self.name}.fit", "verbose", "'auto', 0, 1 or 2", verbose)
        callbacks = list(callbacks or [])
        history = next((c for c in callbacks if isinstance(c, History)), None) or History()
        # as Keras: the user's callbacks first, then History (it records what they added to the logs)
        callbacks = [c for c in callbacks if c is not history] + [history]
        if verbose and not any(isinstance(c, ProgbarLogger) for c in callbacks):
            callbacks.append(ProgbarLogger(verbose))
        return CallbackList(callbacks, self, {"epochs": epochs, "steps": steps, "verbose": verbose})

    def _prepare_validation(self, where, validation_data):
        if validation_data is None:
            return None
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise bad_type(where, "validation_data", "a tuple (x_val, y_val) or (x_val, y_val, sample_weight)",
                           validation_data)
        x_val = _data.as_features(validation_data[0], where, "validation_data[0]")
        y_val = _data.as_targets(validation_data[1], where, "validation_data[1]")
        w_val = (None if len(validation_data) == 2 or validation_data[2] is None
                 else numpy.asarray(validation_data[2], dtype=backend.floatx()))
        _data.check_lengths(where, x_val=x_val, y_val=y_val, sample_weight_val=w_val)
        self._check_data(where, x_val, y_val)
        return x_val, y_val, w_val

    def _check_data(self, where, x, y):
        """Build if needed, check feature shape, and check all labels against the loss before any update."""
        if not self.built:
            self.build((None,) + x.shape[1:])
        else:
            try:
                self.check_input_shape((None,) + x.shape[1:])
            except ValueError as error:
                raise ValueError(f"{where}: x has shape {x.shape}; {error}") from None
        output_shape = (len(y),) + tuple(self.compute_output_shape((None,) + x.shape[1:])[1:])
        fake_outputs = backend.xp.full(output_shape, 0.5, dtype=backend.floatx())
        self.loss.value(y, fake_outputs)  # raises a clear error for labels the loss cannot take

    # ----- evaluate and predict --------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, return_dict=False):
        """The loss and metrics on (x, y) in inference mode: a float, a list, or a dict if return_dict."""
        where = f"{self.name}.evaluate"
        self._check_compiled(where)
        batch_size = _data.check_batch_size(where, batch_size)
        x, y = _data.as_features(x, where), _data.as_targets(y, where)
        _data.check_lengths(where, x=x, y=y, sample_weight=sample_weight)
        weights = _data.sample_weights(where, y, sample_weight, None)
        self._check_data(where, x, y)
        metric_list = self._resolve_metrics(y, self.compute_output_shape((None,) + x.shape[1:]))
        logs = self._evaluate_arrays(x, y, weights, batch_size, metric_list)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def _evaluate_arrays(self, x, y, weights, batch_size, metric_list):
        loss_total, seen = 0.0, 0
        for metric in metric_list:
            metric.reset_state()
        for index in _data.batch_indices(len(x), batch_size, shuffle=False):
            outputs = self._forward(x[index])
            yb, wb = y[index], None if weights is None else weights[index]
            loss = self.loss.value(yb, outputs, wb) + penalties.add_penalties(self.leaf_layers(), with_gradients=False)
            loss_total += loss * len(yb)
            seen += len(yb)
            for metric in metric_list:
                metric.update_state(yb, outputs)
        return self._logs(loss_total / max(seen, 1), metric_list)

    def predict(self, x, batch_size=None, verbose="auto"):
        """Outputs for `x` in inference mode, batch by batch, as one NumPy array."""
        where = f"{self.name}.predict"
        batch_size = _data.check_batch_size(where, batch_size)
        x = _data.as_features(x, where)
        if not self.built:
            self.build((None,) + x.shape[1:])
        self.check_input_shape((None,) + x.shape[1:])
        outputs = [backend.to_numpy(self._forward(x[index]))
                   for index in _data.batch_indices(len(x), batch_size, shuffle=False)]
        return numpy.concatenate(outputs, axis=0)

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None, return_dict=False):
        """One update on one batch; returns the loss (and metrics) of that batch."""
        where = f"{self.name}.train_on_batch"
        self._check_compiled(where)
        x, y = _data.as_features(x, where), _data.as_targets(y, where)
        _data.check_lengths(where, x=x, y=y, sample_weight=sample_weight)
        weights = _data.sample_weights(where, y, sample_weight, class_weight)
        self._check_data(where, x, y)
        self._prepare_training()
        metric_list = self._resolve_metrics(y, self.compute_output_shape((None,) + x.shape[1:]))
        loss, outputs = self._train_step(backend.cast(x), y, weights)
        for metric in metric_list:
            metric.reset_state()
            metric.update_state(y, outputs)
        return self._format_result(self._logs(loss, metric_list), return_dict)

    def test_on_batch(self, x, y, sample_weight=None, return_dict=False):
        """The loss (and metrics) of one batch in inference mode."""
        logs = self.evaluate(x, y, batch_size=len(x), sample_weight=sample_weight, return_dict=True)
        return self._format_result(logs, return_dict)

    def predict_on_batch(self, x):
        """Outputs of one batch in inference mode."""
        return self.predict(x, batch_size=max(len(x), 1))

    @staticmethod
    def _format_result(logs, return_dict):
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def _check_compiled(self, where):
        if not self._compiled:
            raise RuntimeError(f"{where}: the model must be compiled first; call model.compile(optimizer, loss).")

    # ----- display ----------------------------------------------------------------------------
    def summary(self, line_length=None, print_fn=None):
        """Print the layers, output shapes and parameter counts in Keras 3's layout."""
        from trainwell.models.summary import format_summary  # noqa: PLC0415
        text = format_summary(self, line_length)
        (print_fn or print)(text)

    # ===== saving and resuming (issue 4): thin delegates to models/saving.py and callbacks/backup_and_restore.py
    def save(self, filepath, overwrite=True, include_optimizer=True):
        """Save architecture, weights, compile config and optimizer state to one HDF5 file (`.h5`/`.hdf5`)."""
        from trainwell.models import saving  # noqa: PLC0415  (saving imports this module)
        saving.save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath, overwrite=True):
        """Save the weights (and optimizer state) to a `.weights.h5` file in Keras's layout."""
        from trainwell.models import saving  # noqa: PLC0415
        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False):
        """Load weights saved by `save_weights` or `save`; all shapes are checked before any is assigned."""
        from trainwell.models import saving  # noqa: PLC0415
        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def to_json(self, **kwargs):
        """The architecture as JSON text; `models.model_from_json` rebuilds it with fresh weights."""
        from trainwell.models import saving  # noqa: PLC0415
        return saving.model_to_json(self, **kwargs)

    def _epochs_to_run(self, initial_epoch, epochs, callback_list):
        """fit's epochs: from `initial_epoch`, or from where a BackupAndRestore's backup stopped."""
        from trainwell.callbacks import backup_and_restore  # noqa: PLC0415
        return backup_and_restore.epochs_to_run(callback_list, initial_epoch, epochs)

    def _epoch_batches(self, batches, metric_list, callback_list):
        """One epoch's (step, batch index) pairs with its running `totals`, resumable mid-epoch."""
        from trainwell.callbacks import backup_and_restore  # noqa: PLC0415
        return backup_and_restore.epoch_batches(callback_list, batches, metric_list)
    # ===== end of saving and resuming (issue 4)
