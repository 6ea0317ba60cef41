"""The training-health doctor: measures, on a batch of a model's data and in its history, the troubles
the textbooks warn about, and says what to try.

    report = doctor.examine(model, x_train[:512], y_train[:512], history=history)
    print(report)             # every layer's numbers, then the findings
    report.findings           # [Finding(check, layer, severity, value, message), ...]; report.ok

The checks and their thresholds (fixed in advance from the textbook discussions, not tuned on data):

Each check gives at most one finding, at its worst layer, naming every layer over the threshold.

- dead units: a channel of a relu/relu6 output that is 0 for every sample of the batch (inference
  mode). Warning from 20% of a layer's channels, problem from 50%.
- saturation: sigmoid outputs below 0.01 or above 0.99, tanh outputs beyond +-0.99, where the
  slope is under 0.01. Warning from 20% of a layer's outputs, problem from 50%.
- exploding activations: a hidden layer's output standard deviation over the input's. Over 1e2
  warning, over 1e4 problem (Glorot and Bengio: the scale should stay about the same).
- vanishing / exploding gradients: the root mean square of each layer's kernel gradient on the
  batch (one training-mode pass, no update); the first such layer's over the last's. Under 1e-2
  vanishing, over 1e2 exploding (warning); under 1e-4 or over 1e4, problem. A non-finite
  gradient is a problem.
- history (a History or its dict, when given): a non-finite loss (diverged: problem); a last loss
  above 1.5x the lowest (unstable: warning); a val_loss above 1.1x its minimum, reached two or more
  epochs before the end while the training loss kept falling (overfitting: warning).

The model is left exactly as it was: weights, batch-norm statistics and the random generators are
put back after the gradient pass, and the optimizer is not stepped.
"""
import math
from dataclasses import dataclass

import numpy

from trainwell import backend
from trainwell._errors import bad_type, bad_value, check_number
from trainwell.callbacks.base import Callback
from trainwell.models.model_state import generator_state

DEAD_WARNING, DEAD_PROBLEM = 0.2, 0.5
SATURATED_WARNING, SATURATED_PROBLEM = 0.2, 0.5
VANISHING_WARNING, VANISHING_PROBLEM = 1e-2, 1e-4
EXPLODING_WARNING, EXPLODING_PROBLEM = 1e2, 1e4
UNSTABLE_FACTOR, OVERFIT_FACTOR, OVERFIT_EPOCHS = 1.5, 1.1, 2
_SATURATING = {"sigmoid": lambda y: (y < 0.01) | (y > 0.99), "tanh": lambda y: abs(y) > 0.99}


@dataclass(frozen=True)
class Finding:
    """One trouble: which check, where (a layer name, or None for the history), how bad, the number
    measured, and a message saying what was seen and what to try."""

    check: str
    layer: object
    severity: str
    value: float
    message: str


@dataclass
class Report:
    """`layers`: one dict of measurements per layer; `findings`: the troubles, problems first."""

    layers: list
    findings: list

    @property
    def ok(self):
        return not self.findings

    def __str__(self):
        header = ("layer", "activation", "out mean", "out std", "dead", "saturated", "grad rms")
        rows = [header] + [(row["layer"], row["activation"] or "-", f"{row['output_mean']:.3g}",
                            f"{row['output_std']:.3g}", _percent(row["dead_fraction"]),
                            _percent(row["saturated_fraction"]), _number(row["gradient_rms"]))
                           for row in self.layers]
        widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
        lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)) for row in rows]
        lines.append("")
        lines.extend(f"{f.severity.upper()}: {f.message}" for f in self.findings)
        lines.append("no trouble found" if self.ok else f"{len(self.findings)} finding(s)")
        return "\n".join(lines)


def examine(model, x, y, history=None):
    """Measure `model` on the batch (x, y) (a few hundred samples suffice) and, if given, its
    `history`; returns a Report. The model must be compiled (the gradients need its loss)."""
    where = "doctor.examine"
    if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
        raise ValueError(f"{where}: the model is not compiled; call model.compile(optimizer=..., loss=...) "
                         "first (the gradient check needs its loss).")
    x, y = backend.cast(numpy.asarray(x)), numpy.asarray(y)
    if len(x) != len(y) or len(x) == 0:
        raise bad_value(where, "x and y", "the same positive number of samples", (len(x), len(y)))
    model._check_data(where, x, y)
    with numpy.errstate(all="ignore"):  # overflow and NaN are what the checks look for, not errors here
        layers = _forward_measurements(model, x)
        gradients = _gradient_measurements(model, x, y)
    for row in layers:
        row["gradient_rms"] = gradients.get(row["layer"])
    input_std = float(backend.to_numpy(x).astype(numpy.float64).std())
    findings = _layer_findings(layers, input_std) + _gradient_findings(layers) + _history_findings(history, where)
    findings.sort(key=lambda finding: finding.severity != "problem")
    return Report(layers, findings)


class Checkup(Callback):
    """Examines the model during `fit`: on a fixed batch every `every` epochs (None: never) and at the
    end of training with the history; keeps `reports` as [(label, Report)] ("epoch 5", "end") and,
    with verbose=1, prints each report's findings. The training itself is unchanged: a fit with a
    Checkup ends with the same weights as one without.
    Example: `model.fit(x, y, epochs=20, callbacks=[doctor.Checkup(x[:512], y[:512], every=5)])`.
    """

    def __init__(self, x, y, every=None, verbose=1):
        super().__init__()
        self.x, self.y = x, y
        self.every = check_number("Checkup", "every", every, low=1, integer=True, allow_none=True)
        self.verbose = verbose
        self.reports = []

    def on_epoch_end(self, epoch, logs=None):
        if self.every and (epoch + 1) % self.every == 0:
            self._examine(f"epoch {epoch + 1}", None)

    def on_train_end(self, logs=None):
        self._examine("end", getattr(self.model, "history", None))

    def _examine(self, label, history):
        report = examine(self.model, self.x, self.y, history=history)
        self.reports.append((label, report))
        if self.verbose:
            findings = "\n".join(f"  {f.severity}: {f.message}" for f in report.findings) or "  no trouble found"
            print(f"doctor, {label}:\n{findings}")


def _forward_measurements(model, x):
    rows = []
    with backend.recording(False):
        outputs = x
        for layer in model.leaf_layers():
            outputs = layer(outputs, training=False)
            y = backend.to_numpy(outputs).astype(numpy.float64)
            name = _activation_name(layer)
            channels = y.reshape(-1, y.shape[-1]) if y.ndim > 1 else y.reshape(-1, 1)
            rows.append({
                "layer": layer.name, "activation": name, "output_mean": float(y.mean()), "output_std": float(y.std()),
                "dead_fraction": float(numpy.mean(numpy.all(channels == 0, axis=0))) if name in ("relu", "relu6")
                else None,
                "saturated_fraction": float(numpy.mean(_SATURATING[name](y))) if name in _SATURATING else None,
            })
    return rows


def _gradient_measurements(model, x, y):
    """{layer name: RMS of its kernel gradient} from one training-mode pass; the model is restored."""
    model._prepare_training()
    weights = model.get_weights()
    generators = [(g, generator_state(g)) for g in _generators(model) if generator_state(g) is not None]
    try:
        model._loss_and_gradients(x, y, None)
        gradients = {}
        for layer in model.leaf_layers():
            kernel = getattr(layer, "kernel", None)
            if kernel is not None and kernel.grad is not None and getattr(kernel, "trainable", True):
                g = backend.to_numpy(kernel.grad).astype(numpy.float64)
                gradients[layer.name] = float(numpy.sqrt(numpy.mean(g * g))) if numpy.all(numpy.isfinite(g)) \
                    else math.inf
    finally:
        model.set_weights(weights)
        for generator, state in generators:
            generator.bit_generator.state = state
    return gradients


_LAYER_CHECKS = (  # (check, measurement, warning from, problem from, what it is, what to try)
    ("dead_units", "dead_fraction", DEAD_WARNING, DEAD_PROBLEM, "dead units (relu channels that output 0 for "
     "every sample)", "try He initialization, a lower learning rate, or LeakyReLU/ELU"),
    ("saturation", "saturated_fraction", SATURATED_WARNING, SATURATED_PROBLEM, "saturated sigmoid/tanh outputs "
     "(slope under 0.01)", "try Glorot/LeCun initialization, scaled inputs, BatchNormalization, or ReLU-family "
     "activations"),
)


def _layer_findings(layers, input_std):
    """One finding per check, at its worst layer, naming every layer that crossed the threshold."""
    findings = []
    for check, key, warning_at, problem_at, what, advice in _LAYER_CHECKS:
        over = [(row["layer"], row[key]) for row in layers if row[key] is not None and row[key] >= warning_at]
        if over:
            findings.append(_worst(check, over, problem_at, lambda listed, w=what, a=advice: f"{w}: {listed}; {a}."))
    hidden = layers[:-1]  # the output layer's scale is the task's
    growth = [(row["layer"], row["output_std"] / input_std) for row in hidden if input_std > 0]
    exploding = [(name, value) for name, value in growth if value > EXPLODING_WARNING]
    if exploding:
        findings.append(_worst("exploding_activations", exploding, EXPLODING_PROBLEM, lambda listed: (
            f"activations grow through the layers (output std over input std): {listed}; try Glorot/He "
            "initialization for the activation in use, or BatchNormalization."), percent=False))
    return findings


def _worst(check, entries, problem_at, describe, percent=True):
    """The finding for (layer, value) entries over a warning threshold: at the largest value."""
    name, value = max(entries, key=lambda entry: entry[1])
    listed = ", ".join(f"{layer} {amount:.0%}" if percent else f"{layer} {amount:.3g}x" for layer, amount in entries)
    return Finding(check, name, "problem" if value >= problem_at else "warning", value, describe(listed))


def _gradient_findings(layers):
    measured = [row for row in layers if row["gradient_rms"] is not None]
    broken = [row["layer"] for row in measured if not math.isfinite(row["gradient_rms"])]
    if broken:
        return [Finding("non_finite_gradients", broken[0], "problem", math.inf,
                        f"{', '.join(broken)}: gradients with NaN or infinity; lower the learning rate, clip "
                        "gradients (clipnorm), and check the inputs and labels.")]
    if len(measured) < 2 or measured[-1]["gradient_rms"] == 0:
        return []
    first, last = measured[0], measured[-1]
    ratio = first["gradient_rms"] / last["gradient_rms"]
    if ratio < VANISHING_WARNING:
        return [Finding("vanishing_gradients", first["layer"], "problem" if ratio < VANISHING_PROBLEM else "warning",
                        ratio, f"{first['layer']}: its gradients are {ratio:.1e} times those of {last['layer']} "
                        "(vanishing gradients); try He/Glorot initialization, ReLU-family activations, "
                        "BatchNormalization, or fewer layers.")]
    if ratio > EXPLODING_WARNING:
        return [Finding("exploding_gradients", first["layer"], "problem" if ratio > EXPLODING_PROBLEM else "warning",
                        ratio, f"{first['layer']}: its gradients are {ratio:.1e} times those of {last['layer']} "
                        "(exploding gradients); try smaller initial weights, gradient clipping, or "
                        "BatchNormalization.")]
    return []


def _history_findings(history, where):
    if history is None:
        return []
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or "loss" not in logs:
        raise bad_type(where, "history", "a History or its dict with a 'loss' list", history)
    loss = [float(value) for value in logs["loss"]]
    if not loss:
        return []
    if not all(math.isfinite(value) for value in loss):
        epoch = next(i for i, value in enumerate(loss) if not math.isfinite(value))
        return [Finding("diverged", None, "problem", loss[epoch],
                        f"the training loss became {loss[epoch]} at epoch {epoch + 1} (diverged); lower the "
                        "learning rate, clip gradients, and check for NaN in the data.")]
    findings = []
    lowest = min(loss)
    if loss[-1] > UNSTABLE_FACTOR * lowest:
        findings.append(Finding("unstable", None, "warning", loss[-1] / lowest,
                                f"the last training loss is {loss[-1] / lowest:.2f} times its lowest (unstable "
                                "training); lower the learning rate or use a schedule."))
    validation = [float(value) for value in logs.get("val_loss", [])]
    if len(validation) == len(loss) and all(math.isfinite(v) for v in validation):
        best = int(numpy.argmin(validation))
        rising = validation[-1] > OVERFIT_FACTOR * validation[best]
        if rising and len(validation) - 1 - best >= OVERFIT_EPOCHS and loss[-1] < loss[best]:
            findings.append(Finding(
                "overfitting", None, "warning", validation[-1] / validation[best],
                f"val_loss is {validation[-1] / validation[best]:.2f} times its minimum (epoch {best + 1}) while "
                "the training loss kept falling (overfitting); try EarlyStopping(restore_best_weights=True), "
                "dropout, L2, or more data."))
    return findings


def _activation_name(layer):
    function = getattr(layer, "activation", None) or getattr(type(layer), "function", None)
    name = getattr(function, "__name__", None)
    if name == "relu" and hasattr(layer, "arguments") and (layer.negative_slope or layer.threshold):
        return "leaky or shifted relu"  # not a plain rectifier: no dead-unit check
    return name


def _generators(model):
    """The library's generator and every layer's own (Dropout, RReLU, ...): what a training pass draws from."""
    return [backend.generator()] + [layer.generator for layer in model.leaf_layers()
                                    if getattr(layer, "generator", None) is not None]


def _percent(value):
    return "-" if value is None else f"{value:.0%}"


def _number(value):
    return "-" if value is None else f"{value:.2e}"
