"""Every registered public class goes through the shared checks; a new class cannot escape them.

For each class the table below gives constructor arguments, a bad argument that must be refused,
and (for layers) an input for the float64 gradient check in training and inference mode.
A registered class without a row fails `test_every_registered_class_has_a_row`.
"""
import json

import numpy as np
import pytest

import trainwell  # noqa: F401  (registers every family)
from tests.gradcheck import check_layer
from trainwell import (activations, callbacks, constraints, initializers, layers, losses, metrics, optimizers,
                       regularizers)
from trainwell._registry import ALL_REGISTRIES, deserialize, serialize

X2 = (5, 4)
X3 = (3, 2, 4)

# family -> class name -> (kwargs, bad kwargs, gradient-check input shape or None)
CASES = {
    "layer": {
        "Activation": ({"activation": "tanh"}, {"activation": "nope"}, X2),
        "AlphaDropout": ({"rate": 0.3, "seed": 1}, {"rate": 1.5}, X2),
        "AveragePooling2D": ({"pool_size": 3, "strides": 2, "padding": "same"}, {"pool_size": 0}, (2, 7, 5, 3)),
        "BatchNormalization": ({"momentum": 0.9}, {"momentum": 2.0}, X2),
        "Conv2D": ({"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "tanh"},
                   {"strides": 0}, (2, 7, 5, 3)),
        "Dense": ({"units": 3, "activation": "elu"}, {"units": -1}, X3),
        "Dropout": ({"rate": 0.4, "seed": 1}, {"rate": -0.1}, X2),
        "ELU": ({"alpha": 0.7}, {"alpha": float("nan")}, X2),
        "Flatten": ({}, {"name": 3}, X3),
        "GlobalAveragePooling2D": ({"keepdims": True}, {"data_format": "channels_first"}, (2, 5, 3, 4)),
        "GlobalMaxPooling2D": ({}, {"data_format": "nchw"}, (2, 5, 3, 4)),
        "InputLayer": ({"shape": (4,)}, {"shape": (0,)}, None),
        "LeakyReLU": ({"negative_slope": 0.2}, {"negative_slope": -1.0}, X2),
        "MaxPooling2D": ({"pool_size": (2, 3), "strides": 1}, {"padding": "full"}, (2, 5, 6, 3)),
        "Normalization": ({"mean": [0.5, -1.0, 2.0, 0.0], "variance": [2.0, 0.5, 1.0, 4.0]}, {"variance": -1.0},
                          X2),
        "PReLU": ({"alpha_initializer": "random_uniform"}, {"shared_axes": [0]}, X3),
        "RReLU": ({"lower": 0.1, "upper": 0.3, "seed": 2}, {"lower": 0.5, "upper": 0.1}, X2),
        "ReLU": ({"max_value": 6.0}, {"threshold": -1.0}, X2),
        "Rescaling": ({"scale": 1 / 255, "offset": -0.5}, {"scale": "big"}, X3),
        "Reshape": ({"target_shape": (4, 2)}, {"target_shape": (-1, -1)}, X3),
        "Sequential": ({"layers": [layers.Dense(2)]}, {"layers": ["dense"]}, None),
        "SpatialDropout2D": ({"rate": 0.4, "seed": 1}, {"rate": 1.5}, (3, 4, 3, 5)),
        "Softmax": ({"axis": -1}, {"axis": "last"}, X2),
    },
    "optimizer": {
        "Adagrad": ({"learning_rate": 0.01, "initial_accumulator_value": 0.2}, {"epsilon": 0.0}, None),
        "Adam": ({"learning_rate": 0.01, "amsgrad": True}, {"beta_2": 1.0}, None),
        "AdamW": ({"weight_decay": 0.01, "amsgrad": True}, {"weight_decay": None}, None),
        "Adamax": ({"beta_1": 0.8}, {"beta_2": 1.0}, None),
        "Nadam": ({"momentum_decay": 0.004}, {"beta_1": -0.1}, None),
        "RMSprop": ({"momentum": 0.9, "centered": True}, {"rho": 1.0}, None),
        "SGD": ({"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}, {"momentum": -0.5}, None),
    },
    "loss": {
        "BinaryCrossentropy": ({"label_smoothing": 0.1}, {"label_smoothing": 2.0}, None),
        "CategoricalCrossentropy": ({"from_logits": True}, {"reduction": "avg"}, None),
        "Huber": ({"delta": 2.0}, {"delta": -1.0}, None),
        "MeanAbsoluteError": ({}, {"reduction": "max"}, None),
        "MeanSquaredError": ({"reduction": "sum"}, {"reduction": "max"}, None),
        "SparseCategoricalCrossentropy": ({"ignore_class": 0}, {"ignore_class": 1.5}, None),
    },
    "metric": {
        "AUC": ({"num_thresholds": 50}, {"num_thresholds": 1}, None),
        "BinaryAccuracy": ({"threshold": 0.3}, {"threshold": "high"}, None),
        "CategoricalAccuracy": ({}, {"name": 5}, None),
        "Mean": ({"name": "m"}, {"name": 5}, None),
        "MeanAbsoluteError": ({}, {"name": 5}, None),
        "MeanSquaredError": ({}, {"name": 5}, None),
        "RootMeanSquaredError": ({}, {"name": 5}, None),
        "SparseCategoricalAccuracy": ({}, {"name": 5}, None),
        "SparseTopKCategoricalAccuracy": ({"k": 2}, {"k": 0}, None),
        "TopKCategoricalAccuracy": ({"k": 3}, {"k": 0}, None),
    },
    "initializer": {
        "Constant": ({"value": 2.0}, {"value": float("inf")}, None),
        "GlorotNormal": ({"seed": 1}, {"seed": -1}, None),
        "GlorotUniform": ({"seed": 1}, {"seed": -1}, None),
        "HeNormal": ({"seed": 1}, {"seed": -1}, None),
        "HeUniform": ({"seed": 1}, {"seed": -1}, None),
        "Identity": ({"gain": 2.0}, {"gain": float("nan")}, None),
        "LecunNormal": ({"seed": 1}, {"seed": -1}, None),
        "LecunUniform": ({"seed": 1}, {"seed": -1}, None),
        "Ones": ({}, {"value": 1.0}, None),
        "Orthogonal": ({"gain": 0.5, "seed": 1}, {"gain": float("inf")}, None),
        "RandomNormal": ({"stddev": 0.1, "seed": 1}, {"stddev": 0.0}, None),
        "RandomUniform": ({"minval": -1.0, "maxval": 1.0, "seed": 1}, {"minval": 1.0, "maxval": -1.0}, None),
        "TruncatedNormal": ({"stddev": 0.1, "seed": 1}, {"stddev": -1.0}, None),
        "VarianceScaling": ({"scale": 2.0, "mode": "fan_avg", "seed": 1}, {"mode": "fan_sideways"}, None),
        "Zeros": ({}, {"value": 1.0}, None),
    },
    "regularizer": {
        "L1": ({"l1": 0.1}, {"l1": -0.1}, None),
        "L1L2": ({"l1": 0.1, "l2": 0.2}, {"l2": float("nan")}, None),
        "L2": ({"l2": 0.1}, {"l2": "big"}, None),
        "l1_l2": ({"l1": 0.1}, {"l2": -1.0}, None),
    },
    "constraint": {
        "MaxNorm": ({"max_value": 3.0, "axis": [0, 1]}, {"axis": "rows"}, None),
        "MinMaxNorm": ({"min_value": 0.5, "max_value": 2.0, "rate": 0.5}, {"rate": 2.0}, None),
        "NonNeg": ({}, {"axis": 0}, None),
        "UnitNorm": ({"axis": 1}, {"axis": [0, 0]}, None),
    },
    "schedule": {
        "CosineDecay": ({"initial_learning_rate": 0.1, "decay_steps": 100, "warmup_target": 0.2, "warmup_steps": 10},
                        {"alpha": 2.0}, None),
        "CosineDecayRestarts": ({"initial_learning_rate": 0.1, "first_decay_steps": 10, "m_mul": 0.5},
                                {"t_mul": 0.5}, None),
        "ExponentialDecay": ({"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
                             {"decay_steps": 0}, None),
        "InverseTimeDecay": ({"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
                             {"decay_rate": -1.0}, None),
        "LinearWarmup": ({"schedule": optimizers.schedules.CosineDecay(0.1, 10), "warmup_steps": 5},
                         {"warmup_steps": -1}, None),
        "OneCycle": ({"max_learning_rate": 1.0, "total_steps": 100}, {"total_steps": 2}, None),
        "PiecewiseConstantDecay": ({"boundaries": [10, 20], "values": [0.1, 0.05, 0.01]}, {"values": [0.1]}, None),
        "PolynomialDecay": ({"initial_learning_rate": 0.1, "decay_steps": 10, "cycle": True}, {"power": 0.0}, None),
    },
    "callback": {
        "BackupAndRestore": ({"backup_dir": "backup", "save_freq": 10, "delete_checkpoint": False}, {"save_freq": 0},
                             None),
        "CSVLogger": ({"filename": "training.csv", "separator": ";", "append": True}, {"separator": ";;"}, None),
        "EarlyStopping": ({"monitor": "val_accuracy", "min_delta": 0.01, "patience": 3, "baseline": 0.5,
                           "restore_best_weights": True, "start_from_epoch": 2}, {"mode": "maximum"}, None),
        "History": ({}, {"verbose": 1}, None),
        "ModelCheckpoint": ({"filepath": "ckpt-{epoch:02d}.weights.h5", "monitor": "loss", "save_best_only": True,
                             "save_weights_only": True, "mode": "min", "save_freq": 5, "initial_value_threshold": 0.5},
                            {"save_freq": "batch"}, None),
        "ProgbarLogger": ({"verbose": 2}, {"count_mode": "steps"}, None),
        "ReduceLROnPlateau": ({"monitor": "loss", "factor": 0.5, "patience": 2, "cooldown": 1, "min_lr": 1e-5},
                              {"factor": 1.0}, None),
        "TensorBoard": ({"log_dir": "tb_logs", "histogram_freq": 2, "write_graph": False, "update_freq": 5},
                        {"update_freq": "often"}, None),
        "TerminateOnNaN": ({"raise_error": True}, {"raise_error": "yes"}, None),
    },
}
FAMILIES = {"layer": layers.REGISTRY, "optimizer": optimizers.REGISTRY, "loss": losses.REGISTRY,
            "metric": metrics.REGISTRY, "initializer": initializers.REGISTRY, "callback": callbacks.REGISTRY,
            "regularizer": regularizers.REGISTRY, "constraint": constraints.REGISTRY,
            "schedule": optimizers.schedules.REGISTRY}
ALL_CASES = [(family, name) for family, rows in CASES.items() for name in rows]


def test_every_registry_is_covered_here():
    assert set(ALL_REGISTRIES) == set(FAMILIES) | {"activation"}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_registered_class_has_a_row(family):
    registered = {cls.__name__ for cls in FAMILIES[family].members()}
    assert registered == set(CASES[family]), f"{family}: add rows for {registered - set(CASES[family])}"


@pytest.mark.parametrize("family, name", ALL_CASES)
def test_config_round_trips_through_json(family, name):
    kwargs = CASES[family][name][0]
    obj = FAMILIES[family].lookup(name, "test")(**kwargs)
    if not hasattr(obj, "get_config"):
        pytest.fail(f"{name} has no get_config")
    config = json.loads(json.dumps(serialize(obj)))
    rebuilt = deserialize(FAMILIES[family], config, "test")
    assert type(rebuilt) is type(obj)
    assert _comparable(rebuilt.get_config()) == _comparable(obj.get_config())


@pytest.mark.parametrize("family, name", ALL_CASES)
def test_a_bad_argument_is_refused_with_a_clear_error(family, name):
    bad = CASES[family][name][1]
    cls = FAMILIES[family].lookup(name, "test")
    base = {k: v for k, v in CASES[family][name][0].items() if k not in bad}
    with pytest.raises((ValueError, TypeError)) as error:
        cls(**base, **bad)
    message = str(error.value)
    assert name.lower() in message.lower() or any(key in message for key in bad)


@pytest.mark.parametrize("name", [n for n, row in CASES["layer"].items() if row[2] is not None])
@pytest.mark.parametrize("training", [True, False])
def test_every_layer_passes_the_gradient_check(float64, name, training):
    kwargs, _, shape = CASES["layer"][name]
    layer = layers.REGISTRY.lookup(name, "test")(**kwargs)
    x = np.random.default_rng(5).normal(size=shape)
    x[np.abs(x) < 0.05] += 0.2  # away from kinks
    check_layer(layer, x, training=training)


@pytest.mark.parametrize("function", activations.REGISTRY.members(), ids=lambda f: f.__name__)
def test_every_activation_serializes_to_its_name_and_has_a_derivative(function):
    assert activations.deserialize(activations.serialize(function)) is function
    assert callable(function.derivative)


def _comparable(config):
    """Configs compared as JSON, with seeds of initializers drawn at construction left out."""
    return json.loads(json.dumps(config, default=str))
