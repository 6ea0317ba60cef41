"""Task presets (the lecture's last activation / loss / metrics table) and build_mlp, trained on bundled data."""
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine

import trainwell as tw
from trainwell import layers
from trainwell.data import MinMaxScaler, StandardScaler, train_test_split
from trainwell.tasks import build_mlp, preset

# The lecture's table, written out here: task -> (last activation, loss, metrics).
LECTURE_TABLE = {
    "binary": ("sigmoid", "binary_crossentropy", ("accuracy",)),
    "multiclass": ("softmax", "sparse_categorical_crossentropy", ("accuracy",)),
    "multilabel": ("sigmoid", "binary_crossentropy", ("binary_accuracy",)),
    "regression": (None, "mse", ("mae",)),
    "unit_regression": ("sigmoid", "mse", ("mae",)),
}


@pytest.mark.parametrize("task", sorted(LECTURE_TABLE))
def test_each_preset_is_the_lecture_row(task):
    row = preset(task)
    assert (row.activation, row.loss, row.metrics) == LECTURE_TABLE[task]


def test_one_hot_multiclass_labels_use_categorical_crossentropy():
    assert preset("multiclass", one_hot=True).loss == "categorical_crossentropy"
    assert preset("binary", one_hot=True).loss == "binary_crossentropy"


def test_build_mlp_is_the_textbook_network():
    model = build_mlp("multiclass", input_shape=(8, 8), n_outputs=10, dropout=0.2)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Flatten", "Dense", "BatchNormalization", "Dropout", "Dense", "BatchNormalization", "Dropout",
                     "Dense"]
    hidden = [layer for layer in model.layers if isinstance(layer, layers.Dense)][:-1]
    assert [layer.units for layer in hidden] == [300, 100]
    assert all(layer.get_config()["activation"] == "elu" for layer in hidden)
    assert all(layer.get_config()["kernel_initializer"]["class_name"] == "HeNormal" for layer in hidden)
    assert model.layers[-1].get_config()["activation"] == "softmax" and model.layers[-1].units == 10
    assert model.layers[3].rate == 0.2
    assert type(model.optimizer).__name__ == "Adam" and type(model.loss).__name__ == "SparseCategoricalCrossentropy"
    plain = build_mlp("regression", 5, 2, hidden=(4,), batch_norm=False)
    assert [type(layer).__name__ for layer in plain.layers] == ["Dense", "Dense"]
    assert plain.layers[-1].get_config()["activation"] in (None, "linear")


@pytest.mark.parametrize("kwargs, match", [
    ({"task": "ranking"}, "task must be one of 'binary', 'multiclass'"),
    ({"task": "binary", "n_outputs": 2}, "n_outputs must be 1 for task='binary'"),
    ({"task": "multiclass", "n_outputs": 1}, "the number of classes"),
    ({"task": "regression", "hidden": (0,)}, "hidden must be a tuple of positive layer widths"),
    ({"task": "regression", "dropout": 1.0}, "dropout must be a number in"),
    ({"task": "regression", "input_shape": (0,)}, "input_shape must be a positive int"),
])
def test_bad_arguments_are_refused(kwargs, match):
    arguments = {"input_shape": 4, "n_outputs": 1, **kwargs}
    with pytest.raises(ValueError, match=match):
        build_mlp(**arguments)


def scaled_split(x, y, seed=0, stratify=False):
    (x_train, y_train), (x_test, y_test) = train_test_split(x, y, 0.25, stratify=stratify, seed=seed)
    scaler = StandardScaler().fit(x_train)  # fitted on the training part only
    return scaler.transform(x_train), y_train, scaler.transform(x_test), y_test


def test_binary_preset_classifies_breast_cancer():
    tw.utils.set_random_seed(0)
    x_train, y_train, x_test, y_test = scaled_split(*load_breast_cancer(return_X_y=True), stratify=True)
    model = build_mlp("binary", 30, 1, hidden=(16,))
    model.fit(x_train, y_train, epochs=20, verbose=0)
    assert model.evaluate(x_test, y_test, verbose=0)[1] >= 0.93  # seeds 0-4 gave 0.944-0.972


def test_multiclass_preset_classifies_wine():
    tw.utils.set_random_seed(0)
    x_train, y_train, x_test, y_test = scaled_split(*load_wine(return_X_y=True), stratify=True)
    model = build_mlp("multiclass", 13, 3, hidden=(16,))
    model.fit(x_train, y_train, epochs=50, verbose=0)
    assert model.evaluate(x_test, y_test, verbose=0)[1] >= 0.9  # seeds 0-4 gave 0.911-1.0


def test_multilabel_preset_learns_three_digit_properties():
    tw.utils.set_random_seed(0)
    images, labels = tw.data.load_digits()
    properties = np.stack([labels % 2 == 0, labels >= 5, np.isin(labels, [0, 6, 8, 9])], axis=1).astype("float32")
    (x_train, y_train), (x_test, y_test) = train_test_split(images / 16.0, properties, 0.25, seed=0)
    model = build_mlp("multilabel", (8, 8), 3, hidden=(32,))
    model.fit(x_train, y_train, epochs=10, verbose=0)
    assert model.evaluate(x_test, y_test, verbose=0)[1] >= 0.88  # per-label accuracy; seeds 0-4 gave 0.90-0.92


def test_regression_preset_explains_diabetes_progression():
    tw.utils.set_random_seed(0)
    x_train, y_train, x_test, y_test = scaled_split(*load_diabetes(return_X_y=True))
    target = StandardScaler().fit(y_train.reshape(-1, 1))
    # BatchNormalization's batch noise costs this 331-sample regression; the plain MLP is steadier.
    model = build_mlp("regression", 10, 1, hidden=(16,), batch_norm=False)
    model.fit(x_train, target.transform(y_train.reshape(-1, 1)), epochs=30, verbose=0)
    predicted = target.inverse_transform(model.predict(x_test, verbose=0)).ravel()
    r_squared = 1 - np.sum((predicted - y_test) ** 2) / np.sum((y_test - y_test.mean()) ** 2)
    assert r_squared >= 0.3  # predicting the mean scores 0; a linear model about 0.45; seeds 0-4 gave 0.36-0.55


def test_unit_regression_preset_beats_the_mean_on_min_max_scaled_targets():
    tw.utils.set_random_seed(0)
    x_train, y_train, x_test, y_test = scaled_split(*load_diabetes(return_X_y=True))
    target = MinMaxScaler().fit(y_train.reshape(-1, 1))
    unit_train, unit_test = target.transform(y_train.reshape(-1, 1)), target.transform(y_test.reshape(-1, 1))
    model = build_mlp("unit_regression", 10, 1, hidden=(16,), batch_norm=False)
    model.fit(x_train, unit_train, epochs=30, verbose=0)
    predicted = model.predict(x_test, verbose=0)
    assert predicted.min() > 0 and predicted.max() < 1  # the sigmoid keeps predictions in (0, 1)
    mae = model.evaluate(x_test, unit_test, verbose=0)[1]
    baseline = np.mean(np.abs(unit_test - unit_train.mean()))
    assert mae <= 0.8 * baseline  # seeds 0-4 gave 0.62-0.72 of the baseline
