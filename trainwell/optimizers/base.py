"""Optimizer: what every update rule shares — learning rate and schedules, clipping, weight decay,
constraints, the step counter, slots on the flat buffer and their state."""
import functools
import inspect
import math
import re
import warnings

from trainwell import backend, compiled
from trainwell._errors import bad_type, bad_value, check_number
from trainwell._registry import Registry
from trainwell.optimizers import schedules

REGISTRY = Registry("optimizer")
BLOCK_SIZE = 65536  # entries per block of an update (see _update_in_blocks)
FLUSH_EVERY = 16  # steps between flushes of near-subnormal slot values (see _flush_tiny_values)


class Optimizer:
    """Base of every rule. One `apply(params, grads)` call, in Keras's order (keras_semantics §6.2):

    1. clip gradients: `clipnorm` per variable `g <- g * c / max(||g||, c)`, or `global_clipnorm`
       over all variables together, or `clipvalue` `g <- clip(g, -c, c)` (at most one of them);
    2. decoupled weight decay `w <- w - lr * weight_decay * w` (variables not excluded);
    3. the rule's `update(param, grad, slots, lr, step)` with step t = iterations + 1;
    4. constraints of the variables; 5. iterations += 1.

    Arguments: learning_rate (a float, a schedule `step -> lr`, or a zero-argument callable),
    weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, name=None. A schedule
    is evaluated at `iterations` and serialized in `get_config`; as in Keras, a number cannot be
    assigned over it (a new schedule can).
    The tf.keras spellings `lr=` (alias of learning_rate) and `decay=` (power scheduling
    lr / (1 + decay * iterations), as tf.keras <= 2.10) work and warn once.
    Slots live on the flat buffer (arrays the size of the model's parameters) or are scalars
    (`scalar_slots`, advanced once per step in `begin_step`); `get_state`/`set_state` save and
    restore both with the step exactly.
    """

    slot_names = ()
    scalar_slots = {}

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        where = type(self).__name__
        if "lr" in kwargs:
            warnings.warn(f"{where}: `lr` is the old tf.keras spelling; use `learning_rate`.",
                          DeprecationWarning, stacklevel=3)
            learning_rate = kwargs.pop("lr")
        self.decay = check_number(where, "decay", kwargs.pop("decay", 0.0), low=0)
        if kwargs:
            raise TypeError(f"{where}: unknown keyword argument(s): {', '.join(sorted(kwargs))}.")
        self.learning_rate = learning_rate
        self.weight_decay = check_number(where, "weight_decay", weight_decay, low=0, allow_none=True)
        self.clipnorm = check_number(where, "clipnorm", clipnorm, low=0, low_open=True, allow_none=True)
        self.clipvalue = check_number(where, "clipvalue", clipvalue, low=0, low_open=True, allow_none=True)
        self.global_clipnorm = check_number(where, "global_clipnorm", global_clipnorm, low=0, low_open=True,
                                            allow_none=True)
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(f"{where}: give at most one of clipnorm, clipvalue and global_clipnorm; got "
                             f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}.")
        self.name = name or re.sub(r"(?<!^)(?=[A-Z])", "_", where).lower()
        self.iterations = 0
        self.slots = {}
        self._variables = None
        self._excluded_names = ()

    # ----- learning rate ----------------------------------------------------------------------
    @property
    def learning_rate(self):
        """The learning rate of the next step (a schedule is evaluated at `iterations`)."""
        return self._current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, value):
        where = type(self).__name__
        if isinstance(value, dict) and "class_name" in value:  # a serialized schedule, from get_config
            value = schedules.deserialize(value)
        if callable(value):
            self._learning_rate = value
            self._rate_takes_step = _takes_step(value)
            return
        if callable(getattr(self, "_learning_rate", None)):  # as Keras: a schedule is never overwritten
            raise bad_type(where, "learning_rate", "a schedule or callable, like the one it follows", value,
                           "An optimizer built with a schedule sets its own rate; build a new optimizer.")
        if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
            raise bad_type(where, "learning_rate", "a float, a schedule or a callable", value)
        value = float(value)
        if not math.isfinite(value) or value < 0:
            raise bad_value(where, "learning_rate", "a finite number >= 0", value)
        self._learning_rate = value

    def _current_learning_rate(self):
        rate = self._learning_rate
        if callable(rate):
            rate = rate(self.iterations) if self._rate_takes_step else rate()
        rate = float(rate)
        if self.decay:
            rate /= 1.0 + self.decay * self.iterations
        return rate

    # ----- building on the flat buffer --------------------------------------------------------
    def build(self, variables, size=None, dtype=None):
        """Create the slots for these variables (their flat layout); keeps them if already built for it."""
        xp = backend.xp
        layout = [(v.path, v.shape) for v in variables]
        if self._variables is not None and self._layout == layout:
            self._variables = list(variables)
            return
        size = sum(v.size for v in variables) if size is None else size
        dtype = dtype or (variables[0].dtype if variables else backend.floatx())
        self._variables, self._layout = list(variables), layout
        self.slots = {name: xp.zeros(size, dtype=dtype) for name in self.slot_names}
        self.slots.update({name: value for name, value in self.scalar_slots.items()})
        self._initialize_slots(self.slots)
        self._segments = []
        offset = 0
        for variable in variables:
            self._segments.append((offset, offset + variable.size))
            offset += variable.size

    @property
    def built(self):
        """Whether `build` has laid out slots for some variables."""
        return self._variables is not None

    def layout(self):
        """[(variable, start, stop)]: where each variable's entries sit in the flat buffer (and in every
        slot) the optimizer was built for, in order; empty before `build`."""
        if not self.built:
            return []
        return [(variable, start, stop) for variable, (start, stop) in zip(self._variables, self._segments)]

    def _scratch(self, like, index=0):
        """Reusable work array number `index` shaped like `like` (so a rule's update allocates nothing)."""
        buffers = self.__dict__.setdefault("_scratch_arrays", {})
        scratch = buffers.get(index)
        if scratch is None or scratch.size < like.size or scratch.dtype != like.dtype:
            scratch = buffers[index] = backend.xp.empty(max(like.size, BLOCK_SIZE), dtype=like.dtype)
        return scratch[:like.size].reshape(like.shape)

    @staticmethod
    def _move_average(average, value, decay, scratch):
        """average += (value - average)(1 - decay), in place: the moving average every adaptive rule
        keeps (Adam's m and v, RMSprop's v, ...). `scratch` is a work array; it may hold `value`."""
        backend.xp.subtract(value, average, out=scratch)
        scratch *= 1 - decay
        average += scratch

    def _initialize_slots(self, slots):
        """Give array slots a start value other than 0 (Adagrad's accumulator)."""

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Keep decoupled weight decay off these variables (or those whose path contains a name)."""
        self._excluded_names = tuple(var_names or ()) + tuple(v.path for v in (var_list or ()))

    # ----- one step ---------------------------------------------------------------------------
    def apply(self, params, grads):
        """One update of the flat `params` with the flat `grads` (both 1-D, same layout as `build`)."""
        lr = self._current_learning_rate()
        grads = self._clip(grads)
        if self.weight_decay:
            self._decay_weights(params, lr)
        self._update(params, grads, lr, self.iterations + 1)
        self._apply_constraints()
        self.iterations += 1

    def apply_gradients(self, grads_and_vars):
        """Update arrays (or Variables) in place from `zip(grads, variables)`, as in Keras.

        The classic 2-D experiment runs with the same rules the models use:
            xy = numpy.array([-7.0, 2.0]); opt = SGD(0.95)
            for _ in range(30): opt.apply_gradients([(numpy.array([xy[0] / 10, 2 * xy[1]]), xy)])
        """
        xp = backend.xp
        pairs = list(grads_and_vars)
        arrays = [v.value if hasattr(v, "value") else v for _, v in pairs]
        for array in arrays:
            if not hasattr(array, "dtype") or array.dtype.kind != "f":
                raise bad_type(f"{type(self).__name__}.apply_gradients", "variables", "float arrays", array)
        variables = [_ArrayVariable(a, i) for i, a in enumerate(arrays)]
        self.build(variables)
        params = xp.concatenate([xp.ravel(a) for a in arrays])
        grads = xp.concatenate([xp.ravel(xp.asarray(g, dtype=params.dtype)) for g, _ in pairs])
        self.apply(params, grads)
        for (start, stop), array in zip(self._segments, arrays):
            array[...] = params[start:stop].reshape(array.shape)

    def _update(self, params, grads, lr, step):
        """Run the rule over the whole buffer: its compiled loop when there is one, else NumPy in blocks.

        The NumPy `update` makes about a dozen passes; over blocks of BLOCK_SIZE entries (256 KB
        per float32 array) they stay in the core's cache: Adam's step on 266k parameters went from
        0.67 ms to 0.48 ms here. So `update` must be elementwise, and a per-step scalar (Nadam's
        momentum product) is advanced once in `begin_step`. The compiled loop (`compiled_update`,
        trainwell.compiled) makes one pass on every core and gives the same numbers. Every
        FLUSH_EVERY steps both zero the near-subnormal slot values (see `_flush_tiny_values`).
        """
        self.begin_step(self.slots, step)
        flush = step % FLUSH_EVERY == 0
        if self.compiled_update is not None and compiled.takes(params, grads):
            self.compiled_update(params, grads, self.slots, lr, step, flush)
            return
        arrays = {name: slot for name, slot in self.slots.items() if hasattr(slot, "shape")}
        scalars = {name: slot for name, slot in self.slots.items() if not hasattr(slot, "shape")}
        for start in range(0, params.size, BLOCK_SIZE):
            block = slice(start, start + BLOCK_SIZE)
            views = {name: slot[block] for name, slot in arrays.items()}
            self.update(params[block], grads[block], {**views, **scalars}, lr, step)
            if flush:
                _flush_tiny_values(views.values())

    def begin_step(self, slots, step):
        """Advance per-step scalar slots once before the blocks (default: nothing)."""

    def update(self, param, grad, slots, lr, step):
        """The rule itself as NumPy operations, in place on `param`. Subclasses implement it."""
        raise NotImplementedError

    # The rule as a compiled loop, `compiled_update(param, grad, slots, lr, step, flush)`, in place on
    # the whole buffer, giving the same numbers as `update`; None where a rule has none.
    compiled_update = None

    @staticmethod
    def _loop_scalars(like, *values):
        """`values` in the dtype of `like`, then the flush threshold: what a compiled loop takes."""
        kind = like.dtype.type
        return (*(kind(value) for value in values), kind(_flush_threshold(like.dtype)))

    def _clip(self, grads):
        xp = backend.xp
        if self.clipvalue is not None:
            return xp.clip(grads, -self.clipvalue, self.clipvalue)
        if self.global_clipnorm is not None:
            norm = float(xp.sqrt(xp.dot(grads, grads)))
            return grads * (self.global_clipnorm / max(norm, self.global_clipnorm))
        if self.clipnorm is not None:
            # each variable's norm from one running sum of squares (float64), no loop over variables
            starts, stops = (xp.asarray(edge) for edge in zip(*self._segments))
            running = xp.concatenate([xp.zeros(1), xp.cumsum(grads * grads, dtype=xp.float64)])
            norms = xp.sqrt(running[stops] - running[starts])
            scales = (self.clipnorm / xp.maximum(norms, self.clipnorm)).astype(grads.dtype)
            return grads * xp.repeat(scales, stops - starts)  # g <- g * c / max(||g||, c), per variable
        return grads

    def _decay_weights(self, params, lr):
        factor = 1.0 - lr * self.weight_decay
        if not self._excluded_names:
            params *= factor
            return
        for (start, stop), variable in zip(self._segments, self._variables):
            if not any(name in variable.path for name in self._excluded_names):
                params[start:stop] *= factor

    def _apply_constraints(self):
        for variable in self._variables or ():
            if variable.constraint is not None:
                variable.assign(variable.constraint(variable.value))

    # ----- config and state -------------------------------------------------------------------
    def get_config(self):
        rate = self._learning_rate
        if hasattr(rate, "get_config"):
            rate = schedules.serialize(rate)
        return {"name": self.name, "learning_rate": rate, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "clipvalue": self.clipvalue, "global_clipnorm": self.global_clipnorm,
                **({"decay": self.decay} if self.decay else {})}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_state(self):
        """The step counter and every slot (NumPy copies), for exact resume."""
        return {"iterations": self.iterations,
                "slots": {k: backend.to_numpy(v).copy() if hasattr(v, "shape") else v for k, v in self.slots.items()}}

    def set_state(self, state):
        """Restore `get_state`'s output (the optimizer must be built for the same variables)."""
        for key, value in state["slots"].items():
            if key in self.slots and hasattr(self.slots[key], "shape"):
                self.slots[key][...] = backend.cast(value, self.slots[key].dtype)
            else:
                self.slots[key] = value
        self.iterations = int(state["iterations"])


def _flush_tiny_values(slots):
    """Zero slot entries below tiny * 1e8 (1e-30 in float32) before they turn subnormal (the compiled
    loops do the same entry by entry: `if flush and abs(m[i]) < tiny: m[i] = 0`).

    Moments of weights whose gradient stays 0 (dead ReLU units) decay geometrically into the
    subnormal range, where x86 arithmetic takes a slow microcode path (Adam's step was 3x
    slower with half its momentum subnormal). TensorFlow's CPU kernels flush subnormals to 0;
    NumPy cannot, so the base does it every FLUSH_EVERY steps. A flushed value changes a
    weight by at most lr * 1e-30 / epsilon, far below float32 resolution.
    """
    xp = backend.xp
    for slot in slots:
        if slot.dtype.kind == "f":
            slot[xp.abs(slot) < _flush_threshold(slot.dtype)] = 0


@functools.cache
def _flush_threshold(dtype):
    return float(backend.xp.finfo(dtype).tiny) * 1e8


def _takes_step(rate):
    try:
        return len(inspect.signature(rate).parameters) >= 1
    except (TypeError, ValueError):
        return True


class _ArrayVariable:
    """A plain array seen as a variable by `apply_gradients` (position-based name, no constraint)."""

    def __init__(self, array, index):
        self.value, self.path, self.constraint = array, f"variable_{index}", None
        self.shape, self.size, self.dtype = tuple(array.shape), int(array.size), array.dtype
