"""The issue's acceptance run: a small CNN on the bundled 8x8 digits reaches >= 98% test accuracy.

The protocol was fixed on a validation split carved from the training part (seeds 0-4) before the
test part was scored: Conv2D(32, 3x3, 'same') → BN → ReLU → MaxPool → Conv2D(64, 3x3, 'same') → BN
→ ReLU → GlobalAveragePooling → Dense(10, softmax); Adam(1e-3) for 20 epochs, then 1e-4 for 5,
batch 32. BatchNormalization uses momentum 0.9, not Keras's 0.99: an epoch here is only 45 steps,
and with 0.99 the moving variance keeps its initial 1 for hundreds of steps, where the first
convolution's outputs have a variance near 0.009 (0.99^t falls to 0.009 only after t = 470 steps,
ten epochs): inference lagged far behind training, with validation accuracy at 10% for ten epochs.
"""
import trainwell as tw
from trainwell import layers

EPOCHS, DECAY_EPOCH, LEARNING_RATE, BATCH_SIZE, BN_MOMENTUM = 25, 20, 1e-3, 32, 0.9


def small_cnn():
    return tw.Sequential([
        layers.Input(shape=(8, 8, 1)),
        layers.Conv2D(32, 3, padding="same"), layers.BatchNormalization(momentum=BN_MOMENTUM),
        layers.Activation("relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding="same"), layers.BatchNormalization(momentum=BN_MOMENTUM),
        layers.Activation("relu"), layers.GlobalAveragePooling2D(),
        layers.Dense(10, activation="softmax"),
    ])


def digits_accuracy(seed):
    """Train the protocol above on a stratified 80/20 split; returns the test accuracy."""
    tw.utils.set_random_seed(seed)
    images, labels = tw.data.load_digits()
    (x_train, y_train), (x_test, y_test) = tw.data.train_test_split(images[..., None] / 16.0, labels,
                                                                     test_size=0.2, stratify=True, seed=seed)
    model = small_cnn()
    model.compile(optimizer=tw.optimizers.Adam(learning_rate=LEARNING_RATE),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    step_decay = tw.callbacks.LearningRateScheduler(
        lambda epoch: LEARNING_RATE if epoch < DECAY_EPOCH else LEARNING_RATE / 10)
    model.fit(x_train, y_train, epochs=EPOCHS, batch_size=BATCH_SIZE, callbacks=[step_decay], verbose=0)
    return model.evaluate(x_test, y_test, verbose=0)[1]


def test_small_cnn_reaches_98_percent_on_digits():
    assert digits_accuracy(seed=0) >= 0.98
