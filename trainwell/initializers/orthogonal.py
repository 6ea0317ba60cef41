"""Matrix initializers: a random Orthogonal matrix and the Identity matrix, each times `gain`."""
import math

from trainwell import backend
from trainwell._errors import bad_value
from trainwell.initializers.base import REGISTRY, Initializer, RandomInitializer, _check_request, _real


@REGISTRY.register("orthogonal", "OrthogonalInitializer")
class Orthogonal(RandomInitializer):
    """A random orthogonal matrix times `gain` (defaults: gain=1.0, seed=None); rank >= 2.

    rows = prod(shape[:-1]), cols = shape[-1]. Draw A ~ N(0, 1) of shape (max, min), A = QR,
    Q <- Q * sign(diag(R)) column-wise (so Q is uniformly distributed), transpose when
    rows < cols, reshape. Hence W^T W = gain^2 I when rows >= cols, W W^T = gain^2 I otherwise.
    PyTorch's `orthogonal_` flattens the other way: rows = shape[0], cols = the rest.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = _real("Orthogonal", "gain", gain)
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        xp = backend.xp
        shape, dtype, rng = self._request(shape, dtype)
        if len(shape) < 2:
            raise bad_value("Orthogonal", "shape", "of rank 2 or more", shape)
        rows, cols = math.prod(shape[:-1]), shape[-1]
        if rows == 0 or cols == 0:
            return xp.zeros(shape, dtype=dtype)
        q, r = xp.linalg.qr(rng.standard_normal((max(rows, cols), min(rows, cols))))
        q *= xp.where(xp.diagonal(r) < 0, -1.0, 1.0)  # sign(diag(R)), never 0
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(dtype)

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}


@REGISTRY.register("identity", "IdentityInitializer")
class Identity(Initializer):
    """`gain * eye(rows, cols)` for a 2-D shape (rows, cols); other ranks are refused. gain=1.0."""

    def __init__(self, gain=1.0):
        self.gain = _real("Identity", "gain", gain)

    def __call__(self, shape, dtype=None):
        shape, dtype = _check_request(type(self).__name__, shape, dtype)
        if len(shape) != 2:
            raise bad_value("Identity", "shape", "2-D (rows, cols)", shape)
        return backend.xp.asarray(self.gain * backend.xp.eye(*shape), dtype=dtype)

    def get_config(self):
        return {"gain": self.gain}
