"""Objectives for tests/test_tune.py, importable by worker processes as 'tests.tune_objectives:<name>'."""
import math
import os
import time


def bowl(params):
    """A bowl with its floor at learning_rate 1e-2 and units 64: lower is better."""
    return (math.log10(params["learning_rate"]) + 2) ** 2 + (params["units"] - 64) ** 2 / 1e4


def bowl_with_pid(params):
    """`bowl`, slowed a little so several workers share a round, and the process that ran it."""
    time.sleep(0.05)
    return {"score": bowl(params), "pid": os.getpid()}


def fails_on_tanh(params):
    if params["activation"] == "tanh":
        raise ValueError("tanh is not wanted here")
    return bowl(params)
