"""Variable: one named weight array of a layer, with its gradient view and its penalty and constraint."""
from trainwell import backend
from trainwell._errors import bad_value


class Variable:
    """A layer weight: `value` (the array the layer computes with) and `grad` (its gradient).

    Once a model is compiled, `value` and `grad` of every trainable variable are views into the
    model's two flat buffers (DESIGN §3); assigning through `assign` keeps those views intact.
    `grad` is None for variables that no optimizer updates (non-trainable or frozen).
    """

    def __init__(self, value, name, trainable=True, regularizer=None, constraint=None):
        self.value = value
        self.name = name
        self.path = name
        self.trainable = trainable
        self.regularizer = regularizer
        self.constraint = constraint
        self.grad = None
        self._pack_token = None

    @property
    def shape(self):
        return tuple(self.value.shape)

    @property
    def dtype(self):
        return self.value.dtype

    @property
    def size(self):
        return int(self.value.size)

    @property
    def ndim(self):
        return self.value.ndim

    def numpy(self):
        """A NumPy copy of the current value."""
        return backend.to_numpy(self.value).copy()

    def assign(self, new_value):
        """Write `new_value` into the variable in place (shapes must match exactly)."""
        new_value = backend.cast(new_value, self.value.dtype)
        if tuple(new_value.shape) != self.shape:
            raise bad_value(f"Variable '{self.path}'.assign", "value", f"an array of shape {self.shape}",
                            new_value)
        self.value[...] = new_value

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array if dtype is None else array.astype(dtype)

    def __repr__(self):
        return f"<Variable path={self.path!r} shape={self.shape} dtype={self.dtype} trainable={self.trainable}>"
