"""Shared pieces of the evidence experiments: the seeded digits split and per-sample scores.

The scores work on what `predict` returns (NumPy arrays, DESIGN §2), after training is over, so
they use NumPy directly; nothing here runs inside a training step.
"""
import numpy

from trainwell import data

TEST_SIZE = 0.3  # 1,258 training and 539 test digits, each class in the same share


def digits_split(seed, test_size=TEST_SIZE):
    """The bundled digits as 64 pixel features in [0, 1], split stratified with `seed`.

    Returns ((x_train, y_train), (x_test, y_test)); the training part comes shuffled (its first n
    rows are a random subset), the test part in the original order. Every experiment of a seed
    starts from this split, so its settings are compared on the same samples.
    """
    images, labels = data.load_digits()
    pixels = (images.reshape(len(images), -1) / 16.0).astype("float32")
    return data.train_test_split(pixels, labels, test_size=test_size, stratify=True, seed=seed)


def take_per_class(labels, classes, per_class, seed):
    """Indices of `per_class` samples of each class in `classes`, drawn without replacement with `seed`."""
    rng = numpy.random.default_rng(seed)
    chosen = [rng.choice(numpy.flatnonzero(labels == label), size=per_class, replace=False) for label in classes]
    return numpy.sort(numpy.concatenate(chosen))


def accuracy(probabilities, labels):
    """Share of samples whose most probable class is the label (one column: p > 0.5 means class 1)."""
    return float(numpy.mean(predicted_class(probabilities) == labels))


def log_loss(probabilities, labels, epsilon=1e-7):
    """Mean −log p(label), probabilities clipped to [epsilon, 1 − epsilon] as Keras's cross-entropy does."""
    probabilities = numpy.asarray(probabilities, dtype=numpy.float64)
    if probabilities.shape[1] == 1:
        probabilities = numpy.concatenate([1.0 - probabilities, probabilities], axis=1)
    chosen = probabilities[numpy.arange(len(labels)), labels]
    return float(-numpy.mean(numpy.log(numpy.clip(chosen, epsilon, 1.0 - epsilon))))


def predicted_class(probabilities):
    probabilities = numpy.asarray(probabilities)
    if probabilities.shape[1] == 1:
        return (probabilities[:, 0] > 0.5).astype(numpy.int64)
    return probabilities.argmax(axis=1)


def kernel_norm(model):
    """sqrt(Σ_layers ‖W‖²_F) over the Dense kernels of `model` (biases left out, as the penalty does)."""
    return float(numpy.sqrt(sum(float(numpy.sum(layer.kernel.numpy().astype(numpy.float64) ** 2))
                                for layer in model.leaf_layers() if hasattr(layer, "kernel"))))


def weights_of(layers):
    """NumPy copies of every weight of `layers` (trainable and not), to compare before and after."""
    return [weight for layer in layers for weight in layer.get_weights()]


def same_weights(before, after):
    """True when every array is bit-for-bit equal."""
    return len(before) == len(after) and all(old.tobytes() == new.tobytes() for old, new in zip(before, after))


def all_moved(before, after):
    """True when every array differs from its earlier copy."""
    return all(not numpy.array_equal(old, new) for old, new in zip(before, after))
