"""Streaming metrics: running sums over every sample seen since the last reset_state()."""
import math
import re

from trainwell import backend
from trainwell import _registry
from trainwell._errors import bad_type, bad_value, check_choice, check_number, unknown_name
from trainwell.losses import broadcast_sample_weight, squeeze_or_expand_to_same_rank

REGISTRY = _registry.Registry("metric")
ACCURACY_NAMES = ("acc", "accuracy")


class Metric:
    """Base of the streaming metrics: `update_state` per batch, `result()` at any time, `reset_state()`.

    `result()` is a Python float over everything seen since the last reset (an epoch in `fit`).
    `direction` is 'up' when larger is better, 'down' otherwise: what callbacks with mode='auto'
    use. `name` (defaults to the snake_case class name) is the key in the training logs.
    """

    direction = "down"

    def __init__(self, name=None):
        if name is not None and not isinstance(name, str):
            raise bad_type(type(self).__name__, "name", "a string or None", name)
        self.name = name or re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_",
                                   type(self).__name__).lower()
        self.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add one batch to the running state."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state.")

    def result(self):
        """The metric over everything seen since the last reset, a Python float."""
        raise NotImplementedError(f"{type(self).__name__} must implement result.")

    def reset_state(self):
        """Forget everything seen."""
        raise NotImplementedError(f"{type(self).__name__} must implement reset_state.")

    def __call__(self, *args, **kwargs):
        """Update with one batch, then return `result()` (as a Keras metric called directly)."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        """The constructor arguments, as a JSON-friendly dict."""
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        """A new instance built from `get_config()`'s output."""
        return cls(**config)


@REGISTRY.register()
class Mean(Metric):
    """Weighted mean of every value seen: sum(w v) / sum(w), w defaulting to 1 per value.

    `update_state(values, sample_weight=None)`; weights broadcast to the values, so the training
    loop tracks the loss with `update_state(batch_loss, sample_weight=batch_size)`. 0 before any
    update. Example: `m = Mean(); m.update_state([1., 3.]); m.update_state(5., 2.)` -> 3.5
    """

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None):
        values = backend.xp.asarray(values)
        if values.dtype.kind != "f":
            values = values.astype("float64")  # counts of hits (booleans) sum exactly
        if sample_weight is None:
            self.total += float(values.sum())
            self.count += values.size
            return
        # float64 weights: the running sums of float32 losses or hits keep full precision
        weights = broadcast_sample_weight(sample_weight, values.shape, "float64", type(self).__name__)
        self.total += float((values * weights).sum())
        self.count += float(weights.sum()) * (values.size / max(weights.size, 1))

    def result(self):
        return self.total / self.count if self.count else 0.0


class MeanMetricWrapper(Mean):
    """The weighted mean of per-sample values fn(y_true, y_pred) over all samples seen.

    Every sample counts once, whatever its batch: two batches give the one-batch result, not a
    mean of batch means. y_true (N,) against y_pred (N, 1) is rank-aligned as in the losses; 1-D
    inputs count one value per element (Keras would average a 1-D batch into one value).
    Subclasses override `per_sample`; a plain `fn` works too (`direction` defaults to 'down').
    Example: `MeanMetricWrapper(lambda t, p: abs(t - p).max(axis=-1), name="max_error")`.
    """

    same_shape = True  # y_true must have y_pred's shape (False for integer-label metrics)

    def __init__(self, fn=None, name=None, direction=None):
        if fn is not None and not callable(fn):
            raise bad_type(type(self).__name__, "fn", "a function fn(y_true, y_pred) or None", fn)
        self.fn = fn
        if direction is not None:
            self.direction = check_choice(type(self).__name__, "direction", direction, ("down", "up"))
        super().__init__(name=name or getattr(fn, "__name__", None))

    def per_sample(self, y_true, y_pred):
        """One value per sample (y_pred's last axis reduced)."""
        return self.fn(y_true, y_pred)

    def update_state(self, y_true, y_pred, sample_weight=None):
        xp = backend.xp
        y_pred = xp.asarray(y_pred)
        y_true = xp.asarray(y_true, dtype=y_pred.dtype if self.same_shape else None)
        if y_pred.ndim == 1:
            y_true, y_pred = y_true[:, None], y_pred[:, None]
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if self.same_shape and y_true.shape != y_pred.shape:
            raise bad_value(type(self).__name__, "y_true", f"an array of y_pred's shape {tuple(y_pred.shape)}",
                            y_true)
        super().update_state(self.per_sample(y_true, y_pred), sample_weight)


@REGISTRY.register("binary_accuracy")
class BinaryAccuracy(MeanMetricWrapper):
    """Share of elements where (y_pred > threshold) equals y_true, averaged over the last axis.

    The comparison is strict: y_pred = 0.5 predicts 0. Defaults: threshold=0.5, name='binary_accuracy'.
    """

    direction = "up"

    def __init__(self, threshold=0.5, name=None):
        self.threshold = float(check_number("BinaryAccuracy", "threshold", threshold))
        super().__init__(name=name)

    def per_sample(self, y_true, y_pred):
        return backend.xp.mean(y_true == (y_pred > self.threshold), axis=-1)

    def get_config(self):
        return {"threshold": self.threshold, **super().get_config()}


@REGISTRY.register("categorical_accuracy")
class CategoricalAccuracy(MeanMetricWrapper):
    """Share of samples where argmax(y_pred) equals argmax(y_true) (one-hot labels; first max wins)."""

    direction = "up"

    def per_sample(self, y_true, y_pred):
        xp = backend.xp
        return xp.argmax(y_true, axis=-1) == xp.argmax(y_pred, axis=-1)


@REGISTRY.register("sparse_categorical_accuracy")
class SparseCategoricalAccuracy(MeanMetricWrapper):
    """Share of samples where argmax(y_pred) equals the integer label (shape (N,) or (N, 1))."""

    direction = "up"
    same_shape = False

    def per_sample(self, y_true, y_pred):
        labels = _sparse_labels(type(self).__name__, y_true, y_pred)
        return backend.xp.argmax(y_pred, axis=-1) == labels


@REGISTRY.register("top_k_categorical_accuracy")
class TopKCategoricalAccuracy(MeanMetricWrapper):
    """Share of samples whose true class (argmax of one-hot y_true) is among the k top scores.

    A class tied with the k-th largest score counts as in the top k. Defaults: k=5,
    name='top_k_categorical_accuracy'.
    """

    direction = "up"

    def __init__(self, k=5, name=None):
        self.k = check_number(type(self).__name__, "k", k, low=1, integer=True)
        super().__init__(name=name)

    def per_sample(self, y_true, y_pred):
        return _in_top_k(backend.xp.argmax(y_true, axis=-1), y_pred, self.k)

    def get_config(self):
        return {"k": self.k, **super().get_config()}


@REGISTRY.register("sparse_top_k_categorical_accuracy")
class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    """TopKCategoricalAccuracy with integer labels (shape (N,) or (N, 1)). Defaults: k=5."""

    same_shape = False

    def per_sample(self, y_true, y_pred):
        return _in_top_k(_sparse_labels(type(self).__name__, y_true, y_pred), y_pred, self.k)


@REGISTRY.register("mean_squared_error", "mse", "MSE")
class MeanSquaredError(MeanMetricWrapper):
    """Mean of (y_true - y_pred)^2 over the last axis, then over all samples seen."""

    def per_sample(self, y_true, y_pred):
        return backend.xp.mean(backend.xp.square(y_pred - y_true), axis=-1)


@REGISTRY.register("mean_absolute_error", "mae", "MAE")
class MeanAbsoluteError(MeanMetricWrapper):
    """Mean of |y_true - y_pred| over the last axis, then over all samples seen."""

    def per_sample(self, y_true, y_pred):
        return backend.xp.mean(backend.xp.abs(y_pred - y_true), axis=-1)


@REGISTRY.register("root_mean_squared_error")
class RootMeanSquaredError(MeanSquaredError):
    """sqrt of the mean squared error over all samples seen (not a mean of per-batch roots)."""

    def result(self):
        return math.sqrt(super().result())


@REGISTRY.register("auc")
class AUC(Metric):
    """Area under the ROC curve for binary targets, from weighted confusion counts at fixed thresholds.

    Thresholds (Keras's): t_0 = -1e-7, t_i = i / (num_thresholds - 1), t_last = 1 + 1e-7. At each,
    TP_i and FP_i add up the weights of positives and negatives with y_pred > t_i, over all
    batches; TPR_i = TP_i / P, FPR_i = FP_i / N, and
        AUC = sum_i (FPR_i - FPR_{i+1}) (TPR_i + TPR_{i+1}) / 2,
    the trapezoid rule ('interpolation' summation, curve='ROC'). Predictions between the same
    two thresholds count as tied, so this differs from the exact rank AUC by at most half the
    share of (positive, negative) pairs that fall between the same thresholds. y_true must be
    0 or 1, y_pred probabilities in [0, 1] (inputs are flattened). 0 without positives or negatives.
    Defaults: num_thresholds=200, name='auc'. Not implemented: curve='PR', multi_label, from_logits.
    """

    direction = "up"

    def __init__(self, num_thresholds=200, name=None):
        self.num_thresholds = check_number("AUC", "num_thresholds", num_thresholds, low=2, integer=True)
        super().__init__(name=name)

    def reset_state(self):
        xp = backend.xp
        self.true_positives = xp.zeros(self.num_thresholds)
        self.false_positives = xp.zeros(self.num_thresholds)
        self.positives = 0.0
        self.negatives = 0.0

    def thresholds(self):
        """The num_thresholds thresholds, ascending, as a float64 backend array."""
        xp = backend.xp
        inner = xp.arange(1, self.num_thresholds - 1) / (self.num_thresholds - 1)
        return xp.concatenate([xp.asarray([-1e-7]), inner, xp.asarray([1.0 + 1e-7])])

    def update_state(self, y_true, y_pred, sample_weight=None):
        xp = backend.xp
        where = type(self).__name__
        y_pred = xp.asarray(y_pred, dtype="float64")
        y_true = xp.asarray(y_true, dtype="float64")
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if y_true.shape != y_pred.shape:
            raise bad_value(where, "y_true", f"an array of y_pred's shape {tuple(y_pred.shape)}", y_true)
        if not bool(((y_true == 0) | (y_true == 1)).all()):
            raise bad_value(where, "y_true", "binary labels (0 or 1)", y_true)
        if not bool(((y_pred >= 0) & (y_pred <= 1)).all()):
            raise bad_value(where, "y_pred", "probabilities in [0, 1]", y_pred, "Apply a sigmoid to logits.")
        weights = xp.ones_like(y_pred)
        if sample_weight is not None:
            weights = weights * broadcast_sample_weight(sample_weight, y_pred.shape, y_pred.dtype, where)
        # bucket b = how many thresholds lie strictly below y_pred: y_pred > t_i exactly for i < b
        buckets = xp.searchsorted(self.thresholds(), y_pred.ravel(), side="left")
        positive = (weights * y_true).ravel()
        negative = (weights * (1.0 - y_true)).ravel()
        for counts, share in ((self.true_positives, positive), (self.false_positives, negative)):
            per_bucket = xp.bincount(buckets, weights=share, minlength=self.num_thresholds + 1)
            counts += xp.cumsum(per_bucket[::-1])[::-1][1:]  # weight in buckets above threshold i
        self.positives += float(positive.sum())
        self.negatives += float(negative.sum())

    def result(self):
        xp = backend.xp
        tpr = self.true_positives / self.positives if self.positives else xp.zeros(self.num_thresholds)
        fpr = self.false_positives / self.negatives if self.negatives else xp.zeros(self.num_thresholds)
        return float(xp.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:])) / 2)

    def get_config(self):
        return {"num_thresholds": self.num_thresholds, **super().get_config()}


def get(identifier, y_true_shape=None, y_pred_shape=None):
    """A metric from a name, a `serialize` dict, a Metric, a Metric subclass or a function.

    'accuracy' / 'acc' (any case) picks, from the shapes: BinaryAccuracy when y_pred's last
    dimension is 1; SparseCategoricalAccuracy when y_true has a lower rank than y_pred or ends in
    a dimension of 1; CategoricalAccuracy otherwise. The metric keeps the name typed ('acc' logs
    as 'acc'); so does every other string ('mse' -> MeanSquaredError(name='mse')). A Metric ->
    itself; a function fn(y_true, y_pred) of per-sample values -> MeanMetricWrapper(fn).
    """
    where = "metrics.get"
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier.lower() in ACCURACY_NAMES:
            return _accuracy_for_shapes(identifier, y_true_shape, y_pred_shape)
        if identifier not in REGISTRY:
            raise unknown_name(where, "metric", identifier, [*REGISTRY.names(), *ACCURACY_NAMES])
        return REGISTRY.lookup(identifier, where)(name=identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise bad_type(where, "metric", "a metric name, a Metric instance, a config dict or a function", identifier)


def serialize(metric):
    """{'class_name': ..., 'config': ...} for a Metric."""
    if not isinstance(metric, Metric):
        raise bad_type("metrics.serialize", "metric", "a Metric instance", metric)
    return _registry.serialize(metric)


def deserialize(config, custom_objects=None):
    """The metric `serialize` described; builds only registered classes or custom_objects."""
    return _registry.deserialize(REGISTRY, config, "metrics.deserialize", custom_objects)


def _accuracy_for_shapes(name, y_true_shape, y_pred_shape):
    where = "metrics.get"
    for argument, shape in (("y_true_shape", y_true_shape), ("y_pred_shape", y_pred_shape)):
        if shape is None or len(shape) == 0:
            raise bad_value(where, argument, f"the label/output shape to resolve {name!r}", shape,
                            "Or name the metric: 'binary_accuracy', 'categorical_accuracy' or "
                            "'sparse_categorical_accuracy'.")
    if y_pred_shape[-1] == 1:
        return BinaryAccuracy(name=name)
    if len(y_true_shape) < len(y_pred_shape) or y_true_shape[-1] == 1:
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


def _sparse_labels(where, y_true, y_pred):
    """Integer labels of y_pred's shape without its last axis, checked to lie in [0, K)."""
    xp = backend.xp
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape[:-1]:
        raise bad_value(where, "y_true", f"integer labels of shape {tuple(y_pred.shape[:-1])}", y_true)
    if not bool(((y_true >= 0) & (y_true < y_pred.shape[-1]) & (y_true == xp.round(y_true))).all()):
        raise bad_value(where, "y_true", f"integer class labels in [0, {y_pred.shape[-1]})", y_true)
    return y_true.astype("int64")


def _in_top_k(labels, y_pred, k):
    """True where the label's score is >= the k-th largest: fewer than k scores beat it."""
    xp = backend.xp
    label_score = xp.take_along_axis(y_pred, labels[..., None], axis=-1)
    return xp.sum(y_pred > label_score, axis=-1) < k
