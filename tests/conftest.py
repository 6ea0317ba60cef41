"""Shared fixtures: float64 for gradient checks, and a fresh seed per test."""
import pytest

from trainwell import backend, utils


@pytest.fixture
def float64():
    """Run the test with floatx float64 (gradient checks), restoring float32 after."""
    previous = backend.floatx()
    backend.set_floatx("float64")
    yield
    backend.set_floatx(previous)


@pytest.fixture(autouse=True)
def _seeded():
    utils.set_random_seed(1234)
