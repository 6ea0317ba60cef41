"""Adagrad: per-parameter rates that shrink with the sum of squared gradients."""
import math

from trainwell import backend
from trainwell._errors import check_number
from trainwell.compiled import loop, prange
from trainwell.optimizers.base import REGISTRY, Optimizer


@REGISTRY.register("adagrad")
class Adagrad(Optimizer):
    """Adagrad (Keras 3 form), learning rate lr, gradient g, accumulator a:

        a <- a + g^2
        w <- w - lr * g / sqrt(a + epsilon)

    Defaults: learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7. Slot: `accumulator` (a).
    PyTorch's `Adagrad` starts a at 0 and puts epsilon outside the root, g / (sqrt(a) + 1e-10), with
    lr=0.01; legacy tf.keras also put epsilon outside. Keras's start at 0.1 keeps the first steps
    small where PyTorch's first step is lr * sign(g). Reference: Duchi, Hazan & Singer, 2011.
    Example: `Adagrad(learning_rate=0.01)`.
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        where = type(self).__name__
        self.initial_accumulator_value = check_number(where, "initial_accumulator_value", initial_accumulator_value,
                                                      low=0)
        self.epsilon = check_number(where, "epsilon", epsilon, low=0, low_open=True)
        self.slot_names = ("accumulator",)

    def _initialize_slots(self, slots):
        slots["accumulator"].fill(self.initial_accumulator_value)

    def update(self, param, grad, slots, lr, step):
        xp = backend.xp
        a = slots["accumulator"]
        scratch = self._scratch(grad)
        xp.multiply(grad, grad, out=scratch)
        a += scratch                                  # a += g^2
        xp.add(a, self.epsilon, out=scratch)
        xp.sqrt(scratch, out=scratch)
        xp.divide(grad, scratch, out=scratch)
        scratch *= lr
        param -= scratch                              # w -= lr g / sqrt(a + epsilon)

    def compiled_update(self, param, grad, slots, lr, step, flush):
        _adagrad_loop(param, grad, slots["accumulator"], *self._loop_scalars(param, lr, self.epsilon), flush)

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


@loop
def _adagrad_loop(w, g, a, lr, epsilon, tiny, flush):
    """`Adagrad.update` entry by entry, the same operations in the same order."""
    for i in prange(w.size):
        a_i = a[i] + g[i] * g[i]
        a[i] = a_i
        w[i] -= g[i] / math.sqrt(a_i + epsilon) * lr
        if flush and abs(a[i]) < tiny:
            a[i] = 0
