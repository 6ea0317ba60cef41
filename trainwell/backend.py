"""The array module (NumPy or CuPy), the float dtype, random generators and the recording switch."""
import contextlib
import ctypes
import os
import platform
import threading

import numpy

from trainwell._errors import check_choice

# The module every numerical line uses: `from trainwell import backend; xp = backend.xp`
# is wrong (it freezes the module); layers call `backend.xp` at run time instead.
xp = numpy
_FLOATX_NAMES = ("float16", "float32", "float64")
_floatx = "float32"
_generator = numpy.random.default_rng()
_state = threading.local()
_compiled_loops = os.environ.get("TRAINWELL_COMPILED", "1") != "0"
_kept_freed_memory = None  # keep_freed_memory(): not tried yet


def set_backend(name):
    """Select the array module: 'numpy' (default) or 'cupy' (needs `trainwell[gpu]`)."""
    global xp, _generator
    check_choice("set_backend", "name", name, ("cupy", "numpy"))
    if name == "cupy":
        try:
            import cupy  # noqa: PLC0415  (optional extra)
        except ImportError as error:
            raise ImportError(
                "set_backend: name='cupy' needs CuPy; install it with `pip install trainwell[gpu]`."
            ) from error
        xp = cupy
    else:
        xp = numpy
    _generator = xp.random.default_rng()


def backend_name():
    """'numpy' or 'cupy'."""
    return xp.__name__


def floatx():
    """The default float dtype name, 'float32' unless changed with `set_floatx`."""
    return _floatx


def set_floatx(name):
    """Set the default float dtype for new weights and inputs ('float32' or 'float64')."""
    global _floatx
    check_choice("set_floatx", "name", name, _FLOATX_NAMES)
    _floatx = name


def epsilon():
    """The fuzz factor Keras uses in constraints and clipping: 1e-7."""
    return 1e-7


def generator():
    """The library's random generator; `trainwell.utils.set_random_seed` reseeds it."""
    return _generator


def seed_generator(seed):
    """Reseed the library's generator (use `trainwell.utils.set_random_seed`)."""
    global _generator
    _generator = xp.random.default_rng(seed)


def new_generator(seed=None):
    """A private generator: seeded from `seed` when given, else drawn from the library's one."""
    if seed is None:
        seed = int(_generator.integers(0, 2**63 - 1))
    return xp.random.default_rng(seed)


def to_numpy(array):
    """A NumPy array of `array` (copies from the GPU when needed)."""
    if xp is not numpy and isinstance(array, xp.ndarray):
        return xp.asnumpy(array)
    return numpy.asarray(array)


def cast(array, dtype=None):
    """`array` on the backend with `dtype` (floatx when None), copied only when needed."""
    return xp.asarray(array, dtype=dtype or _floatx)


def set_compiled_loops(enabled):
    """Switch the compiled loops of `trainwell.compiled` on (default) or off (NumPy operations only).

    They run only on the NumPy backend with Numba installed (`pip install trainwell[fast]`);
    `TRAINWELL_COMPILED=0` switches them off from the start. Both paths give the same numbers.
    """
    global _compiled_loops
    _compiled_loops = bool(enabled)


def compiled_loops_enabled():
    """Whether `set_compiled_loops` (or TRAINWELL_COMPILED) leaves the compiled loops on."""
    return _compiled_loops


def keep_freed_memory():
    """Let glibc keep freed memory for reuse (fit calls this once); returns whether it now does.

    A training step allocates and frees the same large arrays (activations, gradients) every batch.
    glibc hands blocks over 128 KB back to the kernel when freed, so each step page-faults them in
    again: the first Dense layer's input gradient at batch 1024 took 2.4 ms instead of 1.7, and the
    batch-norm MLP of bench/mlp_cpu.py trained 20% slower. This sets M_MMAP_THRESHOLD to 32 MB and
    M_TRIM_THRESHOLD to 64 MB (what glibc's own adaptive threshold allows at most), so at most 64 MB
    of freed memory stays with the process. Nothing is done on other C libraries, when the
    MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_ variables already say what the user wants, or
    with TRAINWELL_KEEP_FREED_MEMORY=0. The setting lasts for the life of the process.
    """
    global _kept_freed_memory
    if _kept_freed_memory is None:
        _kept_freed_memory = False
        wanted = os.environ.get("TRAINWELL_KEEP_FREED_MEMORY", "1") != "0"
        user_set = any(name in os.environ for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"))
        if wanted and not user_set and platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
            mallopt = ctypes.CDLL(None).mallopt
            mmap_threshold, trim_threshold = -3, -1  # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD (malloc.h)
            _kept_freed_memory = bool(mallopt(mmap_threshold, 32 << 20) and mallopt(trim_threshold, 64 << 20))
    return _kept_freed_memory


def backward_enabled():
    """True inside `recording()`: layers keep what their next `backward` needs."""
    return getattr(_state, "recording", False)


@contextlib.contextmanager
def recording(enabled=True):
    """Within this block layers keep their inputs for a backward pass (the training step)."""
    previous = backward_enabled()
    _state.recording = enabled
    try:
        yield
    finally:
        _state.recording = previous


if os.environ.get("TRAINWELL_BACKEND"):
    set_backend(os.environ["TRAINWELL_BACKEND"])
if os.environ.get("TRAINWELL_FLOATX"):
    set_floatx(os.environ["TRAINWELL_FLOATX"])


_name_counts = {}


def unique_name(prefix):
    """'dense', then 'dense_1', 'dense_2', ... per prefix, as Keras names layers and models."""
    count = _name_counts.get(prefix, 0)
    _name_counts[prefix] = count + 1
    return prefix if count == 0 else f"{prefix}_{count}"
