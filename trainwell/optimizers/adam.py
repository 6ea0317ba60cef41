"""Adam: adaptive moment estimation, with the AMSGrad variant."""
import math

from trainwell import backend
from trainwell._errors import check_number
from trainwell.compiled import loop, prange
from trainwell.optimizers.base import REGISTRY, Optimizer


@REGISTRY.register("adam")
class Adam(Optimizer):
    """Adam (Keras 3 form), step t, learning rate lr, gradient g:

        m <- m + (1 - beta_1) * (g - m)
        v <- v + (1 - beta_2) * (g^2 - v)
        v_hat <- max(v_hat, v)                      (amsgrad=True only; then v_hat replaces v below)
        alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
        w <- w - alpha * m / (sqrt(v) + epsilon)

    Defaults: learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False.
    Slots: `momentum` (m), `velocity` (v), `velocity_hat` (amsgrad).
    PyTorch divides the bias-corrected moments, m_hat / (sqrt(v_hat) + eps) with eps=1e-8; Keras's
    epsilon sits outside the bias correction, so its effective epsilon is eps / sqrt(1 - beta_2^t).
    Reference: Kingma & Ba, 2015 (section 2, the "epsilon hat" form). Example: `Adam(learning_rate=3e-4)`.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = check_number(type(self).__name__, "beta_1", beta_1, low=0, high=1, high_open=True)
        self.beta_2 = check_number(type(self).__name__, "beta_2", beta_2, low=0, high=1, high_open=True)
        self.epsilon = check_number(type(self).__name__, "epsilon", epsilon, low=0, low_open=True)
        self.amsgrad = bool(amsgrad)
        self.slot_names = ("momentum", "velocity") + (("velocity_hat",) if self.amsgrad else ())

    def update(self, param, grad, slots, lr, step):
        xp = backend.xp
        m, v = slots["momentum"], slots["velocity"]
        scratch = self._scratch(grad)
        self._move_average(m, grad, self.beta_1, scratch)  # m += (g - m)(1 - beta_1)
        xp.multiply(grad, grad, out=scratch)
        self._move_average(v, scratch, self.beta_2, scratch)  # v += (g^2 - v)(1 - beta_2)
        if self.amsgrad:
            v = xp.maximum(slots["velocity_hat"], v, out=slots["velocity_hat"])
        alpha = self._alpha(lr, step)
        xp.sqrt(v, out=scratch)
        scratch += self.epsilon
        xp.divide(m, scratch, out=scratch)
        scratch *= alpha
        param -= scratch                            # w -= alpha m / (sqrt(v) + epsilon)

    def compiled_update(self, param, grad, slots, lr, step, flush):
        m, v = slots["momentum"], slots["velocity"]
        scalars = self._loop_scalars(param, 1 - self.beta_1, 1 - self.beta_2, self._alpha(lr, step), self.epsilon)
        _adam_loop(param, grad, m, v, slots["velocity_hat"] if self.amsgrad else v, *scalars, self.amsgrad, flush)

    def _alpha(self, lr, step):
        return lr * math.sqrt(1 - self.beta_2 ** step) / (1 - self.beta_1 ** step)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


@loop
def _adam_loop(w, g, m, v, v_hat, one_minus_beta_1, one_minus_beta_2, alpha, epsilon, tiny, amsgrad, flush):
    """`Adam.update` entry by entry, the same operations in the same order."""
    for i in prange(w.size):
        m_i = m[i] + (g[i] - m[i]) * one_minus_beta_1
        v_i = v[i] + (g[i] * g[i] - v[i]) * one_minus_beta_2
        m[i], v[i] = m_i, v_i
        if amsgrad:
            v_i = max(v_hat[i], v_i)
            v_hat[i] = v_i
        w[i] -= m_i / (math.sqrt(v_i) + epsilon) * alpha
        if flush:
            if abs(m[i]) < tiny:
                m[i] = 0
            if abs(v[i]) < tiny:
                v[i] = 0
            if abs(v_hat[i]) < tiny:
                v_hat[i] = 0
