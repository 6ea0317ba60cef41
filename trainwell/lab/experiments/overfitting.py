"""Weight decay and dropout on a network made to overfit: 300 digits, six hidden layers of 100
("Deep Learning from Scratch", ch. 6: overfit_weight_decay.py and overfit_dropout.py, on digits).

Both sweeps train one network per setting from the same seeded split, initial weights and batch
order, so the settings of one seed differ only in the remedy. They measure; they do not judge.
"""
from trainwell import Sequential, layers, optimizers, regularizers, utils
from trainwell.lab.experiments._common import accuracy, digits_split, kernel_norm, log_loss

L2_FACTORS = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1)
DROPOUT_RATES = (0.0, 0.1, 0.2, 0.3, 0.5)
TRAIN_SAMPLES = 300
HIDDEN = (100,) * 6
EPOCHS = 200
BATCH_SIZE = 100
LEARNING_RATE = 0.01


def deep_network(l2=0.0, dropout=None, hidden=HIDDEN):
    """Input(64) → [Dense(100, relu, he_normal) (→ Dropout(dropout))] × 6 → Dense(10, softmax).

    l2 > 0 puts `L2(l2)` on every kernel (7 of them), none on biases, as the book's weight decay
    (its ½·λ·Σw² is `L2(λ/2)` here). dropout=None leaves the Dropout layers out; a rate (0 too)
    puts one after each hidden layer, so every rate draws the same initial weights.
    """
    penalty = regularizers.L2(l2) if l2 else None
    stack = [layers.Input(shape=(64,))]
    for units in hidden:
        stack.append(layers.Dense(units, activation="relu", kernel_initializer="he_normal",
                                  kernel_regularizer=penalty))
        if dropout is not None:
            stack.append(layers.Dropout(dropout))
    stack.append(layers.Dense(10, activation="softmax", kernel_initializer="he_normal", kernel_regularizer=penalty))
    return Sequential(stack)


def l2_sweep(seed, factors=L2_FACTORS, train_samples=TRAIN_SAMPLES, epochs=EPOCHS, batch_size=BATCH_SIZE,
             learning_rate=LEARNING_RATE):
    """One seed of the weight-decay sweep: a row per L2 factor.

    Load: `digits_split(seed)`, the first `train_samples` training rows. Set up: `deep_network(l2)`,
    SGD(learning_rate), sparse categorical cross-entropy, seeded by `seed` before each network.
    Train: `epochs` epochs of `batch_size`. Report (all in inference mode): train_accuracy,
    test_accuracy, gap = train − test, train_loss (data cross-entropy, no penalty), weight_norm
    (sqrt of Σ‖W‖² over the kernels).
    """
    (x, y), (x_test, y_test) = digits_split(seed)
    x, y = x[:train_samples], y[:train_samples]
    rows = []
    for factor in factors:
        utils.set_random_seed(seed)
        model = deep_network(l2=factor)
        _train(model, x, y, epochs, batch_size, learning_rate)
        row = {"l2": factor, **_scores(model, x, y, x_test, y_test)}
        row["weight_norm"] = kernel_norm(model)
        rows.append(row)
    return rows


def dropout_sweep(seed, rates=DROPOUT_RATES, train_samples=TRAIN_SAMPLES, epochs=EPOCHS, batch_size=BATCH_SIZE,
                  learning_rate=LEARNING_RATE):
    """One seed of the dropout-rate sweep: a row per rate, with the training-set learning curve.

    As `l2_sweep`, with `deep_network(dropout=rate)` and no penalty. Adds train_curve: the
    training-set accuracy in inference mode after every epoch (fit's validation pass over the
    training rows), and curve_mean: its mean over the epochs, which is lower when fitting is slower.
    """
    (x, y), (x_test, y_test) = digits_split(seed)
    x, y = x[:train_samples], y[:train_samples]
    rows = []
    for rate in rates:
        utils.set_random_seed(seed)
        model = deep_network(dropout=rate)
        history = _train(model, x, y, epochs, batch_size, learning_rate, validation_data=(x, y))
        curve = [float(value) for value in history.history["val_accuracy"]]
        rows.append({"rate": rate, **_scores(model, x, y, x_test, y_test), "train_curve": curve,
                     "curve_mean": sum(curve) / len(curve)})
    return rows


def _train(model, x, y, epochs, batch_size, learning_rate, validation_data=None):
    model.compile(optimizer=optimizers.SGD(learning_rate=learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=epochs, batch_size=batch_size, validation_data=validation_data, verbose=0)


def _scores(model, x, y, x_test, y_test):
    train = model.predict(x, verbose=0)
    test = model.predict(x_test, verbose=0)
    scores = {"train_accuracy": accuracy(train, y), "test_accuracy": accuracy(test, y_test),
              "train_loss": log_loss(train, y)}
    scores["gap"] = scores["train_accuracy"] - scores["test_accuracy"]
    return scores
