"""Nadam: Adam with Nesterov momentum, through Dozat's momentum schedule."""
import math

from trainwell import backend
from trainwell._errors import check_number
from trainwell.compiled import loop, prange
from trainwell.optimizers.base import REGISTRY, Optimizer


@REGISTRY.register("nadam")
class Nadam(Optimizer):
    """Nadam (Keras 3 form), step t, learning rate lr, gradient g; once per step, before the update:

        mu_t = beta_1 * (1 - 0.5 * 0.96^t),   mu_t1 = beta_1 * (1 - 0.5 * 0.96^(t+1))
        P <- P * mu_t                               (P = mu_1 mu_2 ... mu_t, the scalar slot `u_product`)

    then over the buffer:

        m <- m + (1 - beta_1) * (g - m)
        v <- v + (1 - beta_2) * (g^2 - v)
        m_hat = mu_t1 * m / (1 - P * mu_t1) + (1 - mu_t) * g / (1 - P)
        v_hat = v / (1 - beta_2^t)
        w <- w - lr * m_hat / (sqrt(v_hat) + epsilon)

    Defaults: learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, momentum_decay=None.
    Slots: `momentum` (m), `velocity` (v), scalar `u_product` (P, starts at 1).
    PyTorch's `NAdam` and legacy tf.keras's Nadam use 0.96^(psi t) with psi = 0.004 (PyTorch's
    `momentum_decay`), so their mu_t stays near beta_1 / 2 for thousands of steps where Keras 3's
    reaches beta_1 within ~100; PyTorch also has lr=0.002 and eps=1e-8. Pass momentum_decay=psi
    to get their schedule 0.96^(psi t); None (Keras 3) means 0.96^t.
    Reference: Dozat, 2016. Example: `Nadam(learning_rate=0.002)`.
    """

    scalar_slots = {"u_product": 1.0}

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, momentum_decay=None, **kwargs):
        super().__init__(learning_rate, **kwargs)
        where = type(self).__name__
        self.beta_1 = check_number(where, "beta_1", beta_1, low=0, high=1, high_open=True)
        self.beta_2 = check_number(where, "beta_2", beta_2, low=0, high=1, high_open=True)
        self.epsilon = check_number(where, "epsilon", epsilon, low=0, low_open=True)
        self.momentum_decay = check_number(where, "momentum_decay", momentum_decay, low=0, low_open=True,
                                           allow_none=True)
        self.slot_names = ("momentum", "velocity")

    def _mu(self, t):
        exponent = t if self.momentum_decay is None else self.momentum_decay * t
        return self.beta_1 * (1.0 - 0.5 * 0.96 ** exponent)

    def begin_step(self, slots, step):
        slots["u_product"] *= self._mu(step)

    def update(self, param, grad, slots, lr, step):
        xp = backend.xp
        m, v = slots["momentum"], slots["velocity"]
        grad_scale, momentum_scale, epsilon_b = self._coefficients(slots["u_product"], lr, step)
        scratch, numerator = self._scratch(grad), self._scratch(grad, 1)
        self._move_average(m, grad, self.beta_1, scratch)  # m += (g - m)(1 - beta_1)
        xp.multiply(grad, grad, out=scratch)
        self._move_average(v, scratch, self.beta_2, scratch)  # v += (g^2 - v)(1 - beta_2)
        xp.multiply(grad, grad_scale, out=scratch)
        xp.multiply(m, momentum_scale, out=numerator)
        numerator += scratch                          # lr b m_hat
        xp.sqrt(v, out=scratch)
        scratch += epsilon_b
        numerator /= scratch
        param -= numerator                            # w -= lr m_hat / (sqrt(v_hat) + epsilon)

    def compiled_update(self, param, grad, slots, lr, step, flush):
        scalars = self._loop_scalars(param, 1 - self.beta_1, 1 - self.beta_2,
                                     *self._coefficients(slots["u_product"], lr, step))
        _nadam_loop(param, grad, slots["momentum"], slots["velocity"], *scalars, flush)

    def _coefficients(self, product, lr, step):
        """lr m_hat / (sqrt(v_hat) + eps) = lr b m_hat / (sqrt(v) + eps b), b = sqrt(1 - beta_2^t):
        the factors of g and m in lr b m_hat, and eps b."""
        mu_t, mu_t1 = self._mu(step), self._mu(step + 1)
        b = math.sqrt(1 - self.beta_2 ** step)
        return lr * b * (1 - mu_t) / (1 - product), lr * b * mu_t1 / (1 - product * mu_t1), self.epsilon * b

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "momentum_decay": self.momentum_decay}


@loop
def _nadam_loop(w, g, m, v, one_minus_beta_1, one_minus_beta_2, grad_scale, momentum_scale, epsilon_b, tiny, flush):
    """`Nadam.update` entry by entry, the same operations in the same order."""
    for i in prange(w.size):
        m_i = m[i] + (g[i] - m[i]) * one_minus_beta_1
        v_i = v[i] + (g[i] * g[i] - v[i]) * one_minus_beta_2
        m[i], v[i] = m_i, v_i
        w[i] -= (m_i * momentum_scale + g[i] * grad_scale) / (math.sqrt(v_i) + epsilon_b)
        if flush:
            if abs(m[i]) < tiny:
                m[i] = 0
            if abs(v[i]) < tiny:
                v[i] = 0
