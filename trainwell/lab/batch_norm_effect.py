"""The batch-normalization experiment of "Deep Learning from Scratch" (ch. 6, batch_norm_test.py) on the
bundled digits: the same deep ReLU network trained with and without BatchNormalization, for a range of
initial weight scales, training accuracy per epoch.

Without BatchNormalization the network learns only near the right scale (He's); too small, and the
signal fades layer by layer; too large, and it blows up. With BatchNormalization after each hidden
Dense layer, every layer sees standardized inputs, so training goes on over the whole range.

    result = batch_norm_effect(scales=(1.0, 0.1, 0.01), seeds=(0, 1, 2))
    result["curves"][0.01]["with_bn"]       # one list of per-epoch training accuracies per seed
    plot_batch_norm_effect(result, "batch_norm.png")   # the `lab` extra (matplotlib)
"""
import numpy

from trainwell import Sequential, initializers, layers, optimizers, utils
from trainwell._errors import bad_type, check_number
from trainwell.io import atomic_write
from trainwell.lab.experiments._common import digits_split

SCALES = (1.0, 0.3, 0.1, 0.03, 0.01, 0.003)  # standard deviations of the initial weights
HIDDEN = (100,) * 5
SAMPLES = 1000  # training samples (the book uses 1,000 MNIST images)
EPOCHS = 20
BATCH_SIZE = 100
LEARNING_RATE = 0.01  # plain SGD, as the book


def network(scale, batch_norm):
    """Input(64) → [Dense(100, N(0, scale²) weights) (→ BatchNormalization) → relu] × 5 → Dense(10, softmax)."""
    stack = [layers.Input((64,))]
    for units in HIDDEN:
        stack.append(layers.Dense(units, kernel_initializer=initializers.RandomNormal(stddev=scale)))
        if batch_norm:
            stack.append(layers.BatchNormalization())
        stack.append(layers.ReLU())
    stack.append(layers.Dense(10, activation="softmax", kernel_initializer=initializers.RandomNormal(stddev=scale)))
    model = Sequential(stack)
    model.compile(optimizer=optimizers.SGD(learning_rate=LEARNING_RATE), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def batch_norm_effect(scales=SCALES, seeds=(0, 1, 2), epochs=EPOCHS, samples=SAMPLES):
    """{"scales", "seeds", "epochs", "curves": {scale: {"with_bn": [...], "without_bn": [...]}}}: per
    seed, the training accuracy after each epoch. Both variants of a seed share the split, the
    initial weights of their Dense layers and the batch order. A network that blows up (NaN) is kept
    as it is: its accuracy is that of its predictions."""
    where = "batch_norm_effect"
    if isinstance(scales, (str, bytes)) or not hasattr(scales, "__iter__") or not list(scales):
        raise bad_type(where, "scales", "a list of positive weight scales", scales)
    scales = [check_number(where, "scales", scale, low=0, low_open=True) for scale in scales]
    seeds = [check_number(where, "seeds", seed, low=0, integer=True) for seed in seeds]
    epochs = check_number(where, "epochs", epochs, low=1, integer=True)
    samples = check_number(where, "samples", samples, low=10, integer=True)
    curves = {scale: {"with_bn": [], "without_bn": []} for scale in scales}
    for seed in seeds:
        (x, y), _ = digits_split(seed)
        x, y = x[:samples], y[:samples]
        for scale in scales:
            for key, batch_norm in (("with_bn", True), ("without_bn", False)):
                utils.set_random_seed(seed)
                model = network(scale, batch_norm)
                with numpy.errstate(over="ignore", invalid="ignore"):  # a plain net may blow up: that is data
                    history = model.fit(x, y, batch_size=BATCH_SIZE, epochs=epochs, verbose=0)
                curves[scale][key].append([float(a) for a in history.history["accuracy"]])
    return {"scales": scales, "seeds": seeds, "epochs": epochs, "curves": curves}


def plot_batch_norm_effect(result, path):
    """One panel per weight scale: mean training accuracy per epoch with and without batch norm."""
    try:
        import matplotlib  # noqa: PLC0415  (the `lab` extra)
    except ImportError as error:
        raise ImportError("plot_batch_norm_effect needs matplotlib: pip install 'trainwell[lab]'.") from error
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    scales = result["scales"]
    columns = min(3, len(scales))
    rows = -(-len(scales) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 2.6 * rows), squeeze=False,
                                sharex=True, sharey=True)
    epochs = range(1, result["epochs"] + 1)
    for index, scale in enumerate(scales):
        plot = axes[index // columns][index % columns]
        for key, label in (("with_bn", "batch norm"), ("without_bn", "plain")):
            runs = result["curves"][scale][key]
            plot.plot(epochs, [sum(values) / len(values) for values in zip(*runs)], label=label)
        plot.set_title(f"weights N(0, {scale:g}²)")
        plot.set_ylim(0, 1)
    axes[0][0].legend(loc="lower right")
    for extra in range(len(scales), rows * columns):
        axes[extra // columns][extra % columns].axis("off")
    figure.supxlabel("epoch")
    figure.supylabel("training accuracy")
    figure.tight_layout()
    with atomic_write(path) as handle:
        figure.savefig(handle, format="png", dpi=100)
    plt.close(figure)
    return path
