"""RMSprop: gradients divided by a running root mean square, with optional momentum and centering."""
import math

from trainwell import backend
from trainwell._errors import check_number
from trainwell.compiled import loop, prange
from trainwell.optimizers.base import REGISTRY, Optimizer


@REGISTRY.register("rmsprop")
class RMSprop(Optimizer):
    """RMSprop (Keras 3 form), learning rate lr, gradient g:

        v <- rho * v + (1 - rho) * g^2
        centered=True:  a <- rho * a + (1 - rho) * g;   d = v - a^2 + epsilon
        otherwise:      d = v + epsilon
        u = lr * g / sqrt(d)
        momentum > 0:   m <- momentum * m + u;   w <- w - m
        otherwise:      w <- w - u

    Defaults: learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False.
    Slots: `velocity` (v), `momentum` (m, when momentum > 0), `average_gradient` (a, centered).
    PyTorch's `RMSprop` puts epsilon outside the root, g / (sqrt(v) + 1e-8), names rho `alpha` with
    default 0.99, and has lr=0.01; its momentum buffer holds g / sqrt(d) and is multiplied by lr
    at each step (the same while lr is constant). Reference: Hinton, Coursera lecture 6e (2012);
    centered: Graves, 2013. Example: `RMSprop(learning_rate=0.001, rho=0.9)`.
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        where = type(self).__name__
        self.rho = check_number(where, "rho", rho, low=0, high=1, high_open=True)
        self.momentum = check_number(where, "momentum", momentum, low=0, high=1)
        self.epsilon = check_number(where, "epsilon", epsilon, low=0, low_open=True)
        self.centered = bool(centered)
        self.slot_names = (("velocity",) + (("momentum",) if self.momentum else ())
                           + (("average_gradient",) if self.centered else ()))

    def update(self, param, grad, slots, lr, step):
        xp = backend.xp
        v = slots["velocity"]
        scratch = self._scratch(grad)
        xp.multiply(grad, grad, out=scratch)
        self._move_average(v, scratch, self.rho, scratch)  # v += (g^2 - v)(1 - rho)
        if self.centered:
            a = slots["average_gradient"]
            self._move_average(a, grad, self.rho, scratch)  # a += (g - a)(1 - rho)
            xp.multiply(a, a, out=scratch)
            xp.subtract(v, scratch, out=scratch)
            scratch += self.epsilon                   # d = v - a^2 + epsilon
        else:
            xp.add(v, self.epsilon, out=scratch)      # d = v + epsilon
        xp.sqrt(scratch, out=scratch)
        xp.divide(grad, scratch, out=scratch)
        scratch *= lr                                 # u = lr g / sqrt(d)
        if "momentum" in slots:
            m = slots["momentum"]
            m *= self.momentum
            m += scratch                              # m = momentum m + u
            param -= m
        else:
            param -= scratch

    def compiled_update(self, param, grad, slots, lr, step, flush):
        v = slots["velocity"]  # stands in for absent slots, which the loop does not read
        scalars = self._loop_scalars(param, 1 - self.rho, self.epsilon, lr, self.momentum)
        a = slots["average_gradient"] if self.centered else v
        _rmsprop_loop(param, grad, v, a, slots.get("momentum", v), *scalars, self.centered, "momentum" in slots, flush)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}


@loop
def _rmsprop_loop(w, g, v, a, m, one_minus_rho, epsilon, lr, momentum, tiny, centered, with_momentum, flush):
    """`RMSprop.update` entry by entry, the same operations in the same order."""
    for i in prange(w.size):
        v_i = v[i] + (g[i] * g[i] - v[i]) * one_minus_rho
        v[i] = v_i
        if centered:
            a_i = a[i] + (g[i] - a[i]) * one_minus_rho
            a[i] = a_i
            d = (v_i - a_i * a_i) + epsilon
        else:
            d = v_i + epsilon
        u = g[i] / math.sqrt(d) * lr
        if with_momentum:
            m_i = m[i] * momentum + u
            m[i] = m_i
            w[i] -= m_i
        else:
            w[i] -= u
        if flush:
            if abs(v[i]) < tiny:
                v[i] = 0
            if centered and abs(a[i]) < tiny:
                a[i] = 0
            if with_momentum and abs(m[i]) < tiny:
                m[i] = 0
