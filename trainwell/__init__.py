"""trainwell: the classic toolkit for training deep networks well, on NumPy, behind the Keras API."""
from trainwell import (activations, backend, callbacks, constraints, data, initializers, layers, losses, metrics,
                       models, optimizers, regularizers, utils)
from trainwell import experimental  # noqa: F401  (tf.keras's keras.experimental spellings)
from trainwell import datasets  # noqa: F401  (keras.datasets: mnist, fashion_mnist, imdb, boston_housing, ...)
from trainwell import tasks  # noqa: F401  (task presets and build_mlp)
from trainwell.models import Model, Sequential

__version__ = "0.1.0"
__all__ = ["Model", "Sequential", "activations", "backend", "callbacks", "constraints", "data", "datasets",
           "initializers", "layers", "losses", "metrics", "models", "optimizers", "regularizers", "tasks", "utils",
           "__version__"]
