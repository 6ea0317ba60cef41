"""The classic figure of Glorot & Bengio (2010): each layer's activations in a deep network, per
initialization.

With weights drawn from N(0, 1), a tanh network's units are pinned at -1 and +1 from the first layer
on (sigmoid: at 0 and 1), where their slope vanishes; Glorot's scale keeps them spread. For ReLU,
Glorot's scale halves the variance at every layer and He's scale (twice as large) keeps it.

    result = activation_histograms(activation="tanh")
    result["glorot_uniform"][3]   # layer 4: {"counts", "edges", "mean", "std", "saturated"}
    plot_activation_histograms(result, "tanh_histograms.png")   # the `lab` extra (matplotlib)
"""
from trainwell import Sequential, backend, initializers, layers, utils
from trainwell._errors import bad_type, check_choice, check_number
from trainwell.io import atomic_write

# name -> initializer; "normal(0, 1)" is the naive choice the paper starts from
INITIALIZERS = {"normal(0, 1)": lambda: initializers.RandomNormal(stddev=1.0),
                "glorot_uniform": lambda: "glorot_uniform", "he_normal": lambda: "he_normal"}
RANGES = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0), "relu": (0.0, 4.0)}  # histogram range per activation
_SATURATED = {"tanh": lambda y: abs(y) > 0.99, "sigmoid": lambda y: (y < 0.01) | (y > 0.99)}


def activation_histograms(activation="tanh", names=None, depth=5, units=100, samples=1000, bins=40, seed=0):
    """{initializer name: [one dict per layer]} for `depth` Dense(units, activation) layers fed
    `samples` standard-normal inputs (inference mode). Each dict: `counts` and `edges` of a
    `bins`-bin histogram over the activation's range (relu: [0, 4], larger values in the last bin),
    `mean`, `std` and `saturated` (the share within 0.01 of a tanh/sigmoid bound; None for relu).
    `names` picks from INITIALIZERS (default: all three). Same seed, same numbers (it reseeds the
    library's generator with `seed` for each initializer, as `utils.set_random_seed` does)."""
    where = "activation_histograms"
    check_choice(where, "activation", activation, tuple(RANGES))
    for argument, value in (("depth", depth), ("units", units), ("samples", samples), ("bins", bins)):
        check_number(where, argument, value, low=1, integer=True)
    names = list(INITIALIZERS) if names is None else names
    if isinstance(names, str) or not all(name in INITIALIZERS for name in names):
        raise bad_type(where, "names", f"a list of names from {sorted(INITIALIZERS)}", names)
    xp = backend.xp
    low, high = RANGES[activation]
    result = {}
    for name in names:
        utils.set_random_seed(seed)  # the same inputs, and draws of the same law, for every initializer
        inputs = xp.asarray(backend.generator().standard_normal((samples, units)), dtype=backend.floatx())
        model = Sequential([layers.Input((units,))] + [
            layers.Dense(units, activation=activation, kernel_initializer=INITIALIZERS[name]()) for _ in range(depth)])
        rows, outputs = [], inputs
        with backend.recording(False):
            for layer in model.leaf_layers():
                outputs = layer(outputs, training=False)
                y = backend.to_numpy(outputs).astype("float64").ravel()
                counts, edges = _histogram(y.clip(low, high), bins, low, high)
                rows.append({"counts": counts, "edges": edges, "mean": float(y.mean()), "std": float(y.std()),
                             "saturated": float(_SATURATED[activation](y).mean()) if activation in _SATURATED
                             else None})
        result[name] = rows
    return result


def plot_activation_histograms(result, path, title=None):
    """Draw `result` as a grid (a row per initializer, a column per layer) into the PNG `path`."""
    try:
        import matplotlib  # noqa: PLC0415  (the `lab` extra)
    except ImportError as error:
        raise ImportError("plot_activation_histograms needs matplotlib: pip install 'trainwell[lab]'.") from error
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    names = list(result)
    depth = len(result[names[0]])
    figure, axes = plt.subplots(len(names), depth, figsize=(2.2 * depth, 1.9 * len(names)), squeeze=False,
                                sharex=True)
    for row, name in enumerate(names):
        for column, layer in enumerate(result[name]):
            plot = axes[row][column]
            edges = layer["edges"]
            plot.bar(edges[:-1], layer["counts"], width=edges[1] - edges[0], align="edge")
            plot.set_yticks([])
            if row == 0:
                plot.set_title(f"layer {column + 1}")
            if column == 0:
                plot.set_ylabel(name)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    with atomic_write(path) as handle:
        figure.savefig(handle, format="png", dpi=100)
    plt.close(figure)
    return path


def _histogram(values, bins, low, high):
    import numpy  # noqa: PLC0415  (the histogram of a NumPy copy, whatever the backend)

    counts, edges = numpy.histogram(values, bins=bins, range=(low, high))
    return counts.tolist(), edges.tolist()
