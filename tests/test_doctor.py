"""trainwell.lab.doctor: each check fires on the network the textbooks use to show that trouble, stays
quiet on a healthy one, reads histories, and leaves the model exactly as it found it."""
import math

import numpy as np
import pytest

import trainwell as tw
from trainwell import initializers, layers
from trainwell.lab import doctor


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    return rng.standard_normal((256, 20)).astype(np.float32), rng.integers(0, 3, 256)


def compiled_model(hidden, optimizer="adam"):
    tw.utils.set_random_seed(0)
    model = tw.Sequential([layers.Input((20,)), *hidden, layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    return model


def checks(report):
    return {finding.check: finding for finding in report.findings}


def test_a_healthy_he_initialized_relu_network_has_no_findings(batch):
    model = compiled_model([layers.Dense(64, activation="relu", kernel_initializer="he_normal"),
                            layers.Dense(64, activation="relu", kernel_initializer="he_normal")])
    report = doctor.examine(model, *batch)
    assert report.ok and report.findings == []
    assert [row["layer"] for row in report.layers] == [layer.name for layer in model.leaf_layers()]
    assert all(row["gradient_rms"] > 0 for row in report.layers)
    assert "no trouble found" in str(report)


def test_relu_units_pushed_below_zero_by_their_bias_are_reported_dead(batch):
    dead = layers.Dense(32, activation="relu", bias_initializer=initializers.Constant(-50.0))
    report = doctor.examine(compiled_model([dead]), *batch)
    finding = checks(report)["dead_units"]
    assert (finding.layer, finding.severity, finding.value) == (dead.name, "problem", 1.0)
    assert "He initialization" in finding.message and "PROBLEM" in str(report)


def test_a_few_dead_units_give_a_warning_naming_the_share(batch):
    bias = np.zeros(10, dtype=np.float32)
    bias[:3] = -50.0  # 3 of 10 channels can never fire on these inputs
    layer = layers.Dense(10, activation="relu", bias_initializer=initializers.Constant(0.0))
    model = compiled_model([layer])
    model.build((None, 20))
    layer.bias.assign(bias)
    finding = checks(doctor.examine(model, *batch))["dead_units"]
    assert finding.severity == "warning" and finding.value == pytest.approx(0.3)
    assert f"{layer.name} 30%" in finding.message


def test_deep_sigmoid_network_with_unit_normal_weights_saturates_and_its_gradients_vanish(batch):
    # Glorot & Bengio's setting, as the textbooks draw it: sigmoid layers, weights of standard deviation 1
    hidden = [layers.Dense(100, activation="sigmoid", kernel_initializer=initializers.RandomNormal(stddev=1.0))
              for _ in range(10)]
    report = doctor.examine(compiled_model(hidden), *batch)
    found = checks(report)
    assert found["saturation"].severity == "problem" and found["saturation"].value >= 0.5
    assert found["vanishing_gradients"].layer == hidden[0].name
    assert found["vanishing_gradients"].value < doctor.VANISHING_WARNING
    rms = {row["layer"]: row["gradient_rms"] for row in report.layers}
    assert rms[hidden[0].name] < rms[hidden[-1].name]


def test_the_same_depth_with_glorot_and_tanh_does_not_saturate(batch):
    hidden = [layers.Dense(100, activation="tanh") for _ in range(10)]  # Glorot uniform: Keras's default
    assert "saturation" not in checks(doctor.examine(compiled_model(hidden), *batch))


def test_relu_layers_with_unit_normal_weights_have_exploding_activations(batch):
    hidden = [layers.Dense(100, activation="relu", kernel_initializer=initializers.RandomNormal(stddev=1.0))
              for _ in range(6)]
    finding = checks(doctor.examine(compiled_model(hidden), *batch))["exploding_activations"]
    assert finding.severity == "problem" and finding.layer == hidden[-1].name
    assert finding.value > doctor.EXPLODING_PROBLEM


def test_non_finite_gradients_are_a_problem(batch):
    x, y = batch
    model = compiled_model([layers.Dense(8, activation="relu")])
    model.build((None, 20))
    model.layers[0].kernel.assign(np.full((20, 8), 1e38, dtype=np.float32))
    found = checks(doctor.examine(model, x, y))
    assert found["non_finite_gradients"].severity == "problem"


@pytest.mark.parametrize("logs, check, severity", [
    ({"loss": [1.0, 0.8, float("nan")]}, "diverged", "problem"),
    ({"loss": [1.0, 0.5, 0.9]}, "unstable", "warning"),
    ({"loss": [1.0, 0.6, 0.4, 0.3, 0.2], "val_loss": [1.0, 0.7, 0.8, 0.9, 1.0]}, "overfitting", "warning"),
])
def test_history_troubles_are_named(logs, check, severity):
    model = compiled_model([layers.Dense(8, activation="relu", kernel_initializer="he_normal")])
    rng = np.random.default_rng(1)
    found = checks(doctor.examine(model, rng.standard_normal((64, 20)), rng.integers(0, 3, 64), history=logs))
    assert found[check].severity == severity and found[check].layer is None


@pytest.mark.parametrize("logs", [
    {"loss": [1.0, 0.7, 0.5, 0.45]},
    {"loss": [1.0, 0.6, 0.4, 0.3], "val_loss": [1.0, 0.7, 0.6, 0.65]},  # within 1.1x of its minimum
    {"loss": [1.0, 0.6, 0.4, 0.3], "val_loss": [1.0, 0.8, 0.6, 0.7]},  # minimum only one epoch ago
    {"loss": [1.0, 0.4, 0.45, 0.5], "val_loss": [1.0, 0.5, 0.6, 0.7]},  # the training loss rose too
], ids=["falling", "validation_within_tolerance", "validation_minimum_recent", "training_loss_rose_too"])
def test_histories_below_the_thresholds_give_no_history_finding(logs):
    model = compiled_model([layers.Dense(8, activation="relu", kernel_initializer="he_normal")])
    rng = np.random.default_rng(1)
    report = doctor.examine(model, rng.standard_normal((64, 20)), rng.integers(0, 3, 64), history=logs)
    assert not {"diverged", "unstable", "overfitting"} & set(checks(report))


def test_a_history_object_from_fit_is_read(batch):
    x, y = batch
    model = compiled_model([layers.Dense(16, activation="relu", kernel_initializer="he_normal")])
    history = model.fit(x, y, epochs=3, verbose=0)
    report = doctor.examine(model, x, y, history=history)
    assert not {"diverged", "unstable"} & set(checks(report))


def test_examining_leaves_weights_statistics_optimizer_and_generators_exactly_as_they_were(batch):
    x, y = batch

    def model():
        tw.utils.set_random_seed(0)  # before the layers: Dropout draws its generator when made
        return compiled_model([layers.Dense(32, activation="relu"), layers.BatchNormalization(),
                               layers.Dropout(0.3), layers.Dense(16, activation="tanh")])

    examined = model()
    examined.fit(x, y, epochs=1, verbose=0)
    doctor.examine(examined, x, y)  # a training-mode pass with dropout and batch statistics
    untouched = model()
    untouched.fit(x, y, epochs=1, verbose=0)
    for model_ in (examined, untouched):
        tw.utils.set_random_seed(9)
        model_.fit(x, y, epochs=1, verbose=0)
    for a, b in zip(examined.get_weights(), untouched.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert examined.optimizer.iterations == untouched.optimizer.iterations


def test_bad_inputs_are_refused_with_what_to_do(batch):
    x, y = batch
    model = tw.Sequential([layers.Input((20,)), layers.Dense(3, activation="softmax")])
    with pytest.raises(ValueError, match="not compiled.*model.compile"):
        doctor.examine(model, x, y)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="same positive number of samples"):
        doctor.examine(model, x, y[:10])
    with pytest.raises(TypeError, match="History or its dict"):
        doctor.examine(model, x, y, history=[0.5, 0.4])
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy|label|class"):
        doctor.examine(model, x, np.full(len(x), 7))


def test_report_prints_a_row_per_layer_then_each_finding():
    report = doctor.Report(
        layers=[{"layer": "dense", "activation": "relu", "output_mean": 0.0, "output_std": 0.0,
                 "dead_fraction": 1.0, "saturated_fraction": None, "gradient_rms": 0.0}],
        findings=[doctor.Finding("dead_units", "dense", "problem", 1.0, "dead units: dense 100%")])
    text = str(report).splitlines()
    assert text[0].split() == ["layer", "activation", "out", "mean", "out", "std", "dead", "saturated", "grad", "rms"]
    assert text[1].split()[:2] == ["dense", "relu"] and "100%" in text[1]
    assert text[-2] == "PROBLEM: dead units: dense 100%" and text[-1] == "1 finding(s)"
    assert not report.ok and math.isclose(report.findings[0].value, 1.0)


def test_a_checkup_during_fit_reports_and_leaves_the_training_unchanged(batch, capsys):
    x, y = batch

    def model():
        tw.utils.set_random_seed(0)
        return compiled_model([layers.Dense(32, activation="relu", kernel_initializer="he_normal"),
                               layers.BatchNormalization(), layers.Dropout(0.3), layers.Dense(8, activation="relu")])

    checkup = doctor.Checkup(x[:128], y[:128], every=2)
    checked = model()  # each model is made (seeded) right before its fit: the same shuffles
    checked.fit(x, y, epochs=4, verbose=0, callbacks=[checkup])
    plain = model()
    plain.fit(x, y, epochs=4, verbose=0)
    for a, b in zip(checked.get_weights(), plain.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert [label for label, _ in checkup.reports] == ["epoch 2", "epoch 4", "end"]
    assert all(isinstance(report, doctor.Report) and len(report.layers) == 5 for _, report in checkup.reports)
    printed = capsys.readouterr().out
    assert "doctor, epoch 2:" in printed and "doctor, end:" in printed
    with pytest.raises(ValueError, match="every"):
        doctor.Checkup(x, y, every=0)
