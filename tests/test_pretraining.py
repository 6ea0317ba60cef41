"""Unsupervised pretraining: greedy autoencoder stages improve their reconstruction; an auxiliary task with
cheap labels is learned; the hidden layers of both are reused by reference or copied."""
import numpy as np
import pytest

import trainwell as tw
from trainwell import layers
from trainwell.pretraining import auxiliary_task_pretraining, flip_labels, greedy_layerwise_pretraining

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


@pytest.fixture(scope="module")
def digit_images():
    images, _ = tw.data.load_digits()
    return images / 16.0


@pytest.fixture
def flip_pretrained(digit_images):
    tw.utils.set_random_seed(0)
    return auxiliary_task_pretraining(digit_images[:1000], flip_labels, [32, 16], optimizer=ADAM, epochs=5)


def test_flip_labels_doubles_the_images_mirrors_them_and_labels_the_mirrored_ones_1():
    images = np.array([[[1, 2, 3], [4, 5, 6]]])  # one 2x3 image
    x_aux, y_aux = flip_labels(images)
    np.testing.assert_array_equal(x_aux, [[[1, 2, 3], [4, 5, 6]], [[3, 2, 1], [6, 5, 4]]])  # rows reversed
    np.testing.assert_array_equal(y_aux, [0, 1])
    colour = np.arange(8).reshape(1, 2, 2, 2)  # (samples, height, width, channels): width reversed, channels kept
    np.testing.assert_array_equal(flip_labels(colour)[0][1], [[[2, 3], [0, 1]], [[6, 7], [4, 5]]])


def test_auxiliary_flip_task_is_learned_well_above_chance_on_held_out_images(flip_pretrained, digit_images):
    x_aux, y_aux = flip_labels(digit_images[1000:])  # split before flipping: no image's twin was trained on
    probabilities = flip_pretrained.model.predict(x_aux.reshape(len(x_aux), -1), verbose=0).ravel()
    accuracy = np.mean((probabilities > 0.5) == y_aux)
    assert accuracy > 0.8  # chance is 0.5 (balanced labels); seeds 0-9 gave 0.90-0.93
    assert flip_pretrained.head.units == 1 and isinstance(flip_pretrained.model.loss, tw.losses.BinaryCrossentropy)
    assert len(flip_pretrained.history.history["accuracy"]) == 5


def test_auxiliary_hidden_layers_are_reused_by_reference_or_copied(flip_pretrained, digit_images):
    labels = np.arange(200) % 10
    shared_layers, copied_layers = flip_pretrained.hidden_layers(), flip_pretrained.hidden_layers(copy=True)
    assert shared_layers == flip_pretrained.hidden and flip_pretrained.head not in shared_layers
    assert all(new is not old for new, old in zip(copied_layers, flip_pretrained.hidden))
    for layer, original in zip(copied_layers, flip_pretrained.hidden):
        for new, old in zip(layer.get_weights(), original.get_weights()):
            np.testing.assert_array_equal(new, old)
    pretrained = flip_pretrained.hidden[0].get_weights()[0]
    for hidden, moves in ((copied_layers, False), (shared_layers, True)):
        model = tw.Sequential([layers.Input(shape=(8, 8)), layers.Flatten(), *hidden,
                               layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(digit_images[:200], labels, epochs=1, verbose=0)
        assert np.array_equal(pretrained, flip_pretrained.hidden[0].get_weights()[0]) != moves


def test_more_than_two_cheap_classes_get_a_softmax_head(digit_images):
    def rotation_labels(images):  # which of 4 quarter turns was applied
        return (np.concatenate([np.rot90(images, turns, axes=(1, 2)) for turns in range(4)]),
                np.repeat(np.arange(4), len(images)))
    result = auxiliary_task_pretraining(digit_images[:100], rotation_labels, [16], epochs=1)
    assert result.head.units == 4 and result.head.get_config()["activation"] == "softmax"
    assert isinstance(result.model.loss, tw.losses.SparseCategoricalCrossentropy)
    assert result.hidden[0].kernel.shape == (64, 16)  # each 8x8 sample flattened


def test_bad_auxiliary_arguments_are_refused(digit_images):
    with pytest.raises(TypeError, match="make_labels must be a function"):
        auxiliary_task_pretraining(digit_images, "flip", [8])
    with pytest.raises(ValueError, match="y_aux must be integer classes 0..k-1 with k >= 2"):
        auxiliary_task_pretraining(digit_images, lambda x: (x, np.zeros(len(x), dtype=int)), [8])
    with pytest.raises(ValueError, match="one label per sample"):
        auxiliary_task_pretraining(digit_images, lambda x: (x, np.zeros(3, dtype=int)), [8])
    with pytest.raises(ValueError, match="flip_labels: images must be an array"):
        flip_labels(digit_images.reshape(len(digit_images), -1))
