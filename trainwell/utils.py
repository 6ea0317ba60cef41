"""Small public helpers: seeding every random generator the library uses; Monte Carlo dropout predictions."""
import random

import numpy

from trainwell import backend
from trainwell._errors import bad_type, check_number


def set_random_seed(seed):
    """Seed Python's `random`, NumPy's global generator and trainwell's own generator.

    Same seed, same backend, same data -> identical initial weights, dropout masks and shuffles.
    Example: `trainwell.utils.set_random_seed(42)`.
    """
    check_number("set_random_seed", "seed", seed, low=0, integer=True)
    random.seed(seed)
    numpy.random.seed(seed % 2**32)
    backend.seed_generator(seed)


def mc_predict(model, x, samples=100, batch_size=None):
    """Monte Carlo dropout (Gal & Ghahramani 2016): the mean and spread of `samples` stochastic predictions.

        mean = (1/S) Σ_s f_s(x),   std = sqrt((1/S) Σ_s (f_s(x) − mean)²)   (population std, ddof 0)

    where each pass f_s draws fresh dropout masks. Every layer runs as in training (Dropout,
    AlphaDropout, RReLU draw their noise) except BatchNormalization, which stays in inference
    mode: it normalizes with its moving statistics and leaves them bit-for-bit unchanged.

    Why not `model(x, training=True)`, the textbook pattern? It also switches BatchNormalization
    to training mode: each pass normalizes with the statistics of the batch being predicted (so a
    prediction depends on its batch-mates) and *updates the moving mean and variance* towards
    that batch, silently changing the model (keras_semantics §4.3). Keras users trip over this;
    `mc_predict` avoids it. Without any dropout the passes agree and std is exactly 0.

    Arguments: model (a built or buildable Sequential), x (samples, batch axis first), samples=100
    (passes, >= 1), batch_size=None (32, as predict). Returns (mean, std), NumPy arrays shaped like
    `model.predict(x)`. Statistics accumulate in float64 (Welford's update), so no S-fold copy of
    the predictions is held. Example:
        mean, std = trainwell.utils.mc_predict(model, x_test, samples=100)
        uncertain = std.max(axis=1) > 0.1
    """
    from trainwell.layers.normalization import BatchNormalization  # noqa: PLC0415  (import cycle)
    from trainwell.models import Sequential, _data  # noqa: PLC0415

    where = "mc_predict"
    if not isinstance(model, Sequential):
        raise bad_type(where, "model", "a Sequential model", model)
    check_number(where, "samples", samples, low=1, integer=True)
    batch_size = _data.check_batch_size(where, batch_size)
    x = _data.as_features(x, where)
    if not model.built:
        model.build((None,) + x.shape[1:])
    model.check_input_shape((None,) + x.shape[1:])
    passes = [(layer, not isinstance(layer, BatchNormalization)) for layer in model.leaf_layers()]
    means, stds = [], []
    with backend.recording(False):
        for index in _data.batch_indices(len(x), batch_size, shuffle=False):
            mean, spread = _mc_batch(passes, backend.cast(x[index]), samples)
            means.append(mean)
            stds.append(spread)
    return numpy.concatenate(means, axis=0), numpy.concatenate(stds, axis=0)


def _mc_batch(passes, x, samples):
    """Welford's running mean and sum of squared deviations over `samples` stochastic passes."""
    xp = backend.xp
    mean = squares = None
    for count in range(1, samples + 1):
        outputs = x
        for layer, training in passes:
            outputs = layer(outputs, training=training)
        outputs = outputs.astype(xp.float64)
        if mean is None:
            mean, squares = outputs, xp.zeros_like(outputs)
            continue
        delta = outputs - mean
        mean = mean + delta / count
        squares += delta * (outputs - mean)  # M2 += (f − mean_old)(f − mean_new)
    dtype = backend.floatx()
    return (backend.to_numpy(mean).astype(dtype, copy=False),
            backend.to_numpy(xp.sqrt(squares / samples)).astype(dtype, copy=False))
