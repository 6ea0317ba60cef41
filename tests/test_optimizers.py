"""SGD and Adam on fixed numbers: keras_semantics §6.6 reference values and the equations re-derived."""
import math

import numpy as np
import pytest

from trainwell import optimizers
from trainwell.optimizers import SGD, Adam

pytestmark = pytest.mark.usefixtures("compiled_or_numpy")  # every test on both paths
GRADIENTS = (0.5, -0.3, 0.2)


def run_scalar(optimizer, steps=GRADIENTS):
    w = np.array([1.0])
    path = []
    for g in steps:
        optimizer.apply_gradients([(np.array([g]), w)])
        path.append(float(w[0]))
    return path


@pytest.mark.parametrize("make, expected", [
    # keras_semantics.md §6.6: w0 = 1.0, gradients 0.5, -0.3, 0.2
    (lambda: SGD(), [0.9950000000, 0.9980000000, 0.9960000000]),
    (lambda: SGD(momentum=0.9), [0.9950000000, 0.9935000000, 0.9901500000]),
    (lambda: SGD(momentum=0.9, nesterov=True), [0.9905000000, 0.9921500000, 0.9871350000]),
    (lambda: Adam(), [0.9990000063, 0.9988085093, 0.9984610834]),
], ids=["sgd", "momentum", "nesterov", "adam"])
def test_three_steps_match_keras_reference_numbers(make, expected):
    np.testing.assert_allclose(run_scalar(make()), expected, rtol=0, atol=5e-10)


def adam_reference(w, grads, lr, beta_1, beta_2, epsilon):
    """Adam written out independently, one scalar at a time (Kingma & Ba, epsilon-hat form)."""
    w = w.copy()
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        for i in range(w.size):
            m[i] = beta_1 * m[i] + (1 - beta_1) * g[i]
            v[i] = beta_2 * v[i] + (1 - beta_2) * g[i] ** 2
            step = lr * math.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
            w[i] -= step * m[i] / (math.sqrt(v[i]) + epsilon)
    return w


def sgd_reference(w, grads, lr, momentum, nesterov):
    w = w.copy()
    velocity = np.zeros_like(w)
    for g in grads:
        for i in range(w.size):
            velocity[i] = momentum * velocity[i] - lr * g[i]
            w[i] += momentum * velocity[i] - lr * g[i] if nesterov else velocity[i]
    return w


@pytest.fixture
def five_steps():
    rng = np.random.default_rng(7)
    return rng.normal(size=6), [rng.normal(size=6) for _ in range(5)]


def test_adam_five_steps_equal_the_equations(five_steps):
    w0, grads = five_steps
    w = w0.copy()
    optimizer = Adam(learning_rate=0.01, beta_1=0.8, beta_2=0.95, epsilon=1e-6)
    for g in grads:
        optimizer.apply_gradients([(g, w)])
    np.testing.assert_allclose(w, adam_reference(w0, grads, 0.01, 0.8, 0.95, 1e-6), rtol=1e-12)
    assert optimizer.iterations == 5


@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.7, True)])
def test_sgd_five_steps_equal_the_equations(five_steps, momentum, nesterov):
    w0, grads = five_steps
    w = w0.copy()
    optimizer = SGD(learning_rate=0.05, momentum=momentum, nesterov=nesterov)
    for g in grads:
        optimizer.apply_gradients([(g, w)])
    np.testing.assert_allclose(w, sgd_reference(w0, grads, 0.05, momentum, nesterov), rtol=1e-12)


def test_amsgrad_uses_the_running_maximum_of_v():
    w = np.array([1.0])
    optimizer = Adam(amsgrad=True, learning_rate=0.1)
    optimizer.apply_gradients([(np.array([1.0]), w)])
    optimizer.apply_gradients([(np.array([0.0]), w)])
    # after step 2: m = 0.09, v = 0.999e-3 but v_hat keeps step 1's 1e-3
    alpha = 0.1 * math.sqrt(1 - 0.999 ** 2) / (1 - 0.9 ** 2)
    w1 = 1.0 - 0.1 * math.sqrt(1 - 0.999) / (1 - 0.9) * 0.1 / (math.sqrt(1e-3) + 1e-7)
    assert w[0] == pytest.approx(w1 - alpha * 0.09 / (math.sqrt(1e-3) + 1e-7), rel=1e-12)


def test_clipnorm_bounds_each_variable_and_global_clipnorm_keeps_direction():
    # keras_semantics §6.6: clipnorm=1.0 on g=[3,4] -> [0.6, 0.8]
    w = np.zeros(2)
    SGD(learning_rate=1.0, clipnorm=1.0).apply_gradients([(np.array([3.0, 4.0]), w)])
    np.testing.assert_allclose(w, [-0.6, -0.8])
    a, b = np.zeros(1), np.zeros(1)
    SGD(learning_rate=1.0, global_clipnorm=1.0).apply_gradients([(np.array([3.0]), a), (np.array([4.0]), b)])
    np.testing.assert_allclose([a[0], b[0]], [-0.6, -0.8])


def test_clipvalue_bounds_every_component():
    w = np.zeros(3)
    SGD(learning_rate=1.0, clipvalue=0.5).apply_gradients([(np.array([2.0, -3.0, 0.1]), w)])
    np.testing.assert_allclose(w, [-0.5, 0.5, -0.1])


def test_decay_is_power_scheduling_and_lr_alias_warns():
    with pytest.warns(DeprecationWarning, match="lr"):
        optimizer = SGD(lr=0.1, decay=0.5)
    w = np.array([0.0])
    for _ in range(3):
        optimizer.apply_gradients([(np.array([1.0]), w)])
    # lr_t = 0.1 / (1 + 0.5 t) for t = 0, 1, 2
    assert w[0] == pytest.approx(-(0.1 + 0.1 / 1.5 + 0.1 / 2.0))


def test_learning_rate_is_assignable_between_steps():
    optimizer = SGD(learning_rate=0.1)
    optimizer.learning_rate = 0.01
    w = np.array([0.0])
    optimizer.apply_gradients([(np.array([1.0]), w)])
    assert w[0] == pytest.approx(-0.01)
    assert optimizer.learning_rate == pytest.approx(0.01)


@pytest.mark.parametrize("make, match", [
    (lambda: SGD(learning_rate=-1.0), "learning_rate must be a finite number >= 0"),
    (lambda: SGD(learning_rate=float("nan")), "learning_rate must be"),
    (lambda: SGD(momentum=1.5), "momentum must be a number in"),
    (lambda: Adam(beta_1=1.0), r"beta_1 must be a number in \[0, 1\)"),
    (lambda: Adam(epsilon=0.0), "epsilon must be a number > 0"),
    (lambda: SGD(clipnorm=1.0, global_clipnorm=1.0), "at most one of clipnorm"),
])
def test_bad_arguments_are_refused_at_construction(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="Valid names: .*adam.*sgd"):
        optimizers.get("adamx")
    assert isinstance(optimizers.get("Adam"), Adam)


def test_config_round_trip_rebuilds_the_same_rule():
    optimizer = Adam(learning_rate=0.02, beta_1=0.8, amsgrad=True, clipnorm=2.0)
    rebuilt = optimizers.deserialize(optimizers.serialize(optimizer))
    assert rebuilt.get_config() == optimizer.get_config()


def test_state_restores_slots_and_step_exactly(five_steps):
    w0, grads = five_steps
    w = w0.copy()
    optimizer = Adam()
    for g in grads[:3]:
        optimizer.apply_gradients([(g, w)])
    state, saved_w = optimizer.get_state(), w.copy()
    for g in grads[3:]:
        optimizer.apply_gradients([(g, w)])
    resumed = Adam()
    w2 = saved_w.copy()
    resumed.apply_gradients([(np.zeros_like(w2), w2.copy())])  # builds the slots for this layout
    resumed.set_state(state)
    for g in grads[3:]:
        resumed.apply_gradients([(g, w2)])
    np.testing.assert_array_equal(w2, w)


def test_slot_values_about_to_turn_subnormal_are_flushed_to_zero():
    from trainwell.optimizers.base import FLUSH_EVERY
    w = np.zeros(2, dtype=np.float32)
    optimizer = SGD(learning_rate=0.1, momentum=0.9)
    optimizer.apply_gradients([(np.array([1.0, 1.0], dtype=np.float32), w)])
    optimizer.slots["momentum"][...] = [1e-31, 1e-3]   # one entry below float32 tiny * 1e8
    for _ in range(FLUSH_EVERY - 1):
        optimizer.apply_gradients([(np.zeros(2, dtype=np.float32), w)])
    velocity = optimizer.slots["momentum"]
    assert velocity[0] == 0.0
    assert velocity[1] == pytest.approx(1e-3 * 0.9 ** (FLUSH_EVERY - 1), rel=1e-5)


def test_blocked_update_equals_one_pass_over_a_buffer_larger_than_a_block(monkeypatch):
    from trainwell.optimizers import base
    rng = np.random.default_rng(11)
    w0 = rng.normal(size=1000)
    grads = [rng.normal(size=1000) for _ in range(4)]
    results = []
    for block in (64, 10**6):  # many blocks (the last one partial) against a single block
        monkeypatch.setattr(base, "BLOCK_SIZE", block)
        w = w0.copy()
        optimizer = Adam(learning_rate=0.01)
        for g in grads:
            optimizer.apply_gradients([(g, w)])
        results.append(w)
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_allclose(results[0], adam_reference(w0, grads, 0.01, 0.9, 0.999, 1e-7), rtol=1e-12)


def test_clipnorm_clips_each_variable_by_its_own_norm_among_many():
    rng = np.random.default_rng(5)
    grads = [rng.normal(size=shape) * scale for shape, scale in (((3, 4), 5.0), ((4,), 0.01), ((2, 2, 3), 2.0))]
    variables = [np.zeros(g.shape) for g in grads]
    SGD(learning_rate=1.0, clipnorm=1.0).apply_gradients(zip(grads, variables))
    for g, w in zip(grads, variables):
        norm = np.sqrt(np.sum(g * g))
        np.testing.assert_allclose(w, -g * min(1.0, 1.0 / norm), rtol=1e-12)  # the small one is untouched


def test_layout_says_where_each_variable_sits_in_the_flat_buffer():
    optimizer = SGD(learning_rate=0.1, momentum=0.9)
    assert not optimizer.built and optimizer.layout() == []
    kernel, bias = np.zeros((3, 4)), np.zeros(4)
    optimizer.apply_gradients([(np.ones((3, 4)), kernel), (np.full(4, 2.0), bias)])
    assert optimizer.built
    assert [(variable.shape, start, stop) for variable, start, stop in optimizer.layout()] == [((3, 4), 0, 12),
                                                                                              ((4,), 12, 16)]
    momentum = optimizer.slots["momentum"]
    np.testing.assert_allclose(momentum[12:16], -0.2)  # the bias's slot entries are where layout() says
