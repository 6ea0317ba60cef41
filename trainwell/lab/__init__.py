"""The lab: reproducible classic experiments (optimizer paths, regularization evidence, ...)."""
