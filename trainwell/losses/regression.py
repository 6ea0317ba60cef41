"""Regression losses: mean squared error, mean absolute error and Huber, each with its gradient."""
from trainwell import backend
from trainwell._errors import check_number
from trainwell.losses.base import REGISTRY, Loss


@REGISTRY.register("mean_squared_error", "mse", "MSE")
class MeanSquaredError(Loss):
    """Mean squared error: mean((y_true - y_pred)^2) over the last axis, then the reduction.

    Gradient of one sample's value: 2 (y_pred - y_true) / d, d = y_pred.shape[-1].
    Defaults: reduction='sum_over_batch_size', name='mean_squared_error'. The default gives the
    number of PyTorch's `MSELoss()` (a mean over all elements).
    Example: `MeanSquaredError()([[0., 1.], [0., 0.]], [[1., 1.], [1., 0.]])` -> 0.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error"):
        super().__init__(reduction=reduction, name=name)

    def call(self, y_true, y_pred):
        return backend.xp.mean(backend.xp.square(y_pred - y_true), axis=-1)

    def call_gradient(self, y_true, y_pred):
        grad = y_pred - y_true
        grad *= 2.0 / y_pred.shape[-1]
        return grad


@REGISTRY.register("mean_absolute_error", "mae", "MAE")
class MeanAbsoluteError(Loss):
    """Mean absolute error: mean(|y_true - y_pred|) over the last axis, then the reduction.

    Gradient of one sample's value: sign(y_pred - y_true) / d (0 where they are equal).
    Defaults: reduction='sum_over_batch_size', name='mean_absolute_error'; PyTorch: `L1Loss()`.
    Example: `MeanAbsoluteError()([[0., 1.], [0., 0.]], [[1., 1.], [1., 0.]])` -> 0.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error"):
        super().__init__(reduction=reduction, name=name)

    def call(self, y_true, y_pred):
        return backend.xp.mean(backend.xp.abs(y_pred - y_true), axis=-1)

    def call_gradient(self, y_true, y_pred):
        grad = backend.xp.sign(y_pred - y_true)
        grad /= y_pred.shape[-1]
        return grad


@REGISTRY.register("huber")
class Huber(Loss):
    """Huber loss: with e = y_pred - y_true, 0.5 e^2 if |e| <= delta else delta |e| - 0.5 delta^2,
    averaged over the last axis, then the reduction.

    Gradient of one sample's value: clip(e, -delta, delta) / d. Defaults: delta=1.0,
    reduction='sum_over_batch_size', name='huber_loss' (Keras's class name; the string 'huber'
    builds this class). PyTorch's `HuberLoss(delta=1.0)` agrees; `SmoothL1Loss(beta)` is Huber / beta.
    Example: `Huber()([[0., 1.], [0., 0.]], [[0.6, 0.4], [0.4, 0.6]])` -> 0.155
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss"):
        super().__init__(reduction=reduction, name=name)
        self.delta = float(check_number("Huber", "delta", delta, low=0, low_open=True))

    def call(self, y_true, y_pred):
        xp = backend.xp
        abs_error = xp.abs(y_pred - y_true)
        quadratic = xp.minimum(abs_error, self.delta)
        # 0.5 q^2 + delta (|e| - q) is both branches at once: q = |e| inside, q = delta outside
        return xp.mean(0.5 * quadratic**2 + self.delta * (abs_error - quadratic), axis=-1)

    def call_gradient(self, y_true, y_pred):
        grad = backend.xp.clip(y_pred - y_true, -self.delta, self.delta)
        grad /= y_pred.shape[-1]
        return grad

    def get_config(self):
        return {"delta": self.delta, **super().get_config()}
