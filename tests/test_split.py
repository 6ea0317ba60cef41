"""Train/validation/test splits, steps per epoch, and the per-epoch shuffle that fit does."""
import numpy as np
import pytest

import trainwell as tw
from trainwell import layers
from trainwell.data import explain_steps, steps_per_epoch, total_steps, train_test_split, train_val_test_split


def test_three_way_split_sizes_are_disjoint_and_cover_every_sample():
    x, y = np.arange(100), np.arange(100) % 4
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = train_val_test_split(x, y, 0.1, 0.2, seed=0)
    assert (len(x_train), len(x_val), len(x_test)) == (70, 10, 20)
    assert sorted(np.concatenate([x_train, x_val, x_test]).tolist()) == list(range(100))
    np.testing.assert_array_equal(y_val, x_val % 4)  # rows stay paired
    assert list(x_val) == sorted(x_val) and list(x_test) == sorted(x_test)  # held-out parts keep their order


def test_stratified_split_keeps_every_class_share_in_all_three_parts():
    y = np.repeat([0, 1, 2], [120, 60, 20])  # 60% / 30% / 10%
    x = np.arange(len(y))
    (_, y_train), (_, y_val), (_, y_test) = train_val_test_split(x, y, 0.1, 0.2, stratify=True, seed=1)
    # per class: test round(0.2·count), validation round(0.1·count), the rest trains
    assert np.bincount(y_test).tolist() == [24, 12, 4]
    assert np.bincount(y_val).tolist() == [12, 6, 2]
    assert np.bincount(y_train).tolist() == [84, 42, 14]
    one_hot = np.eye(3)[y]
    (_, y_train_1h), _, _ = train_val_test_split(x, one_hot, 0.1, 0.2, stratify=True, seed=1)
    assert np.bincount(y_train_1h.argmax(axis=1)).tolist() == [84, 42, 14]


def test_same_seed_same_split_other_seed_other_split():
    x, y = np.arange(50), np.zeros(50)
    first = train_val_test_split(x, y, seed=3)
    second = train_val_test_split(x, y, seed=3)
    other = train_val_test_split(x, y, seed=4)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(first[2][0], other[2][0])


def test_train_test_split_gives_round_test_size_samples_to_the_test_set():
    x, y = np.arange(45), np.arange(45) % 3
    (x_train, y_train), (x_test, y_test) = train_test_split(x, y, test_size=0.2, seed=7)
    assert (len(x_train), len(x_test)) == (36, 9)  # round(0.2 · 45) = 9
    assert sorted(np.concatenate([x_train, x_test]).tolist()) == list(range(45))
    np.testing.assert_array_equal(y_test, x_test % 3)


@pytest.mark.parametrize("call, match", [
    (lambda: train_val_test_split(np.arange(10), np.arange(10), 0.5, 0.5), "val_size \\+ test_size must be below 1"),
    (lambda: train_val_test_split(np.arange(4), np.arange(4), 0.1, 0.2), "val_size must be large enough to give"),
    (lambda: train_val_test_split(np.arange(4), np.arange(3)), r"as many samples as x \(4\)"),
    (lambda: train_val_test_split(np.arange(4), np.arange(4), val_size=0), r"val_size must be a number in \(0, 1\)"),
])
def test_impossible_splits_are_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_steps_per_epoch_counts_the_last_partial_batch():
    assert steps_per_epoch(60000, 32) == 1875  # 60000/32 exactly
    assert steps_per_epoch(1000, 32) == 32  # 31 full batches of 32 and one of 8
    assert total_steps(1000, 32, epochs=10) == 320  # the lecture's n·e/b would say 312.5
    assert total_steps(60000, 32, epochs=10) == 60000 * 10 / 32
    sentence = explain_steps(1000, 32, epochs=10)
    assert "32 steps per epoch (31 full batches and one partial batch of 8)" in sentence
    assert "= 320 steps (n*e/b = 312.5)" in sentence
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        steps_per_epoch(10, 0)


class Recorder(layers.Layer):
    """An identity layer that records the sample ids (feature 0) it sees while training."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.batches = []

    def call(self, inputs, training=None):
        if training:
            self.batches.append(np.asarray(inputs[:, 0]).astype(int))
        return inputs


def epochs_seen(shuffle, seed, n=40, batch_size=16, epochs=3):
    tw.utils.set_random_seed(seed)
    recorder = Recorder()
    model = tw.Sequential([layers.Input(shape=(2,)), recorder, layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.stack([np.arange(n), np.ones(n)], axis=1).astype("float32")
    model.fit(x, np.zeros(n), batch_size=batch_size, epochs=epochs, shuffle=shuffle, verbose=0)
    per_epoch = len(recorder.batches) // epochs
    return [recorder.batches[e * per_epoch:(e + 1) * per_epoch] for e in range(epochs)]


def test_fit_shuffles_every_epoch_differently_and_reproducibly():
    epochs = epochs_seen(shuffle=True, seed=11)
    assert all([len(b) for b in batches] == [16, 16, 8] for batches in epochs)  # steps_per_epoch(40, 16) = 3
    orders = [np.concatenate(batches) for batches in epochs]
    assert all(sorted(order.tolist()) == list(range(40)) for order in orders)  # each epoch sees every sample once
    assert len({tuple(order) for order in orders}) == 3  # a new order each epoch
    again = [np.concatenate(batches) for batches in epochs_seen(shuffle=True, seed=11)]
    np.testing.assert_array_equal(orders, again)  # same seed, same orders
    unshuffled = [np.concatenate(batches) for batches in epochs_seen(shuffle=False, seed=11)]
    assert all(order.tolist() == list(range(40)) for order in unshuffled)
