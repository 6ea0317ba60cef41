"""AdamW: Adam with decoupled weight decay on by default."""
from trainwell._errors import bad_value
from trainwell.optimizers.adam import Adam
from trainwell.optimizers.base import REGISTRY


@REGISTRY.register("adamw")
class AdamW(Adam):
    """AdamW (Keras 3 form): before each Adam step (see `Adam`), the base decays the weights

        w <- w - lr * weight_decay * w

    (decoupled from the gradient and its moments; `exclude_from_weight_decay` keeps it off
    variables such as biases). Defaults: learning_rate=0.001, weight_decay=0.004, beta_1=0.9,
    beta_2=0.999, epsilon=1e-7, amsgrad=False; weight_decay=None is refused.
    PyTorch's `AdamW` defaults to weight_decay=0.01 and eps=1e-8 with epsilon on the bias-corrected
    root (see `Adam`); its decay is the same w <- w - lr * weight_decay * w.
    Reference: Loshchilov & Hutter, 2019. Example: `AdamW(learning_rate=1e-3, weight_decay=1e-4)`.
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        if weight_decay is None:
            raise bad_value("AdamW", "weight_decay", "a number >= 0", weight_decay,
                            "AdamW is Adam with decoupled weight decay; use Adam for none.")
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, amsgrad=amsgrad,
                         weight_decay=weight_decay, **kwargs)
