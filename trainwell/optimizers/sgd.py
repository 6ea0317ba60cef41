"""SGD: plain gradient descent, with momentum and Nesterov momentum."""
from trainwell import backend
from trainwell._errors import check_number
from trainwell.compiled import loop, prange
from trainwell.optimizers.base import REGISTRY, Optimizer


@REGISTRY.register("sgd")
class SGD(Optimizer):
    """Stochastic gradient descent (Keras 3 form), step t with learning rate lr and gradient g:

        momentum = 0:   w <- w - lr * g
        momentum > 0:   v <- momentum * v - lr * g
                        w <- w + v                          (plain)
                        w <- w + momentum * v - lr * g      (nesterov=True, with the new v)

    Defaults: learning_rate=0.01, momentum=0.0, nesterov=False. Slot: `momentum` (v).
    PyTorch keeps raw gradients in its buffer (b <- mu * b + g; w <- w - lr * b); the two agree
    while lr is constant and differ after an lr change (Keras's v remembers the old lr).
    Reference: Sutskever et al., 2013. Example: `SGD(learning_rate=0.01, momentum=0.9, nesterov=True)`.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.momentum = check_number("SGD", "momentum", momentum, low=0, high=1)
        self.nesterov = bool(nesterov)
        self.slot_names = ("momentum",) if self.momentum else ()

    def update(self, param, grad, slots, lr, step):
        step_size = backend.xp.multiply(grad, lr, out=self._scratch(grad))  # lr * g, in a reused array
        if not self.momentum:
            param -= step_size                       # w -= lr * g
            return
        v = slots["momentum"]
        v *= self.momentum
        v -= step_size                               # v = momentum * v - lr * g
        if self.nesterov:
            param -= step_size
            param += self.momentum * v               # w += momentum * v - lr * g
        else:
            param += v                               # w += v

    def compiled_update(self, param, grad, slots, lr, step, flush):
        v = slots["momentum"] if self.momentum else param  # the loop reads v only with momentum > 0
        _sgd_loop(param, grad, v, *self._loop_scalars(param, lr, self.momentum), bool(self.momentum),
                  self.nesterov, flush)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


@loop
def _sgd_loop(w, g, v, lr, momentum, tiny, with_momentum, nesterov, flush):
    """`SGD.update` entry by entry, the same operations in the same order."""
    for i in prange(w.size):
        step_size = g[i] * lr
        if not with_momentum:
            w[i] -= step_size
            continue
        v_i = v[i] * momentum - step_size
        v[i] = v_i
        if nesterov:
            w[i] = (w[i] - step_size) + momentum * v_i
        else:
            w[i] += v_i
        if flush and abs(v[i]) < tiny:
            v[i] = 0
