"""Transfer learning on digits, after "Hands-On Machine Learning" ch. 11: task A = classes 0–7,
task B = 8 against 9 from a few samples, B trained from scratch and on A's cloned hidden layers.

The book admits its result was picked from many tries; here every seed is a full new try (new
split, new A, new B samples), and the error ratio scratch / transfer is reported per seed.
"""
import numpy

from trainwell import Sequential, layers, optimizers, utils
from trainwell.lab.experiments._common import (accuracy, all_moved, digits_split, same_weights, take_per_class,
                                               weights_of)
from trainwell.models import clone_model

HIDDEN = (100, 50, 50)
B_PER_CLASS = 20
EPOCHS_A = 20
EPOCHS_B = 20
FROZEN_EPOCHS = 4
BATCH_SIZE_A = 32
BATCH_SIZE_B = 8


def selu_network(outputs, hidden=HIDDEN):
    """Input(64) → Dense(units, selu, lecun_normal) for each of `hidden` → Dense(outputs, softmax),
    or Dense(1, sigmoid) for one output."""
    stack = [layers.Input(shape=(64,))]
    stack += [layers.Dense(units, activation="selu", kernel_initializer="lecun_normal") for units in hidden]
    stack.append(_output(outputs))
    return Sequential(stack)


def transfer(seed, hidden=HIDDEN, b_per_class=B_PER_CLASS, epochs_a=EPOCHS_A, epochs_b=EPOCHS_B,
             frozen_epochs=FROZEN_EPOCHS, batch_size_a=BATCH_SIZE_A, batch_size_b=BATCH_SIZE_B):
    """One seed of the experiment; every model uses Adam at Keras's defaults.

    Load: `digits_split(seed)`. A trains on the training rows of classes 0–7 (`epochs_a`,
    `batch_size_a`) and is scored on the test rows of 0–7. B's training set is `b_per_class`
    training rows each of 8 and 9 (label: is it a 9), drawn with `seed`; B's test set is every
    other 8 and 9 (A never sees either class). Scratch: `selu_network(1)`, `epochs_b` epochs.
    Transfer (the book's recipe): clone A and copy its weights, put a new Dense(1, sigmoid) on
    the clone's hidden layers, freeze them for `frozen_epochs`, unfreeze, recompile and train the
    remaining `epochs_b - frozen_epochs`. Both use `batch_size_b`.

    Reports the errors of A, scratch and transfer; error_ratio = scratch / transfer error (None
    when transfer makes no error); and the mechanics, each a bool: a_unchanged (A bit-identical
    after B trained on its clone), frozen_still (reused layers bit-identical over the frozen
    phase), moved_after_unfreeze (every reused weight changed after recompiling), shared_moves_a
    (a model built on A's own layers holds them and its training changes A's weights).
    """
    (x, y), (x_test, y_test) = digits_split(seed)
    utils.set_random_seed(seed)
    model_a = selu_network(8, hidden)
    _fit(model_a, x[y < 8], y[y < 8], epochs_a, batch_size_a)
    a_error = 1.0 - accuracy(model_a.predict(x_test[y_test < 8], verbose=0), y_test[y_test < 8])

    chosen = take_per_class(y, (8, 9), b_per_class, seed)
    x_b, y_b = x[chosen], (y[chosen] == 9).astype("float32")
    rest = numpy.setdiff1d(numpy.flatnonzero(y >= 8), chosen)
    x_b_test = numpy.concatenate([x[rest], x_test[y_test >= 8]])
    y_b_test = numpy.concatenate([y[rest], y_test[y_test >= 8]]) == 9

    utils.set_random_seed(seed)
    scratch = selu_network(1, hidden)
    _fit(scratch, x_b, y_b, epochs_b, batch_size_b)
    scratch_error = 1.0 - accuracy(scratch.predict(x_b_test, verbose=0), y_b_test)

    a_before, a_hidden_before = weights_of(model_a.layers), weights_of(model_a.layers[:-1])
    clone = clone_model(model_a)
    clone.set_weights(model_a.get_weights())
    b_on_a = Sequential(clone.layers[:-1] + [_output(1)])
    reused = b_on_a.layers[:-1]
    for layer in reused:
        layer.trainable = False
    start = weights_of(reused)
    _fit(b_on_a, x_b, y_b, frozen_epochs, batch_size_b)
    frozen_still = same_weights(start, weights_of(reused))
    for layer in reused:
        layer.trainable = True
    _fit(b_on_a, x_b, y_b, epochs_b - frozen_epochs, batch_size_b)  # _fit recompiles: the unfreeze takes effect
    moved_after_unfreeze = all_moved(start, weights_of(reused))
    transfer_error = 1.0 - accuracy(b_on_a.predict(x_b_test, verbose=0), y_b_test)
    a_unchanged = same_weights(a_before, weights_of(model_a.layers))

    shared = Sequential(model_a.layers[:-1] + [_output(1)])
    _fit(shared, x_b, y_b, 1, batch_size_b)
    shared_moves_a = (shared.layers[0] is model_a.layers[0]
                      and all_moved(a_hidden_before, weights_of(model_a.layers[:-1])))
    return {"a_error": a_error, "scratch_error": scratch_error, "transfer_error": transfer_error,
            "error_ratio": scratch_error / transfer_error if transfer_error > 0 else None,
            "b_train_samples": len(y_b), "b_test_samples": len(y_b_test), "a_unchanged": a_unchanged,
            "frozen_still": frozen_still, "moved_after_unfreeze": moved_after_unfreeze,
            "shared_moves_a": shared_moves_a}


def _output(outputs):
    return layers.Dense(outputs, activation="sigmoid" if outputs == 1 else "softmax")


def _fit(model, x, y, epochs, batch_size):
    loss = "binary_crossentropy" if model.layers[-1].units == 1 else "sparse_categorical_crossentropy"
    model.compile(optimizer=optimizers.Adam(), loss=loss)
    model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0)
