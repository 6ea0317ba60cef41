"""Adagrad, RMSprop, Adamax, Nadam and AdamW: keras_semantics §6.6 reference numbers, the equations
re-derived one scalar at a time (float64), state, names, configs and bad arguments."""
import json
import math

import numpy as np
import pytest

from tests.test_optimizers import run_scalar
from trainwell import optimizers
from trainwell.optimizers import SGD, Adagrad, Adam, Adamax, AdamW, Nadam, RMSprop, base, schedules

pytestmark = pytest.mark.usefixtures("compiled_or_numpy")  # every test on both paths



@pytest.mark.parametrize("make, expected", [
    # keras_semantics.md §6.6: w0 = 1.0, gradients 0.5, -0.3, 0.2
    (lambda: RMSprop(), [0.9968377287, 0.9985280345, 0.9974160668]),
    (lambda: RMSprop(momentum=0.9), [0.9968377287, 0.9956819903, 0.9935298580]),
    (lambda: RMSprop(centered=True), [0.9966666741, 0.9983630492, 0.9972312772]),
    (lambda: Adagrad(), [0.9991548459, 0.9996071128, 0.9993184377]),
    (lambda: Adamax(), [0.9990000002, 0.9988419474, 0.9985942198]),
    (lambda: Nadam(), [0.9989372124, 0.9994012235, 0.9990333908]),
    (lambda: Nadam(momentum_decay=0.004), [0.9989435484, 0.9994273083, 0.9990430434]),  # PyTorch/legacy
    (lambda: AdamW(), [0.9989960063, 0.9988005133, 0.9984490922]),
], ids=["rmsprop", "rmsprop_momentum", "rmsprop_centered", "adagrad", "adamax", "nadam", "nadam_psi", "adamw"])
def test_three_steps_match_keras_reference_numbers(make, expected):
    np.testing.assert_allclose(run_scalar(make()), expected, rtol=0, atol=5e-10)


# ----- the equations, one scalar at a time -----------------------------------------------------
def adagrad_reference(w, grads, lr, initial, epsilon):
    w, acc = w.copy(), np.full_like(w, initial)
    for g in grads:
        for i in range(w.size):
            acc[i] = acc[i] + g[i] ** 2
            w[i] = w[i] - lr * g[i] / math.sqrt(acc[i] + epsilon)
    return w


def rmsprop_reference(w, grads, lr, rho, momentum, epsilon, centered):
    w, v, m, a = w.copy(), np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        for i in range(w.size):
            v[i] = rho * v[i] + (1 - rho) * g[i] ** 2
            a[i] = rho * a[i] + (1 - rho) * g[i]
            denominator = v[i] - a[i] ** 2 + epsilon if centered else v[i] + epsilon
            increment = lr * g[i] / math.sqrt(denominator)
            m[i] = momentum * m[i] + increment
            w[i] = w[i] - (m[i] if momentum else increment)
    return w


def adamax_reference(w, grads, lr, beta_1, beta_2, epsilon):
    w, m, u = w.copy(), np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        for i in range(w.size):
            m[i] = beta_1 * m[i] + (1 - beta_1) * g[i]
            u[i] = max(beta_2 * u[i], abs(g[i]))
            w[i] = w[i] - lr / (1 - beta_1 ** t) * m[i] / (u[i] + epsilon)
    return w


def nadam_mu(t, beta_1, psi):
    return beta_1 * (1 - 0.5 * 0.96 ** (t * psi))


def nadam_reference(w, grads, lr, beta_1, beta_2, epsilon, psi=1.0):
    w, m, v = w.copy(), np.zeros_like(w), np.zeros_like(w)
    product = 1.0
    for t, g in enumerate(grads, start=1):
        mu, mu_next = nadam_mu(t, beta_1, psi), nadam_mu(t + 1, beta_1, psi)
        product *= mu
        for i in range(w.size):
            m[i] = beta_1 * m[i] + (1 - beta_1) * g[i]
            v[i] = beta_2 * v[i] + (1 - beta_2) * g[i] ** 2
            m_hat = mu_next * m[i] / (1 - product * mu_next) + (1 - mu) * g[i] / (1 - product)
            v_hat = v[i] / (1 - beta_2 ** t)
            w[i] = w[i] - lr * m_hat / (math.sqrt(v_hat) + epsilon)
    return w


def adamw_reference(w, grads, lr, weight_decay, beta_1, beta_2, epsilon):
    w, m, v = w.copy(), np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        for i in range(w.size):
            w[i] = w[i] - lr * weight_decay * w[i]
            m[i] = beta_1 * m[i] + (1 - beta_1) * g[i]
            v[i] = beta_2 * v[i] + (1 - beta_2) * g[i] ** 2
            w[i] = w[i] - lr * math.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t) * m[i] / (math.sqrt(v[i]) + epsilon)
    return w


FIVE_STEP_CASES = {
    "adagrad": (lambda: Adagrad(0.05, initial_accumulator_value=0.3, epsilon=1e-5),
                lambda w, gs: adagrad_reference(w, gs, 0.05, 0.3, 1e-5)),
    "rmsprop": (lambda: RMSprop(0.01, rho=0.8, epsilon=1e-4),
                lambda w, gs: rmsprop_reference(w, gs, 0.01, 0.8, 0.0, 1e-4, False)),
    "rmsprop_momentum": (lambda: RMSprop(0.01, rho=0.7, momentum=0.6),
                         lambda w, gs: rmsprop_reference(w, gs, 0.01, 0.7, 0.6, 1e-7, False)),
    "rmsprop_centered_momentum": (lambda: RMSprop(0.01, momentum=0.5, centered=True, epsilon=1e-3),
                                  lambda w, gs: rmsprop_reference(w, gs, 0.01, 0.9, 0.5, 1e-3, True)),
    "adamax": (lambda: Adamax(0.02, beta_1=0.8, beta_2=0.9, epsilon=1e-4),
               lambda w, gs: adamax_reference(w, gs, 0.02, 0.8, 0.9, 1e-4)),
    "nadam": (lambda: Nadam(0.01, beta_1=0.85, beta_2=0.95, epsilon=1e-5),
              lambda w, gs: nadam_reference(w, gs, 0.01, 0.85, 0.95, 1e-5)),
    "nadam_momentum_decay": (lambda: Nadam(0.01, momentum_decay=0.004),
                             lambda w, gs: nadam_reference(w, gs, 0.01, 0.9, 0.999, 1e-7, psi=0.004)),
    "adamw": (lambda: AdamW(0.01, weight_decay=0.1, beta_1=0.8),
              lambda w, gs: adamw_reference(w, gs, 0.01, 0.1, 0.8, 0.999, 1e-7)),
}


@pytest.fixture
def five_steps():
    rng = np.random.default_rng(7)
    return rng.normal(size=10), [rng.normal(size=10) for _ in range(5)]


@pytest.mark.parametrize("block_size", [3, 65536], ids=["blocks_of_3", "one_block"])
@pytest.mark.parametrize("case", sorted(FIVE_STEP_CASES))
def test_five_steps_equal_the_equations(five_steps, monkeypatch, case, block_size):
    monkeypatch.setattr(base, "BLOCK_SIZE", block_size)  # 10 entries in blocks of 3: per-step scalars once
    make, reference = FIVE_STEP_CASES[case]
    w0, grads = five_steps
    w = w0.copy()
    optimizer = make()
    for g in grads:
        optimizer.apply_gradients([(g, w)])
    np.testing.assert_allclose(w, reference(w0, grads), rtol=1e-12, atol=1e-15)
    assert optimizer.iterations == 5


def test_nadam_u_product_is_saved_and_restored_exactly(five_steps):
    w0, grads = five_steps
    w = w0.copy()
    optimizer = Nadam(0.01)
    for g in grads[:3]:
        optimizer.apply_gradients([(g, w)])
    state, saved_w = optimizer.get_state(), w.copy()
    assert state["slots"]["u_product"] == nadam_mu(1, 0.9, 1) * nadam_mu(2, 0.9, 1) * nadam_mu(3, 0.9, 1)
    for g in grads[3:]:
        optimizer.apply_gradients([(g, w)])

    resumed = Nadam(0.01)
    resumed.apply_gradients([(np.zeros_like(saved_w), saved_w.copy())])  # builds slots, advances u_product
    resumed.set_state(json.loads(json.dumps({**state, "slots": {k: v.tolist() if hasattr(v, "tolist") else v
                                                                for k, v in state["slots"].items()}})))
    assert resumed.slots["u_product"] == state["slots"]["u_product"]
    for g in grads[3:]:
        resumed.apply_gradients([(g, saved_w)])
    np.testing.assert_array_equal(saved_w, w)
    assert resumed.slots["u_product"] == optimizer.slots["u_product"]


def test_adagrad_accumulator_starts_at_initial_accumulator_value():
    w = np.zeros(3)
    optimizer = Adagrad(initial_accumulator_value=0.25)
    optimizer.apply_gradients([(np.array([1.0, 0.0, -2.0]), w)])
    np.testing.assert_allclose(optimizer.slots["accumulator"], [1.25, 0.25, 4.25])


def test_rmsprop_slots_are_created_only_for_the_options_in_use():
    assert RMSprop().slot_names == ("velocity",)
    assert RMSprop(momentum=0.9, centered=True).slot_names == ("velocity", "momentum", "average_gradient")


def test_adamw_decays_weights_by_default_and_refuses_none():
    assert AdamW().weight_decay == 0.004
    w = np.array([2.0])
    AdamW(learning_rate=0.1, weight_decay=0.5).apply_gradients([(np.array([0.0]), w)])
    assert w[0] == pytest.approx(2.0 * (1 - 0.1 * 0.5))  # zero gradient: only the decay moves w
    with pytest.raises(ValueError, match="AdamW: weight_decay must be a number >= 0; got weight_decay=None"):
        AdamW(weight_decay=None)


@pytest.mark.parametrize("name, cls, defaults", [
    ("adagrad", Adagrad, {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7}),
    ("RMSprop", RMSprop, {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": False}),
    ("ADAMAX", Adamax, {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}),
    ("Nadam", Nadam, {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}),
    ("adamw", AdamW, {"learning_rate": 0.001, "weight_decay": 0.004, "beta_1": 0.9, "epsilon": 1e-7}),
])
def test_string_names_give_keras_defaults_case_insensitively(name, cls, defaults):
    optimizer = optimizers.get(name)
    assert type(optimizer) is cls
    config = optimizer.get_config()
    assert {key: config[key] for key in defaults} == defaults


def test_unknown_name_lists_every_rule():
    with pytest.raises(ValueError, match="Valid names: .*adagrad.*adamax.*adamw.*nadam.*rmsprop"):
        optimizers.get("adadelta")


@pytest.mark.parametrize("make, match", [
    (lambda: RMSprop(learning_rate=-0.1), "RMSprop: learning_rate must be a finite number >= 0"),
    (lambda: Adagrad(learning_rate=float("inf")), "Adagrad: learning_rate must be a finite number"),
    (lambda: RMSprop(rho=1.0), r"RMSprop: rho must be a number in \[0, 1\); got rho=1.0"),
    (lambda: RMSprop(rho=-0.1), r"rho must be a number in \[0, 1\)"),
    (lambda: Adamax(beta_2=1.0), r"Adamax: beta_2 must be a number in \[0, 1\)"),
    (lambda: Nadam(beta_1=-0.5), r"Nadam: beta_1 must be a number in \[0, 1\)"),
    (lambda: AdamW(beta_1=1.5), r"beta_1 must be a number in \[0, 1\)"),
    (lambda: Adagrad(epsilon=0.0), "Adagrad: epsilon must be a number > 0"),
    (lambda: Nadam(epsilon=-1e-8), "Nadam: epsilon must be a number > 0"),
    (lambda: Adagrad(initial_accumulator_value=-1.0), "initial_accumulator_value must be a number >= 0"),
    (lambda: RMSprop(clipnorm=1.0, global_clipnorm=1.0), "at most one of clipnorm"),
    (lambda: Nadam(momentum_decay=0.0), "momentum_decay must be a number > 0"),
])
def test_bad_arguments_are_refused_at_construction(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("optimizer", [
    Adagrad(0.01, initial_accumulator_value=0.2), RMSprop(momentum=0.5, centered=True, clipvalue=1.0),
    Adamax(beta_1=0.8), Nadam(momentum_decay=0.004), AdamW(weight_decay=0.01, amsgrad=True),
], ids=lambda optimizer: type(optimizer).__name__)
def test_config_round_trips_through_json(optimizer):
    rebuilt = optimizers.deserialize(json.loads(json.dumps(optimizers.serialize(optimizer))))
    assert type(rebuilt) is type(optimizer)
    assert rebuilt.get_config() == optimizer.get_config()


def test_a_schedule_as_learning_rate_round_trips_and_is_followed():
    schedule = schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    optimizer = RMSprop(learning_rate=schedule)
    config = json.loads(json.dumps(optimizers.serialize(optimizer)))
    assert config["config"]["learning_rate"]["class_name"] == "ExponentialDecay"
    rebuilt = optimizers.deserialize(config)
    assert isinstance(rebuilt._learning_rate, schedules.ExponentialDecay)
    w = np.array([1.0])
    for step in range(3):
        assert rebuilt.learning_rate == pytest.approx(0.1 * 0.5 ** (step / 2), rel=1e-15)
        rebuilt.apply_gradients([(np.array([1.0]), w)])


def test_a_number_cannot_replace_the_schedule_an_optimizer_follows():
    optimizer = SGD(learning_rate=schedules.PolynomialDecay(0.1, 10))
    with pytest.raises(TypeError, match="SGD: learning_rate must be a schedule or callable"):
        optimizer.learning_rate = 0.01
    optimizer.learning_rate = schedules.CosineDecay(0.2, 10)  # a new schedule may replace it
    assert optimizer.learning_rate == pytest.approx(0.2)


def test_momentum_and_beta_1_changed_between_steps_take_effect():
    # what a 1cycle callback does: the rules read momentum / beta_1 at every step
    w = np.array([0.0])
    optimizer = RMSprop(learning_rate=0.1, rho=0.0, momentum=0.9, epsilon=1e-12)
    optimizer.apply_gradients([(np.array([1.0]), w)])  # v = 1, u = 0.1, m = 0.1
    optimizer.momentum = 0.5
    optimizer.apply_gradients([(np.array([1.0]), w)])  # m = 0.5 * 0.1 + 0.1 = 0.15
    assert w[0] == pytest.approx(-0.25, rel=1e-9)
    adam = Adam(learning_rate=0.1)
    adam.beta_1 = 0.0  # then the first moment is g and alpha = lr * sqrt(1 - 0.999)
    v = np.array([0.0])
    adam.apply_gradients([(np.array([2.0]), v)])
    assert v[0] == pytest.approx(-0.1 * math.sqrt(0.001) * 2.0 / (math.sqrt(0.004) + 1e-7), rel=1e-12)
