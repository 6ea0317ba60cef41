"""Adamax: Adam with the infinity norm of past gradients in place of their root mean square."""
from trainwell import backend
from trainwell._errors import check_number
from trainwell.compiled import loop, prange
from trainwell.optimizers.base import REGISTRY, Optimizer


@REGISTRY.register("adamax")
class Adamax(Optimizer):
    """Adamax (Keras 3 form), step t, learning rate lr, gradient g:

        m <- m + (1 - beta_1) * (g - m)
        u <- max(beta_2 * u, |g|)
        w <- w - lr * m / ((1 - beta_1^t) * (u + epsilon))

    Defaults: learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7. Slots: `momentum` (m), `norm` (u).
    PyTorch's `Adamax` (lr=0.002, eps=1e-8) adds epsilon inside the maximum, u <- max(beta_2 u, |g| + eps),
    and divides by u alone; the two differ only where u is near epsilon.
    Reference: Kingma & Ba, 2015, section 7.1. Example: `Adamax(learning_rate=0.002)`.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        where = type(self).__name__
        self.beta_1 = check_number(where, "beta_1", beta_1, low=0, high=1, high_open=True)
        self.beta_2 = check_number(where, "beta_2", beta_2, low=0, high=1, high_open=True)
        self.epsilon = check_number(where, "epsilon", epsilon, low=0, low_open=True)
        self.slot_names = ("momentum", "norm")

    def update(self, param, grad, slots, lr, step):
        xp = backend.xp
        m, u = slots["momentum"], slots["norm"]
        scratch = self._scratch(grad)
        self._move_average(m, grad, self.beta_1, scratch)  # m += (g - m)(1 - beta_1)
        u *= self.beta_2
        xp.abs(grad, out=scratch)
        xp.maximum(u, scratch, out=u)                 # u = max(beta_2 u, |g|)
        xp.add(u, self.epsilon, out=scratch)
        xp.divide(m, scratch, out=scratch)
        scratch *= lr / (1 - self.beta_1 ** step)
        param -= scratch                              # w -= lr m / ((1 - beta_1^t)(u + epsilon))

    def compiled_update(self, param, grad, slots, lr, step, flush):
        scalars = self._loop_scalars(param, 1 - self.beta_1, self.beta_2, self.epsilon, lr / (1 - self.beta_1 ** step))
        _adamax_loop(param, grad, slots["momentum"], slots["norm"], *scalars, flush)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


@loop
def _adamax_loop(w, g, m, u, one_minus_beta_1, beta_2, epsilon, rate, tiny, flush):
    """`Adamax.update` entry by entry, the same operations in the same order."""
    for i in prange(w.size):
        m_i = m[i] + (g[i] - m[i]) * one_minus_beta_1
        u_i = max(u[i] * beta_2, abs(g[i]))
        m[i], u[i] = m_i, u_i
        w[i] -= m_i / (u_i + epsilon) * rate
        if flush:
            if abs(m[i]) < tiny:
                m[i] = 0
            if abs(u[i]) < tiny:
                u[i] = 0
