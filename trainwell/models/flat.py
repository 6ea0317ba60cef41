"""Packing weights into one flat parameter buffer and one flat gradient buffer (DESIGN §3)."""
from trainwell import backend


def pack(trainable, all_weights):
    """Copy `trainable` variables into one contiguous array and make each a view into it.

    Returns (params, grads, token). Every trainable variable's `value` and `grad` become
    reshaped views of `params` and `grads`; the others (non-trainable or frozen) get their own
    storage back and `grad = None`, so no optimizer can move them. `token` marks the variables
    of this pack, so a model notices when another model repacked a shared layer.
    """
    xp = backend.xp
    dtype = trainable[0].dtype if trainable else backend.floatx()
    total = sum(v.size for v in trainable)
    params = xp.empty(total, dtype=dtype)
    grads = xp.zeros(total, dtype=dtype)
    token = object()
    offset = 0
    for variable in trainable:
        stop = offset + variable.size
        params[offset:stop] = variable.value.reshape(-1)
        variable.value = params[offset:stop].reshape(variable.shape)
        variable.grad = grads[offset:stop].reshape(variable.shape)
        variable._pack_token = token
        offset = stop
    packed = {id(v) for v in trainable}
    for variable in all_weights:
        if id(variable) not in packed:
            if variable.value.base is not None:
                variable.value = variable.value.copy()
            variable.grad = None
            variable._pack_token = None
    return params, grads, token
