"""Learning-rate schedules: every value at step 0, at its boundaries and at its end against the formula
re-derived here, keras_semantics §7 reference values, configs, bad arguments, and use in training."""
import json
import math

import numpy as np
import pytest

import trainwell as tw
from trainwell import layers
from trainwell._registry import deserialize, serialize
from trainwell.optimizers import schedules
from trainwell.optimizers.schedules import (CosineDecay, CosineDecayRestarts, ExponentialDecay, InverseTimeDecay,
                                            LinearWarmup, OneCycle, PiecewiseConstantDecay, PolynomialDecay)


def cosine(s, d, top, alpha=0.0):
    return top * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * s / d)) + alpha)


# schedule, steps checked (0, boundaries, end and beyond), and the formula written out here
FORMULA_CASES = {
    "exponential": (ExponentialDecay(0.1, 10, 0.5), [0, 9, 10, 15, 100], lambda s: 0.1 * 0.5 ** (s / 10)),
    "exponential_staircase": (ExponentialDecay(0.1, 10, 0.5, staircase=True), [0, 9, 10, 19, 20],
                              lambda s: 0.1 * 0.5 ** (s // 10)),
    "inverse_time": (InverseTimeDecay(0.2, 5, 2.0), [0, 5, 7, 50], lambda s: 0.2 / (1 + 2.0 * s / 5)),
    "inverse_time_staircase": (InverseTimeDecay(0.2, 5, 2.0, staircase=True), [0, 4, 5, 9, 10],
                               lambda s: 0.2 / (1 + 2.0 * (s // 5))),
    "piecewise": (PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1]), [0, 100, 101, 200, 201, 10**6],
                  lambda s: 1.0 if s <= 100 else 0.5 if s <= 200 else 0.1),
    "polynomial": (PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=2.0), [0, 5, 10, 11, 50],
                   lambda s: (0.1 - 0.01) * (1 - min(s, 10) / 10) ** 2 + 0.01),
    "polynomial_cycle": (PolynomialDecay(0.1, 10, cycle=True), [0, 1, 10, 11, 15, 20, 21],
                         lambda s: (0.1 - 1e-4) * (1 - s / (10 * max(1, math.ceil(s / 10)))) + 1e-4),
    "cosine": (CosineDecay(0.1, 10, alpha=0.1), [0, 5, 10, 11], lambda s: cosine(min(s, 10), 10, 0.1, 0.1)),
    "cosine_warmup": (CosineDecay(0.01, 10, warmup_target=0.1, warmup_steps=4), [0, 2, 4, 9, 14, 20],
                      lambda s: 0.01 + 0.09 * s / 4 if s < 4 else cosine(min(s, 14) - 4, 10, 0.1)),
    "restarts_t_mul_1": (CosineDecayRestarts(0.1, 10, t_mul=1.0, m_mul=0.5, alpha=0.2), [0, 5, 9, 10, 25, 30],
                         lambda s: 0.1 * (0.8 * 0.5 ** (s // 10) * 0.5 * (1 + math.cos(math.pi * (s % 10) / 10))
                                          + 0.2)),
    "linear_warmup": (LinearWarmup(ExponentialDecay(0.1, 10, 0.5), 5, initial_learning_rate=0.02),
                      [0, 1, 4, 5, 15], lambda s: 0.02 + 0.08 * s / 5 if s < 5 else 0.1 * 0.5 ** ((s - 5) / 10)),
    "linear_warmup_constant": (LinearWarmup(0.3, 3), [0, 1, 3, 100], lambda s: 0.1 * s if s < 3 else 0.3),
}


@pytest.mark.parametrize("case", sorted(FORMULA_CASES))
def test_values_at_start_boundaries_and_end_follow_the_formula(case):
    schedule, steps, formula = FORMULA_CASES[case]
    for step in steps:
        assert schedule(step) == pytest.approx(formula(step), rel=1e-12, abs=1e-15), f"{case} at step {step}"


def test_keras_reference_values():
    # keras_semantics.md §7 "Reference values (computed from the formulas)"
    np.testing.assert_allclose([CosineDecay(0.1, 10)(s) for s in range(13)],
                               [0.1, 0.09755283, 0.09045085, 0.07938926, 0.06545085, 0.05, 0.03454915,
                                0.02061074, 0.00954915, 0.00244717, 0, 0, 0], atol=5e-9)
    warm = CosineDecay(0.0, 10, warmup_target=0.1, warmup_steps=5)
    np.testing.assert_allclose([warm(s) for s in range(7)], [0, .02, .04, .06, .08, 0.1, 0.09755283], atol=5e-9)
    restarts = CosineDecayRestarts(0.1, 10)
    np.testing.assert_allclose([restarts(10), restarts(20), restarts(30), restarts(32)],
                               [0.1, 0.05, 0.1, 0.09938442], atol=5e-9)
    halved = CosineDecayRestarts(0.1, 10, m_mul=0.5)
    np.testing.assert_allclose([halved(10), halved(30)], [0.05, 0.025], atol=5e-9)
    assert ExponentialDecay(0.1, 10, 0.5)(15) == pytest.approx(0.0353553, abs=5e-8)
    assert ExponentialDecay(0.1, 10, 0.5, staircase=True)(15) == pytest.approx(0.05)
    assert InverseTimeDecay(0.1, 10, 0.5)(15) == pytest.approx(0.0571429, abs=5e-8)
    assert InverseTimeDecay(0.1, 10, 0.5, staircase=True)(15) == pytest.approx(0.0666667, abs=5e-8)
    assert PolynomialDecay(0.1, 10)(5) == pytest.approx(0.05005)
    assert PolynomialDecay(0.1, 10)(20) == pytest.approx(0.0001)
    assert PolynomialDecay(0.1, 10, cycle=True)(15) == pytest.approx(0.025075)


@pytest.mark.parametrize("first, t_mul, restarts", [
    (10, 2.0, [10, 30, 70, 150]), (10, 3.0, [10, 40, 130, 400]), (10, 1.0, [10, 20, 30]),
    (16, 1.5, [16, 40, 76, 130, 211]),  # log(1 + 211/16 * 0.5) / log(1.5) rounds to 4.999999999999999
])
def test_cosine_decay_restarts_restarts_at_first_decay_steps_then_every_longer_period(first, t_mul, restarts):
    schedule = CosineDecayRestarts(1.0, first, t_mul=t_mul, m_mul=0.5, alpha=0.1)
    assert schedule(0) == pytest.approx(1.0)
    for i, step in enumerate(restarts, start=1):
        # restart i begins at its peak 0.9 * 0.5^i + 0.1; one step before, the rate is near its floor
        assert schedule(step) == pytest.approx(0.9 * 0.5 ** i + 0.1, rel=1e-12), f"restart {i} at {step}"
        period = first * t_mul ** (i - 1)
        before = 0.9 * 0.5 ** (i - 1) * 0.5 * (1 + math.cos(math.pi * (period - 1) / period)) + 0.1
        assert schedule(step - 1) == pytest.approx(before, rel=1e-9)


def test_linear_warmup_in_front_of_cosine_decay_equals_keras_cosine_warmup():
    wrapped = LinearWarmup(CosineDecay(0.1, 20, alpha=0.05), warmup_steps=6)
    keras_form = CosineDecay(0.0, 20, alpha=0.05, warmup_target=0.1, warmup_steps=6)
    np.testing.assert_allclose([wrapped(s) for s in range(40)], [keras_form(s) for s in range(40)], rtol=1e-12)


def test_one_cycle_rises_to_its_peak_at_the_middle_then_ends_orders_below_the_start():
    schedule = OneCycle(1.0, total_steps=100)   # defaults: start 0.1, final 1e-4, final_steps 11
    rates = [schedule(s) for s in range(101)]
    half = (100 - 11) // 2                      # 44: the middle of the cycle before the final steps
    assert int(np.argmax(rates)) == half and rates[half] == pytest.approx(1.0)
    assert rates[0] == pytest.approx(0.1) and rates[2 * half] == pytest.approx(0.1)
    assert rates[22] == pytest.approx(0.1 + 0.9 * 22 / 44) and rates[66] == pytest.approx(1.0 - 0.9 * 22 / 44)
    assert rates[94] == pytest.approx(0.1 + (1e-4 - 0.1) * 6 / 12)
    assert rates[100] == pytest.approx(1e-4) and schedule(500) == pytest.approx(1e-4)
    assert np.all(np.diff(rates[:half + 1]) > 0) and np.all(np.diff(rates[half:]) < 0)


def test_one_cycle_momentum_moves_inversely_to_the_rate():
    schedule = OneCycle(0.5, total_steps=40, initial_learning_rate=0.05, final_steps=10,
                        max_momentum=0.95, min_momentum=0.85)
    half = 15
    assert schedule.momentum(0) == pytest.approx(0.95) and schedule.momentum(half) == pytest.approx(0.85)
    assert schedule.momentum(2 * half) == pytest.approx(0.95) and schedule.momentum(39) == pytest.approx(0.95)
    assert schedule.momentum(5) == pytest.approx(0.95 - 0.1 * 5 / 15)
    rates = [schedule(s) for s in range(2 * half + 1)]
    momenta = [schedule.momentum(s) for s in range(2 * half + 1)]
    assert np.all(np.sign(np.diff(rates)) == -np.sign(np.diff(momenta)))


def test_every_registered_schedule_has_a_formula_case_and_round_trips_through_json():
    covered = {type(case[0]).__name__ for case in FORMULA_CASES.values()} | {"OneCycle"}
    assert {cls.__name__ for cls in schedules.REGISTRY.members()} == covered
    examples = [case[0] for case in FORMULA_CASES.values()] + [OneCycle(0.3, 50, final_steps=6)]
    for schedule in examples:
        config = json.loads(json.dumps(serialize(schedule)))
        rebuilt = deserialize(schedules.REGISTRY, config, "test")
        assert type(rebuilt) is type(schedule) and rebuilt.get_config() == schedule.get_config()
        assert [rebuilt(s) for s in range(0, 60, 7)] == [schedule(s) for s in range(0, 60, 7)]
    assert schedules.deserialize(schedules.serialize(examples[0])).get_config() == examples[0].get_config()


@pytest.mark.parametrize("make, match", [
    (lambda: ExponentialDecay(0.1, 0, 0.5), "ExponentialDecay: decay_steps must be a number > 0; got decay_steps=0"),
    (lambda: InverseTimeDecay(-0.1, 10, 0.5), "initial_learning_rate must be a number >= 0"),
    (lambda: ExponentialDecay(float("nan"), 10, 0.5), "initial_learning_rate must be a finite number"),
    (lambda: PolynomialDecay(0.1, -5), "PolynomialDecay: decay_steps must be a number > 0"),
    (lambda: PiecewiseConstantDecay([10, 5], [1.0, 0.5, 0.1]), "boundaries must be strictly increasing"),
    (lambda: PiecewiseConstantDecay([10, 20], [1.0, 0.5]), r"values must be a list of len\(boundaries\) \+ 1"),
    (lambda: CosineDecay(0.1, 10, alpha=1.5), r"CosineDecay: alpha must be a number in \[0, 1\]"),
    (lambda: CosineDecay(0.1, 10, warmup_target=-1.0), "warmup_target must be a number >= 0"),
    (lambda: CosineDecayRestarts(0.1, 0), "first_decay_steps must be a number > 0"),
    (lambda: CosineDecayRestarts(0.1, 10, t_mul=0.5), "t_mul must be a number >= 1"),
    (lambda: LinearWarmup("cosine", 10), "LinearWarmup: schedule must be a number"),
    (lambda: OneCycle(1.0, 100, final_steps=99), r"final_steps must be an integer in \[0, 98\]"),
    (lambda: OneCycle(1.0, 100, initial_learning_rate=2.0), r"initial_learning_rate must be a number in \[0, 1.0\]"),
    (lambda: OneCycle(1.0, 100, min_momentum=0.99), r"min_momentum must be a number in \[0, 0.95\]"),
])
def test_bad_arguments_are_refused_at_construction(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


class RateRecorder(tw.callbacks.Callback):
    """Records the optimizer's learning rate and iterations before every training batch."""

    def on_train_begin(self, logs=None):
        self.rates, self.steps = [], []

    def on_train_batch_begin(self, batch, logs=None):
        self.rates.append(float(self.model.optimizer.learning_rate))
        self.steps.append(self.model.optimizer.iterations)


def test_an_optimizer_with_a_schedule_trains_a_model_and_its_learning_rate_follows_the_schedule():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]])).astype("float32")
    schedule = PiecewiseConstantDecay([5, 10], [0.05, 0.02, 0.01])
    model = tw.Sequential([layers.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer=tw.optimizers.SGD(learning_rate=schedule, momentum=0.5), loss="mse")
    recorder = RateRecorder()
    history = model.fit(x, y, batch_size=16, epochs=4, verbose=0, shuffle=False, callbacks=[recorder])
    assert recorder.steps == list(range(16))    # 4 batches per epoch
    assert recorder.rates == [0.05] * 6 + [0.02] * 5 + [0.01] * 5   # step <= 5: 0.05; 5 < step <= 10: 0.02
    assert model.optimizer.learning_rate == 0.01 and model.optimizer.iterations == 16
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
