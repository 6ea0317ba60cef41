"""Regularization penalties added to the loss (weights' and activities'), and the weights' penalty gradients.

Keras's total (keras_semantics §5.2): data loss + Σ regularizer(w) over trainable weights that
have one + Σ activity_regularizer(outputs) / batch size over layers that have one. The same total
is reported in fit's 'loss', in 'val_loss' and by evaluate.
"""


def add_penalties(layers, with_gradients):
    """The sum of the penalties of `layers` for their last forward pass.

    With `with_gradients`, each weight penalty's gradient is added into its weight's `grad` view;
    call it after `backward`, which writes those views (docs/DESIGN-NOTES.md). The activity
    penalties' gradients joined the backward pass already (`Layer.run_backward`).
    """
    total = 0.0
    for layer in layers:
        if layer._activity_penalty is not None:
            total += layer._activity_penalty
        if not layer.trainable:
            continue
        # A leaf's own list is read directly (this runs every step); layers made of layers go the long way.
        for variable in layer.trainable_weights if layer._sublayers() else layer._own_weights:
            regularizer = variable.regularizer
            if regularizer is None or not variable.trainable:
                continue
            total += regularizer(variable.value)
            if with_gradients and variable.grad is not None:
                variable.grad += regularizer.gradient(variable.value)
    return total
