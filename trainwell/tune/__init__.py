"""Hyperparameter search: random search with range narrowing, on one machine or many (see `search`).

    from trainwell import tune
    space = {"learning_rate": tune.LogUniform(1e-4, 1e-1), "units": tune.IntUniform(16, 256)}
    results = tune.random_search("experiments:score", space, trials=30, rounds=2)
"""
from trainwell.tune.search import Results, random_search, work
from trainwell.tune.space import Choice, Distribution, IntUniform, LogUniform, Uniform

__all__ = ["Choice", "Distribution", "IntUniform", "LogUniform", "Results", "Uniform", "random_search", "work"]
