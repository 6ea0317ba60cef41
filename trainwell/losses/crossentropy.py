"""Cross-entropy losses (binary, categorical, sparse) with their gradients and fused softmax/sigmoid paths."""
from trainwell import backend
from trainwell.activations import log_softmax, softmax  # both shifted by the max: finite for any logits
from trainwell._errors import bad_type, bad_value, check_number
from trainwell.losses.base import REGISTRY, Loss, _as_float, _check_finite, _without_axis

# Probabilities are clipped to [PROBABILITY_CLIP, 1 - PROBABILITY_CLIP] before a log (Keras's
# epsilon): a saturated sigmoid or softmax gives exactly 0 or 1 in float32, and log(0) = -inf.
PROBABILITY_CLIP = 1e-7


class _Crossentropy(Loss):
    """Shared arguments of the cross-entropy losses: from_logits, axis, label smoothing, the fused switch."""

    smoothing_classes = None  # smoothing spreads label_smoothing over this many classes (None: K)

    def __init__(self, from_logits, axis, reduction, name, label_smoothing=None):
        super().__init__(reduction=reduction, name=name)
        where = type(self).__name__
        if not isinstance(from_logits, bool):
            raise bad_type(where, "from_logits", "True or False", from_logits)
        self.from_logits = from_logits
        self.axis = check_number(where, "axis", axis, integer=True)
        if label_smoothing is not None:
            label_smoothing = float(check_number(where, "label_smoothing", label_smoothing, low=0, high=1))
        self.label_smoothing = label_smoothing
        if from_logits:
            self.fuses_with = None  # logits need no activation to fold in

    def _smooth(self, y_true):
        """y (1 - label_smoothing) + label_smoothing / classes."""
        if not self.label_smoothing:
            return y_true
        classes = self.smoothing_classes or y_true.shape[self.axis]
        return y_true * (1.0 - self.label_smoothing) + self.label_smoothing / classes

    def _check_labels(self, y_true, y_pred):
        _check_axis(type(self).__name__, y_pred, self.axis)
        super()._check_labels(y_true, y_pred)

    def get_config(self):
        config = {"from_logits": self.from_logits, "axis": self.axis, **super().get_config()}
        if self.label_smoothing is not None:
            config["label_smoothing"] = self.label_smoothing
        return config


@REGISTRY.register("binary_crossentropy", "bce", "BCE")
class BinaryCrossentropy(_Crossentropy):
    """Binary cross-entropy, averaged over `axis`: -mean(y log p + (1 - y) log(1 - p)).

    Labels are smoothed first, y <- y (1 - label_smoothing) + label_smoothing / 2. Probabilities
    are clipped, p = clip(y_pred, 1e-7, 1 - 1e-7); with from_logits=True, p = sigmoid(z) and the
    value uses the stable form softplus(z) - y z, finite for any z. Gradient of one sample's
    value: (p - y) / (p (1 - p) d) for probabilities (0 where the clip is active), (p - y) / d
    for logits. Labels must lie in [0, 1].
    Defaults: from_logits=False, label_smoothing=0.0, axis=-1, reduction='sum_over_batch_size',
    name='binary_crossentropy'. PyTorch: `BCELoss` clamps log at -100 instead of clipping p,
    and has no smoothing; `BCEWithLogitsLoss` is from_logits=True.
    Example: `BinaryCrossentropy()([[0., 1.], [0., 0.]], [[0.6, 0.4], [0.4, 0.6]])` -> 0.815
    """

    fuses_with = "sigmoid"
    smoothing_classes = 2

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_crossentropy"):
        super().__init__(from_logits, axis, reduction, name, label_smoothing)

    def call(self, y_true, y_pred):
        xp = backend.xp
        y = self._smooth(y_true)
        if self.from_logits:
            per_element = xp.logaddexp(0.0, y_pred) - y * y_pred  # softplus(z) - y z
        else:
            p = _clip(y_pred)
            per_element = -(y * xp.log(p) + (1.0 - y) * xp.log1p(-p))
        return xp.mean(per_element, axis=self.axis)

    def call_gradient(self, y_true, y_pred):
        if self.from_logits:
            return self._logits_gradient(y_true, _sigmoid(y_pred))
        y = self._smooth(y_true)
        p = _clip(y_pred)
        grad = (p - y) / (p * (1.0 - p))
        grad *= p == y_pred  # a clipped input gets no gradient
        grad /= y_pred.shape[self.axis]
        return grad

    def _logits_gradient(self, y_true, p):
        grad = p - self._smooth(y_true)
        grad /= p.shape[self.axis]
        return grad

    def _check_labels(self, y_true, y_pred):
        super()._check_labels(y_true, y_pred)
        if not bool(((y_true >= 0) & (y_true <= 1)).all()):
            raise bad_value(type(self).__name__, "y_true", "in [0, 1] (binary or soft labels)", y_true,
                            "For class indices use loss='sparse_categorical_crossentropy'.")


@REGISTRY.register("categorical_crossentropy")
class CategoricalCrossentropy(_Crossentropy):
    """Categorical cross-entropy over `axis` (the K classes): -sum(y log p) for one-hot/soft labels.

    Labels are smoothed first, y <- y (1 - label_smoothing) + label_smoothing / K. Probabilities
    are renormalized and clipped, p = clip(y_pred / sum(y_pred), 1e-7, 1 - 1e-7); with
    from_logits=True, log p = z - logsumexp(z) (shifted, finite for any z). Gradient of one
    sample's value: through q = y_pred / S (S = sum(y_pred)), (g - sum(g q)) / S with g = -y / p
    (0 where clipped); for logits, softmax(z) sum(y) - y.
    Defaults: from_logits=False, label_smoothing=0.0, axis=-1, reduction='sum_over_batch_size',
    name='categorical_crossentropy'. K must be at least 2 (Keras only warns). PyTorch:
    `CrossEntropyLoss` takes logits (from_logits=True); its label_smoothing is the same formula.
    Example: `CategoricalCrossentropy()([[0, 1, 0], [0, 0, 1]], [[.05, .95, 0], [.1, .8, .1]])` -> 1.177
    """

    fuses_with = "softmax"

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy"):
        super().__init__(from_logits, axis, reduction, name, label_smoothing)

    def call(self, y_true, y_pred):
        xp = backend.xp
        y = self._smooth(y_true)
        if self.from_logits:
            log_p = log_softmax(y_pred, self.axis)
        else:
            total = xp.sum(y_pred, axis=self.axis, keepdims=True)
            log_p = xp.log(_clip(y_pred / total))
        return -xp.sum(y * log_p, axis=self.axis)

    def call_gradient(self, y_true, y_pred):
        xp = backend.xp
        if self.from_logits:
            return self._logits_gradient(y_true, softmax(y_pred, self.axis))
        total = xp.sum(y_pred, axis=self.axis, keepdims=True)
        q = y_pred / total
        p = _clip(q)
        g = -self._smooth(y_true) / p
        g *= p == q  # a clipped probability gets no gradient
        # q_j = y_pred_j / S:  dL/dy_pred_i = (g_i - sum_j g_j q_j) / S
        grad = g - xp.sum(g * q, axis=self.axis, keepdims=True)
        grad /= total
        return grad

    def _logits_gradient(self, y_true, p):
        # through softmax: p sum(y) - y, which is p - y for one-hot or smoothed one-hot rows
        y = self._smooth(y_true)
        grad = p * backend.xp.sum(y, axis=self.axis, keepdims=True)
        grad -= y
        return grad

    def _check_labels(self, y_true, y_pred):
        super()._check_labels(y_true, y_pred)
        _check_classes(type(self).__name__, y_pred, self.axis)

    def _shape_fix(self, y_true, y_pred):
        looks_sparse = y_true.shape in (y_pred.shape[:-1], y_pred.shape[:-1] + (1,))
        if looks_sparse and bool((y_true == backend.xp.round(y_true)).all()):
            return ("y_true looks like integer class labels: use loss='sparse_categorical_crossentropy', "
                    "or one-hot encode them.")
        return None


@REGISTRY.register("sparse_categorical_crossentropy")
class SparseCategoricalCrossentropy(_Crossentropy):
    """Categorical cross-entropy with integer class labels: -log p[label] over `axis` (K classes).

    y_true holds class indices in [0, K) of shape y_pred's without `axis` (a trailing 1 is
    squeezed). p = clip(y_pred / sum(y_pred), 1e-7, 1 - 1e-7); with from_logits=True, the value
    is logsumexp(z) - z[label]. Samples labelled `ignore_class` give 0 and leave the mean's
    divisor (it counts the other samples). Gradient of one sample's value: for probabilities,
    g (onehot - q[label]) / S with g = -1 / p[label] (0 where clipped), q = y_pred / S; for
    logits, softmax(z) - onehot. Same value as CategoricalCrossentropy on one-hot labels.
    Defaults: from_logits=False, ignore_class=None, axis=-1, reduction='sum_over_batch_size',
    name='sparse_categorical_crossentropy'. PyTorch: `CrossEntropyLoss` with class indices is
    from_logits=True here; its `ignore_index` defaults to -100.
    Example: `SparseCategoricalCrossentropy()([1, 2], [[.05, .95, 0], [.1, .8, .1]])` -> 1.177
    """

    fuses_with = "softmax"

    def __init__(self, from_logits=False, ignore_class=None, axis=-1, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy"):
        super().__init__(from_logits, axis, reduction, name)
        self.ignore_class = check_number(type(self).__name__, "ignore_class", ignore_class, integer=True,
                                         allow_none=True)

    def call(self, y_true, y_pred):
        xp = backend.xp
        labels, keep = self._labels(y_true)
        index = xp.expand_dims(labels, self.axis)
        picked = xp.take_along_axis(y_pred, index, axis=self.axis).squeeze(self.axis)
        if self.from_logits:
            peak = xp.max(y_pred, axis=self.axis, keepdims=True)
            log_total = xp.log(xp.sum(xp.exp(y_pred - peak), axis=self.axis)) + peak.squeeze(self.axis)
            values = log_total - picked  # logsumexp(z) - z[label]
        else:
            q = picked / xp.sum(y_pred, axis=self.axis)
            values = -xp.log(_clip(q))
        return values if keep is None else values * keep

    def call_gradient(self, y_true, y_pred):
        xp = backend.xp
        if self.from_logits:
            return self._logits_gradient(y_true, softmax(y_pred, self.axis))
        labels, keep = self._labels(y_true)
        total = xp.sum(y_pred, axis=self.axis, keepdims=True)
        q = xp.take_along_axis(y_pred, xp.expand_dims(labels, self.axis), axis=self.axis) / total
        p = _clip(q)
        g = -1.0 / p  # d(-log p) / dq[label]
        g *= p == q  # 0 where clipped
        if keep is not None:
            g *= xp.expand_dims(keep, self.axis)
        # q_j = y_pred_j / S:  dL/dy_pred_i = g (onehot_i - q[label]) / S
        return (self._onehot(labels, y_pred) - q) * (g / total)

    def _logits_gradient(self, y_true, p):
        labels, keep = self._labels(y_true)
        grad = p - self._onehot(labels, p)
        if keep is not None:
            grad *= backend.xp.expand_dims(keep, self.axis)
        return grad

    def _labels(self, y_true):
        """(integer labels with ignored ones set to 0, keep mask or None)."""
        xp = backend.xp
        labels = y_true if y_true.dtype.kind in "iu" else y_true.astype("int64")
        if self.ignore_class is None:
            return labels, None
        keep = labels != self.ignore_class
        return xp.where(keep, labels, 0), keep

    def _onehot(self, labels, y_pred):
        axis = self.axis % y_pred.ndim
        shape = [1] * y_pred.ndim
        shape[axis] = y_pred.shape[axis]
        classes = backend.xp.arange(y_pred.shape[axis]).reshape(shape)
        return backend.xp.expand_dims(labels, axis) == classes

    def _valid_mask(self, y_true):
        return None if self.ignore_class is None else y_true != self.ignore_class

    def _prepare(self, y_true, y_pred):
        """Integer labels of y_pred's shape without `axis`, checked in range [0, K)."""
        xp = backend.xp
        where = type(self).__name__
        y_pred = _as_float(y_pred, where)
        _check_axis(where, y_pred, self.axis)
        classes = _check_classes(where, y_pred, self.axis)
        y_true = xp.asarray(y_true)
        if y_true.ndim == y_pred.ndim and y_true.shape[self.axis] == 1:
            y_true = xp.squeeze(y_true, axis=self.axis)
        expected = _without_axis(y_pred.shape, self.axis)
        if y_true.shape != expected:
            fix = ("y_true looks one-hot: use loss='categorical_crossentropy' for one-hot labels."
                   if y_true.shape == y_pred.shape else None)
            raise bad_value(where, "y_true", f"integer class labels of shape {expected}", y_true, fix)
        if y_true.dtype.kind not in "iub":
            _check_finite(where, y_true)
            if not bool((y_true == xp.round(y_true)).all()):
                raise bad_value(where, "y_true", "integer class labels", y_true,
                                "For one-hot or soft labels use loss='categorical_crossentropy'.")
        in_range = (y_true >= 0) & (y_true < classes)
        if self.ignore_class is not None:
            in_range |= y_true == self.ignore_class
        if not bool(in_range.all()):
            raise bad_value(where, "y_true", f"class labels in [0, {classes}) for y_pred's {classes} classes",
                            y_true, f"Found labels from {int(y_true.min())} to {int(y_true.max())}; check the "
                            "number of units of the output layer.")
        return y_true.astype("int64", copy=False), y_pred, y_pred.shape

    def get_config(self):
        return {"ignore_class": self.ignore_class, **super().get_config()}


def _check_axis(where, y_pred, axis):
    if not -y_pred.ndim <= axis < y_pred.ndim:
        raise bad_value(where, "axis", f"in [{-y_pred.ndim}, {y_pred.ndim}) for y_pred of shape "
                        f"{tuple(y_pred.shape)}", axis)


def _check_classes(where, y_pred, axis):
    """The number of classes K along `axis`; one class makes a constant loss, so it is refused."""
    classes = y_pred.shape[axis]
    if classes < 2:
        raise bad_value(where, "y_pred", f"at least 2 classes along axis {axis}", y_pred,
                        "For one sigmoid output use loss='binary_crossentropy'.")
    return classes


def _sigmoid(z):
    xp = backend.xp
    return xp.exp(-xp.logaddexp(0.0, -z))  # 1 / (1 + e^-z) without overflow for any z


def _clip(p):
    return backend.xp.clip(p, PROBABILITY_CLIP, 1.0 - PROBABILITY_CLIP)
