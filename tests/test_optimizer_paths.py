"""The classic 2-D experiment: f(x, y) = x^2/20 + y^2 from (-7, 2), 30 steps of each textbook rule."""
import numpy as np
import pytest

from trainwell.lab.optimizer_paths import gradient, objective, optimizer_paths
from trainwell.optimizers import SGD, RMSprop

START = np.array([-7.0, 2.0])


def test_each_classic_rule_ends_closer_to_the_minimum_and_returns_a_31_by_2_path():
    paths = optimizer_paths()
    assert sorted(paths) == ["AdaGrad", "Adam", "Momentum", "SGD"]
    for name, path in paths.items():
        assert isinstance(path, np.ndarray) and path.shape == (31, 2) and path.dtype == np.float64, name
        np.testing.assert_array_equal(path[0], START)
        assert np.linalg.norm(path[-1]) < np.linalg.norm(START), name
        assert objective(*path[-1]) < objective(*START), name


def test_sgd_path_is_the_closed_form_of_gradient_descent_on_the_quadratic():
    # w <- w - 0.95 (x/10, 2y): x shrinks by 0.905 per step, y flips sign and shrinks by 0.9
    path = optimizer_paths({"SGD": SGD(learning_rate=0.95)})["SGD"]
    k = np.arange(31)
    np.testing.assert_allclose(path[:, 0], -7.0 * 0.905 ** k, rtol=1e-12)
    np.testing.assert_allclose(path[:, 1], 2.0 * (-0.9) ** k, rtol=1e-12)


def test_momentum_path_matches_the_velocity_recursion():
    path = optimizer_paths({"m": SGD(learning_rate=0.1, momentum=0.9)}, steps=5)["m"]
    point, velocity = START.copy(), np.zeros(2)
    for step in range(1, 6):
        velocity = 0.9 * velocity - 0.1 * np.array([point[0] / 10, 2 * point[1]])
        point = point + velocity
        np.testing.assert_allclose(path[step], point, rtol=1e-12)


def test_any_optimizer_start_and_step_count_can_be_given():
    paths = optimizer_paths({"rmsprop": RMSprop(learning_rate=0.1)}, start=(3.0, -1.0), steps=4)
    assert paths["rmsprop"].shape == (5, 2)
    np.testing.assert_array_equal(paths["rmsprop"][0], [3.0, -1.0])


def test_gradient_is_that_of_the_objective():
    point = np.array([1.5, -0.5])
    numeric = [(objective(1.5 + 1e-6, -0.5) - objective(1.5 - 1e-6, -0.5)) / 2e-6,
               (objective(1.5, -0.5 + 1e-6) - objective(1.5, -0.5 - 1e-6)) / 2e-6]
    np.testing.assert_allclose(gradient(point), numeric, rtol=1e-8)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"optimizers": {"sgd": "sgd"}}, TypeError, "optimizers must be a dict of names to optimizer instances"),
    ({"steps": -1}, ValueError, "steps must be an integer >= 0"),
    ({"start": (1.0, 2.0, 3.0)}, ValueError, r"start must be a point \(x, y\)"),
])
def test_bad_arguments_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        optimizer_paths(**kwargs)
