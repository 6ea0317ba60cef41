"""Small public helpers: seeding every random generator the library uses."""
import random

import numpy

from trainwell import backend
from trainwell._errors import check_number


def set_random_seed(seed):
    """Seed Python's `random`, NumPy's global generator and trainwell's own generator.

    Same seed, same backend, same data -> identical initial weights, dropout masks and shuffles.
    Example: `trainwell.utils.set_random_seed(42)`.
    """
    check_number("set_random_seed", "seed", seed, low=0, integer=True)
    random.seed(seed)
    numpy.random.seed(seed % 2**32)
    backend.seed_generator(seed)
