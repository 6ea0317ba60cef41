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


@pytest.fixture(params=["compiled", "numpy"])
def compiled_or_numpy(request):
    """Run the test once with the compiled loops (trainwell.compiled) and once with NumPy operations only."""
    from trainwell import compiled  # noqa: PLC0415

    previous = backend.compiled_loops_enabled()
    backend.set_compiled_loops(request.param == "compiled")
    if request.param == "compiled" and not compiled.available():
        backend.set_compiled_loops(previous)
        pytest.skip("Numba is not installed (the `fast` extra)")
    yield request.param
    backend.set_compiled_loops(previous)
