"""trainwell: the classic toolkit for training deep networks well, on NumPy, behind the Keras API."""
from trainwell import (activations, backend, callbacks, constraints, data, initializers, layers, losses, metrics,
                       models, optimizers, regularizers, utils)
from trainwell.models import Model, Sequential

__version__ = "0.1.0"
__all__ = ["Model", "Sequential", "activations", "backend", "callbacks", "constraints", "data", "initializers",
           "layers", "losses", "metrics", "models", "optimizers", "regularizers", "utils", "__version__"]
