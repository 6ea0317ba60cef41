"""Compiled elementwise loops: one pass over memory, on every core, for what NumPy does in many passes.

An update rule written as NumPy operations makes a dozen passes over its arrays, each on one core
(Adam: m, v, sqrt, +eps, divide, scale, subtract). The same rule as a loop over entries, compiled
by Numba, reads each array once; on a large buffer the range is split across the cores. Adam's
step on 10M float32 parameters took 4.5 ms here against 25 ms for the NumPy operations.

    @compiled.loop
    def sgd_loop(w, g, lr):
        for i in prange(w.size):          # a plain `range` until compiled
            w[i] -= g[i] * lr

    if compiled.takes(w, g):         # Numba there, and contiguous float arrays of one dtype
        sgd_loop(w, g, w.dtype.type(lr))

A loop is plain Python until its first call under `available()`, which compiles it for the
arguments' types (about 0.5 s, cached on disk beside the source by Numba). Buffers of at least
PARALLEL_MIN entries run on every core (`numba.prange`), smaller ones in the calling thread, where
waking the other threads would cost more than it saves. Scalars must be passed in the arrays'
dtype (`w.dtype.type(x)`): a Python float would make the arithmetic float64, unlike NumPy. With
NumPy's error model (x / 0 is inf, not an exception) and no fast-math or contraction, each entry
goes through the same float operations in the same order as the NumPy path, so the two give
identical numbers (tests/test_compiled.py). That holds for +, -, *, /, sqrt and comparisons, which
IEEE 754 rounds exactly; not for exp, expm1, log or tanh, whose Numba and NumPy versions differ in
the last bits (expm1: 1-2 ulp on a quarter of float32 inputs), so loops leave those to NumPy (ELU
has no loop for that reason).

Threads: Numba's OpenMP layer is preferred (NUMBA_THREADING_LAYER overrides). After a loop its
threads spin for GOMP_SPINCOUNT waits before sleeping; GNU OpenMP's default, 300,000, keeps a core
busy for ~15 ms against OpenBLAS's threads in the next matrix product (the MLP of bench/mlp_cpu.py
trained 7x slower at batch 32), so trainwell sets GOMP_SPINCOUNT=2000 unless it is already set. In
a process forked after a parallel loop ran (multiprocessing's default on Linux), or where another
library loaded GNU OpenMP first without GOMP_SPINCOUNT set (import torch before trainwell trains),
loops run in the calling thread.
Numba is the `fast` extra; without it, or on CuPy, or after `backend.set_compiled_loops(False)`,
`available()` is False and callers run their NumPy operations (a CuPy ElementwiseKernel can take
this place on the GPU).
"""
import functools
import os
import threading
import types

import numpy

from trainwell import backend

PARALLEL_MIN = 2**19  # entries from which a loop runs on every core (see the module docstring)
_lock = threading.Lock()  # compiling, and parallel launches (the workqueue fallback layer needs it)
# GNU OpenMP cannot start threads in a process forked from one that used them (Numba's OpenMP layer
# aborts the child): a forked child of a process that ran a parallel loop runs its loops serially.
_threads = {"started": False, "forked": False, "serial_only": False}


def _note_fork():
    _threads["forked"] = _threads["started"]


if hasattr(os, "register_at_fork"):  # POSIX; Windows has no fork
    os.register_at_fork(after_in_child=_note_fork)


def prange(*args):
    """`range` in plain Python; `numba.prange` (a loop split across threads) once compiled."""
    return range(*args)


@functools.cache
def _numba():
    try:
        import numba  # noqa: PLC0415  (optional extra `fast`; imported on first use, ~0.2 s)
    except ImportError:
        return None
    if "NUMBA_THREADING_LAYER" not in os.environ:
        numba.config.THREADING_LAYER_PRIORITY = ["omp", "tbb", "workqueue"]
        # A libgomp already loaded (PyTorch's wheel carries one) would serve Numba too, with its
        # spin already fixed: then the loops stay in the calling thread rather than fight OpenBLAS.
        _threads["serial_only"] = "GOMP_SPINCOUNT" not in os.environ and _openmp_loaded()
        os.environ.setdefault("GOMP_SPINCOUNT", "2000")  # read when Numba first loads libgomp
    return numba


def _openmp_loaded():
    try:
        with open("/proc/self/maps") as maps:
            return "libgomp" in maps.read()
    except OSError:  # not Linux: no GNU OpenMP spin to worry about
        return False


def available():
    """True when compiled loops run: switched on, NumPy backend, and Numba installed."""
    return backend.compiled_loops_enabled() and backend.xp is numpy and _numba() is not None


def takes(*arrays):
    """Whether a compiled loop runs on these arrays: the loops are available and every array is a
    C-contiguous float32 or float64 array of one dtype (anything else keeps the NumPy path)."""
    dtype = arrays[0].dtype
    return (dtype.char in "fd" and all(a.dtype == dtype and a.flags.c_contiguous for a in arrays)
            and available())


def set_num_threads(count):
    """Run the parallel loops on `count` threads (default: every core, or NUMBA_NUM_THREADS)."""
    numba = _numba()
    if numba is not None:
        numba.set_num_threads(count)


class loop:  # noqa: N801  (used as a decorator, like functools.cache)
    """A loop compiled by Numba on its first call, serial and parallel; see the module docstring."""

    def __init__(self, function):
        functools.update_wrapper(self, function)
        self.python_function = function
        self._compiled = {}  # parallel (bool) -> Numba dispatcher

    def __call__(self, *args):
        parallel = args[0].size >= PARALLEL_MIN and not (_threads["forked"] or _threads["serial_only"])
        kernel = self._compiled.get(parallel)
        if kernel is None:
            with _lock:
                kernel = self._compiled[parallel] = _compile(self.python_function, parallel)
        if not parallel:
            return kernel(*args)
        with _lock:
            _threads["started"] = True
            return kernel(*args)


def _compile(function, parallel):
    numba = _numba()
    if numba is None:
        raise RuntimeError(f"compiled.loop {function.__name__}: Numba is not installed; check "
                           "`compiled.available()` first, or `pip install trainwell[fast]`.")
    # the same code with `prange` bound to Numba's, so the source reads the same either way
    scope = {**function.__globals__, "prange": numba.prange}
    rebound = types.FunctionType(function.__code__, scope, function.__name__, function.__defaults__,
                                 function.__closure__)
    # one name per variant: Numba's disk cache tells functions apart by name, not by compile options
    rebound.__qualname__ = f"{function.__qualname__}_{'parallel' if parallel else 'serial'}"
    rebound.__module__ = function.__module__
    options = {"parallel": parallel, "error_model": "numpy", "nogil": True}
    try:
        return numba.njit(cache=True, **options)(rebound)
    except RuntimeError:  # no writable cache folder (read-only install, no home): compile on every run
        return numba.njit(**options)(rebound)
