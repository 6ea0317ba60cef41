"""Task presets: the last activation, loss and metrics for each kind of problem, and the textbook MLP."""
import dataclasses
import numbers

from trainwell import layers
from trainwell._errors import bad_type, bad_value, check_choice, check_number
from trainwell.models import Sequential


@dataclasses.dataclass(frozen=True)
class TaskPreset:
    """What a problem needs at the end of the network: `activation` (None: linear), `loss`, `metrics`."""

    task: str
    activation: str | None
    loss: str
    metrics: tuple


PRESETS = {
    "binary": TaskPreset("binary", "sigmoid", "binary_crossentropy", ("accuracy",)),
    "multiclass": TaskPreset("multiclass", "softmax", "sparse_categorical_crossentropy", ("accuracy",)),
    "multilabel": TaskPreset("multilabel", "sigmoid", "binary_crossentropy", ("binary_accuracy",)),
    "regression": TaskPreset("regression", None, "mse", ("mae",)),
    "unit_regression": TaskPreset("unit_regression", "sigmoid", "mse", ("mae",)),
}


def preset(task, one_hot=False):
    """The lecture's table of last activation / loss / metrics for `task`:

        task              labels                         activation  loss                              metrics
        binary            0/1, shape (n,) or (n, 1)      sigmoid     binary_crossentropy               accuracy
        multiclass        class indices (n,)             softmax     sparse_categorical_crossentropy   accuracy
                          one-hot rows (one_hot=True)    softmax     categorical_crossentropy          accuracy
        multilabel        multi-hot rows (n, k)          sigmoid     binary_crossentropy               binary_accuracy
        regression        any real values                none        mse                               mae
        unit_regression   values in [0, 1]               sigmoid     mse                               mae

    unit_regression: the table allows mse or binary_crossentropy. mse is chosen: its value reads as
    a squared error in the target's units and is 0 at a perfect fit, where cross-entropy on soft
    targets bottoms out at their entropy. Cross-entropy's gradient does not fade when the sigmoid
    saturates; compile with loss="binary_crossentropy" for targets that crowd at 0 or 1.
    Each sigmoid/softmax + cross-entropy pair trains through the fused, stable gradient p − y.
    """
    check_choice("tasks.preset", "task", task, tuple(PRESETS))
    if not isinstance(one_hot, bool):
        raise bad_type("tasks.preset", "one_hot", "True or False", one_hot)
    if one_hot and task == "multiclass":
        return dataclasses.replace(PRESETS[task], loss="categorical_crossentropy")
    return PRESETS[task]


def build_mlp(task, input_shape, n_outputs, hidden=(300, 100), activation="elu", kernel_initializer="he_normal",
              batch_norm=True, dropout=0.0, optimizer="adam", one_hot=False):
    """The textbook default deep network for `task`, compiled with Adam and the task's loss and metrics.

    Layers: Input(input_shape), Flatten (when a sample has more than one axis), then for each
    entry of `hidden`: Dense(units, activation, kernel_initializer) → BatchNormalization (if
    batch_norm) → Dropout(dropout) (if dropout > 0); last, Dense(n_outputs) with the preset's
    activation and Keras's default glorot_uniform initializer. He initialization with ELU and
    batch normalization after each hidden layer is Géron's default recipe (HOML ch. 11).
    Compiled with `optimizer` (default "adam": Adam with Keras's defaults, learning_rate 0.001),
    `preset(task, one_hot).loss` and its metrics. For early stopping, pass
    `callbacks=[EarlyStopping(patience=10, restore_best_weights=True)]` to `fit`.

    Arguments: task (see `preset`); input_shape (an int or the shape of one sample); n_outputs
    (1 for binary, the number of classes for multiclass, of labels for multilabel, of targets for
    regression); hidden=(300, 100); activation="elu"; kernel_initializer="he_normal";
    batch_norm=True; dropout=0.0; optimizer="adam"; one_hot=False (multiclass labels as one-hot rows).

    Example:
        model = build_mlp("multiclass", input_shape=13, n_outputs=3, hidden=(64,))
        model.fit(x_train, y_train, epochs=30, validation_split=0.1)
    """
    where = "tasks.build_mlp"
    task_preset = preset(task, one_hot)
    input_shape = (input_shape,) if isinstance(input_shape, numbers.Integral) else input_shape
    if not isinstance(input_shape, (tuple, list)) or not input_shape or not all(
            isinstance(d, numbers.Integral) and not isinstance(d, bool) and d > 0 for d in input_shape):
        raise bad_value(where, "input_shape", "a positive int or a tuple of positive ints", input_shape)
    check_number(where, "n_outputs", n_outputs, low=1, integer=True)
    if task == "binary" and n_outputs != 1:
        raise bad_value(where, "n_outputs", "1 for task='binary' (one sigmoid unit)", n_outputs,
                        "For several independent yes/no labels use task='multilabel'.")
    if task == "multiclass" and n_outputs < 2:
        raise bad_value(where, "n_outputs", "the number of classes (>= 2) for task='multiclass'", n_outputs,
                        "For two classes with one output use task='binary'.")
    if not isinstance(hidden, (tuple, list)) or not all(
            isinstance(u, numbers.Integral) and not isinstance(u, bool) and u > 0 for u in hidden):
        raise bad_value(where, "hidden", "a tuple of positive layer widths", hidden)
    check_number(where, "dropout", dropout, low=0, high=1, high_open=True)
    stack = [layers.Input(shape=tuple(input_shape))]
    if len(input_shape) > 1:
        stack.append(layers.Flatten())
    for units in hidden:
        stack.append(layers.Dense(units, activation=activation, kernel_initializer=kernel_initializer))
        if batch_norm:
            stack.append(layers.BatchNormalization())
        if dropout > 0:
            stack.append(layers.Dropout(dropout))
    stack.append(layers.Dense(n_outputs, activation=task_preset.activation))
    model = Sequential(stack)
    model.compile(optimizer=optimizer, loss=task_preset.loss, metrics=list(task_preset.metrics))
    return model
