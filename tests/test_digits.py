"""The issue's acceptance run: the textbook MLP on the bundled digits reaches >= 97% test accuracy."""
import numpy as np

import trainwell as tw
from trainwell import layers


def build_and_fit(seed, epochs=20):
    tw.utils.set_random_seed(seed)
    images, labels = tw.data.load_digits()
    (x_train, y_train), (x_test, y_test) = tw.data.train_test_split(images / 16.0, labels, test_size=0.2,
                                                                     stratify=True, seed=seed)
    model = tw.Sequential([
        layers.Input(shape=(8, 8)), layers.Flatten(),
        layers.Dense(300, activation="elu", kernel_initializer="he_normal"), layers.BatchNormalization(),
        layers.Dense(100, activation="elu", kernel_initializer="he_normal"), layers.BatchNormalization(),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)
    return model, model.evaluate(x_test, y_test, verbose=0)[1]


def test_digits_split_is_stratified_80_20():
    images, labels = tw.data.load_digits()
    (_, y_train), (_, y_test) = tw.data.train_test_split(images, labels, test_size=0.2, stratify=True, seed=0)
    assert len(y_train) + len(y_test) == 1797
    for label in range(10):
        share = np.mean(y_test == label) / np.mean(labels == label)
        assert abs(share - 1) < 0.05


def test_textbook_mlp_reaches_97_percent_and_same_seed_same_weights():
    model_a, accuracy = build_and_fit(seed=0)
    assert accuracy >= 0.97
    model_b, _ = build_and_fit(seed=0)
    for a, b in zip(model_a.get_weights(), model_b.get_weights()):
        np.testing.assert_array_equal(a, b)
