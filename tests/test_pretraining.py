"""Greedy layer-wise autoencoder pretraining: each stage's reconstruction improves; encoders reused or copied."""
import numpy as np
import pytest

import trainwell as tw
from trainwell import layers
from trainwell.pretraining import greedy_layerwise_pretraining

ADAM = {"class_name": "Adam", "config": {"learning_rate": 0.01}}


@pytest.fixture(scope="module")
def pixels():
    images, _ = tw.data.load_digits()
    return images.reshape(len(images), -1)[:400] / 16.0


@pytest.fixture
def stack(pixels):
    return greedy_layerwise_pretraining(pixels, [32, 16], decoder_activation=["sigmoid", None],
                                        loss=["binary_crossentropy", "mse"], optimizer=ADAM, epochs=5)


def test_greedy_pretraining_lowers_each_stages_reconstruction_loss(stack):
    assert len(stack.reconstruction_losses) == 2
    for stage in stack.reconstruction_losses:
        assert stage["after"] < 0.6 * stage["before"]
    assert [len(h.history["loss"]) for h in stack.histories] == [5, 5]


def test_stage_two_rebuilds_the_codes_of_stage_one(stack, pixels):
    (k1, b1), (k2, b2) = [e.get_weights() for e in stack.encoders]
    dk2, db2 = stack.decoders[1].get_weights()
    codes = np.maximum(pixels @ k1 + b1, 0)  # stage 1's relu codes, recomputed by hand
    rebuilt = np.maximum(codes @ k2 + b2, 0) @ dk2 + db2  # stage 2: relu encoder, linear decoder
    assert [d.units for d in stack.decoders] == [64, 32]
    assert stack.reconstruction_losses[1]["after"] == pytest.approx(np.mean((rebuilt - codes) ** 2), rel=1e-4)


def test_encoder_layers_are_reused_by_reference_or_copied(stack, pixels):
    labels = np.arange(len(pixels)) % 10
    shared = tw.Sequential([layers.Input(shape=(64,)), *stack.encoder_layers(), layers.Dense(10, activation="softmax")])
    copied_layers = stack.encoder_layers(copy=True)
    copied = tw.Sequential([layers.Input(shape=(64,)), *copied_layers, layers.Dense(10, activation="softmax")])
    assert shared.layers[0] is stack.encoders[0] and copied_layers[0] is not stack.encoders[0]
    for layer, original in zip(copied_layers, stack.encoders):
        for new, old in zip(layer.get_weights(), original.get_weights()):
            np.testing.assert_array_equal(new, old)
    pretrained = stack.encoders[0].get_weights()[0]
    copied.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    copied.fit(pixels, labels, epochs=1, verbose=0)
    np.testing.assert_array_equal(pretrained, stack.encoders[0].get_weights()[0])  # the copy left them alone
    shared.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    shared.fit(pixels, labels, epochs=1, verbose=0)
    assert not np.array_equal(pretrained, stack.encoders[0].get_weights()[0])  # fine-tuning moved them


def test_autoencoder_stacks_encoders_then_decoders_in_reverse(stack, pixels):
    autoencoder = stack.autoencoder()
    assert autoencoder.layers == stack.encoders + stack.decoders[::-1]
    assert autoencoder.predict(pixels[:3], verbose=0).shape == (3, 64)


def test_bad_pretraining_arguments_are_refused(pixels):
    with pytest.raises(TypeError, match="units must be a non-empty list of hidden sizes"):
        greedy_layerwise_pretraining(pixels, 32)
    with pytest.raises(ValueError, match="loss must be one value or a list of 2"):
        greedy_layerwise_pretraining(pixels, [32, 16], loss=["mse"])
