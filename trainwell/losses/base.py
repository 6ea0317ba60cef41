"""The loss base: per-sample values, one reduction, rank alignment, sample weights, the registry."""
import math
import re

from trainwell import backend
from trainwell import _registry
from trainwell._errors import bad_type, bad_value

REGISTRY = _registry.Registry("loss")
REDUCTIONS = ("mean", "mean_with_sample_weight", "none", "sum", "sum_over_batch_size")


class Loss:
    """Base of every loss: per-sample values `call`, their gradient `call_gradient`, one reduction.

    loss = reduce(call(y_true, y_pred) * sample_weight), `call` giving one value per sample (its
    last axis reduced). `reduction` (defaults to 'sum_over_batch_size', Keras's):
      'sum_over_batch_size' or 'mean': sum / number of per-sample values (zero weights still count);
      'sum': the sum;  'mean_with_sample_weight': sum / sum(sample_weight);
      'none' or None: the weighted per-sample array. A zero divisor gives 0, not NaN.
    `gradient` is d loss / d y_pred: `call_gradient` (d sum(call) / d y_pred) times the same weights
    and divisor (for 'none', the gradient of the sum). y_true (N,) against y_pred (N, 1) is aligned
    to (N, 1), never broadcast to (N, N) (`squeeze_or_expand_to_same_rank`).

    To write a loss, subclass with `call` and `call_gradient` (trainwell has no automatic
    differentiation). Both receive arrays already cast to y_pred's float dtype and rank-aligned;
    `call_gradient` returns a new array, which the reduction scales in place.
    Differs from PyTorch: weighted PyTorch losses (`weight=`) divide by the sum of the weights,
    which is 'mean_with_sample_weight' here, not the default.
    Example: `MeanSquaredError()([[0., 1.], [0., 0.]], [[1., 1.], [1., 0.]])` -> 0.5
    """

    fuses_with = None  # the output activation whose Jacobian `fused_value_and_gradient` folds in
    axis = -1

    def __init__(self, reduction="sum_over_batch_size", name=None):
        where = type(self).__name__
        if reduction is not None and (not isinstance(reduction, str) or reduction not in REDUCTIONS):
            options = ", ".join(repr(option) for option in REDUCTIONS)
            raise bad_value(where, "reduction", f"one of {options} or None", reduction)
        if name is not None and not isinstance(name, str):
            raise bad_type(where, "name", "a string or None", name)
        self.reduction = reduction
        self.name = name or re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", where).lower()

    def call(self, y_true, y_pred):
        """Per-sample values, y_pred's last axis reduced."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def call_gradient(self, y_true, y_pred):
        """d sum(call(y_true, y_pred)) / d y_pred, a new array of y_pred's shape."""
        raise NotImplementedError(f"{type(self).__name__} must implement call_gradient(y_true, y_pred).")

    def __call__(self, y_true, y_pred, sample_weight=None):
        return self.value(y_true, y_pred, sample_weight)

    def value(self, y_true, y_pred, sample_weight=None):
        """The reduced loss: a Python float (the weighted per-sample array for reduction 'none')."""
        y_true, y_pred, _ = self._prepare(y_true, y_pred)
        weights, scale = self._weighting(y_true, y_pred, sample_weight)
        return self._reduce(self.call(y_true, y_pred), weights, scale)

    def gradient(self, y_true, y_pred, sample_weight=None):
        """d value(y_true, y_pred, sample_weight) / d y_pred, a backend array of y_pred's shape."""
        return self.value_and_gradient(y_true, y_pred, sample_weight)[1]

    def value_and_gradient(self, y_true, y_pred, sample_weight=None):
        """(value, gradient) with the labels prepared and checked once: the training step's call."""
        return self._value_and_gradient(y_true, y_pred, sample_weight, self.call_gradient)

    def fused_value_and_gradient(self, y_true, probabilities, sample_weight=None):
        """(value, gradient w.r.t. the logits z) when `probabilities` = activation(z), for the output layer.

        Qualifying pairs, with from_logits=False only: softmax + CategoricalCrossentropy, softmax +
        SparseCategoricalCrossentropy, sigmoid + BinaryCrossentropy (`fuses_with` names the activation).
        The value is exactly `value(y_true, probabilities, sample_weight)` (clipped probabilities).
        The gradient is the chain rule through the activation, simplified: (p - y) * w / divisor
        with y the smoothed (or one-hot) labels (p sum(y) - y for soft labels whose rows do not sum
        to 1); binary cross-entropy means over its last axis of size d, so its divisor has an extra
        factor d. It never divides by p or p(1 - p), and it skips the clip, so saturated outputs
        still learn. The caller must not backpropagate through the activation again.
        """
        if self.fuses_with is None:
            raise bad_value(type(self).__name__, "fuses_with", "'sigmoid' or 'softmax' to fuse", None,
                            "Only the cross-entropy losses with from_logits=False fuse with an output "
                            "activation; use value_and_gradient.")
        return self._value_and_gradient(y_true, probabilities, sample_weight, self._logits_gradient)

    def get_config(self):
        """The constructor arguments, as a JSON-friendly dict."""
        return {"reduction": self.reduction, "name": self.name}

    @classmethod
    def from_config(cls, config):
        """A new instance built from `get_config()`'s output."""
        return cls(**config)

    # ----- shared machinery -------------------------------------------------------------------
    def _prepare(self, y_true, y_pred):
        """(y_true, y_pred, y_pred's shape as given): cast to y_pred's float dtype, ranks aligned, labels checked."""
        y_pred = _as_float(y_pred, type(self).__name__)
        shape = y_pred.shape
        y_true = backend.xp.asarray(y_true, dtype=y_pred.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        self._check_labels(y_true, y_pred)
        return y_true, y_pred, shape

    def _check_labels(self, y_true, y_pred):
        where = type(self).__name__
        if y_true.shape != y_pred.shape:
            raise bad_value(where, "y_true", f"an array of y_pred's shape {tuple(y_pred.shape)}", y_true,
                            self._shape_fix(y_true, y_pred))
        _check_finite(where, y_true)

    def _shape_fix(self, y_true, y_pred):
        return None

    def _valid_mask(self, y_true):
        """Per-sample booleans of the samples that count (None: all of them)."""
        return None

    def _weighting(self, y_true, y_pred, sample_weight):
        """(per-sample weights or None, 1 / divisor) for this reduction."""
        shape = _without_axis(y_pred.shape, self.axis)
        weights = None
        if sample_weight is not None:
            weights = broadcast_sample_weight(sample_weight, shape, y_pred.dtype, type(self).__name__)
        mask = self._valid_mask(y_true)
        if mask is not None:
            weights = mask.astype(y_pred.dtype) if weights is None else weights * mask
        if self.reduction in ("sum", "none", None):
            return weights, 1.0
        count = math.prod(shape)
        if self.reduction == "mean_with_sample_weight" and weights is not None:
            # the sum over the weights broadcast to every per-sample value
            count = float(weights.sum()) * (count / max(weights.size, 1))
        elif mask is not None:
            count = float(mask.sum())  # ignored samples do not dilute the mean
        return weights, (0.0 if count == 0 else 1.0 / count)

    def _reduce(self, values, weights, scale):
        if weights is not None:
            values = values * weights
        if self.reduction in ("none", None):
            return values
        return float(values.sum()) * scale

    def _scale_gradient(self, grad, weights, scale):
        if weights is not None:
            # a sample's weight scales every element its value was reduced over
            grad *= backend.xp.expand_dims(weights * scale, self.axis % grad.ndim)
        elif scale != 1.0:
            grad *= scale
        return grad

    def _value_and_gradient(self, y_true, y_pred, sample_weight, per_sample_gradient):
        y_true, y_pred, shape = self._prepare(y_true, y_pred)
        weights, scale = self._weighting(y_true, y_pred, sample_weight)
        value = self._reduce(self.call(y_true, y_pred), weights, scale)
        grad = self._scale_gradient(per_sample_gradient(y_true, y_pred), weights, scale)
        return value, grad.reshape(shape)  # y_pred (N,) was aligned to (N, 1): give its shape back


def squeeze_or_expand_to_same_rank(x1, x2):
    """Align ranks that differ by one where the higher-rank array ends in a dimension of size 1.

    The rank-1 array is expanded to (N, 1); otherwise the trailing 1 is squeezed:
    (N,) and (N, 1) -> both (N, 1); (N, T) and (N, T, 1) -> both (N, T). Other pairs are unchanged.
    """
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        return (x1, x2[..., None]) if x2.ndim == 1 else (x1[..., 0], x2)
    if x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        return (x1[..., None], x2) if x1.ndim == 1 else (x1, x2[..., 0])
    return x1, x2


def broadcast_sample_weight(sample_weight, shape, dtype, where):
    """`sample_weight` as a backend array of rank len(shape) that broadcasts to `shape`.

    (N, 1) against (N,) is squeezed; a weight per sample applies to all values of that sample,
    so (N,) against (N, T) becomes (N, 1). Anything else that does not broadcast is an error.
    """
    weights = backend.xp.asarray(sample_weight, dtype=dtype)
    rank = len(shape)
    if weights.ndim == rank + 1 and weights.shape[-1] == 1:
        weights = weights[..., 0]
    if weights.ndim < rank:
        weights = weights.reshape(weights.shape + (1,) * (rank - weights.ndim))
    if weights.ndim != rank or any(size not in (1, full) for size, full in zip(weights.shape, shape)):
        raise bad_value(where, "sample_weight", f"an array that broadcasts to the per-sample values' "
                        f"shape {tuple(shape)}", sample_weight)
    return weights


def _as_float(y_pred, where):
    y_pred = backend.xp.asarray(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = y_pred.astype(backend.floatx())
    if y_pred.ndim == 0:
        raise bad_value(where, "y_pred", "an array with at least one axis", y_pred)
    return y_pred


def _check_finite(where, y_true):
    if not bool(backend.xp.isfinite(y_true).all()):
        raise bad_value(where, "y_true", "finite (no NaN or Inf)", y_true,
                        "Clean or impute the labels before training.")


def _without_axis(shape, axis):
    axis %= len(shape)
    return tuple(shape[:axis]) + tuple(shape[axis + 1:])

