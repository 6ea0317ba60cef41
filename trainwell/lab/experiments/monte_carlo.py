"""Monte Carlo dropout on digits: is the spread of the stochastic predictions larger where the
model is wrong, and does averaging them beat the one deterministic prediction?
("Hands-On Machine Learning", ch. 11, with `utils.mc_predict` in place of `model(X, training=True)`.)
"""
import numpy

from trainwell import Sequential, layers, optimizers, utils
from trainwell.lab.experiments._common import accuracy, digits_split, log_loss

RATE = 0.3
HIDDEN = 128
EPOCHS = 20
BATCH_SIZE = 32
SAMPLES = 100


def dropout_network(rate=RATE, hidden=HIDDEN):
    """Input(64) → Dense(hidden, relu) → BatchNormalization → Dropout(rate) → Dense(hidden, relu)
    → Dropout(rate) → Dense(10, softmax). The batch norm makes "moving statistics untouched" a real check."""
    return Sequential([layers.Input(shape=(64,)), layers.Dense(hidden, activation="relu"),
                       layers.BatchNormalization(), layers.Dropout(rate),
                       layers.Dense(hidden, activation="relu"), layers.Dropout(rate),
                       layers.Dense(10, activation="softmax")])


def mc_dropout(seed, rate=RATE, hidden=HIDDEN, epochs=EPOCHS, batch_size=BATCH_SIZE, samples=SAMPLES):
    """One seed: train `dropout_network` on the digits training split, then predict the test split
    twice: once deterministically (`predict`, dropout off) and as the mean of `samples` Monte Carlo
    passes (`mc_predict`).

    Setup: Adam at Keras's defaults, sparse categorical cross-entropy, `epochs` epochs of
    `batch_size`, seeded by `seed`. Reports: accuracy and log loss of both predictions;
    spread_correct and spread_misclassified, the mean over test samples of the MC standard deviation
    of the probability of the class the MC mean predicts, over the samples it gets right and wrong
    (None when it gets none wrong); misclassified (how many); bn_unchanged (the BatchNormalization
    moving mean and variance bit-identical before and after `mc_predict`).
    """
    (x, y), (x_test, y_test) = digits_split(seed)
    utils.set_random_seed(seed)
    model = dropout_network(rate, hidden)
    model.compile(optimizer=optimizers.Adam(), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0)
    deterministic = model.predict(x_test, verbose=0)
    batch_norm = model.layers[1]
    before = [batch_norm.moving_mean.numpy().tobytes(), batch_norm.moving_variance.numpy().tobytes()]
    mean, std = utils.mc_predict(model, x_test, samples=samples)
    after = [batch_norm.moving_mean.numpy().tobytes(), batch_norm.moving_variance.numpy().tobytes()]
    predicted = mean.argmax(axis=1)
    spread = std[numpy.arange(len(predicted)), predicted]
    wrong = predicted != y_test
    return {"deterministic_accuracy": accuracy(deterministic, y_test), "mc_accuracy": accuracy(mean, y_test),
            "deterministic_log_loss": log_loss(deterministic, y_test), "mc_log_loss": log_loss(mean, y_test),
            "spread_correct": float(spread[~wrong].mean()),
            "spread_misclassified": float(spread[wrong].mean()) if wrong.any() else None,
            "misclassified": int(wrong.sum()), "test_samples": len(y_test), "bn_unchanged": before == after}
