"""Transfer learning: freezing at compile, shared layers, clone_model with fresh weights, set_weights copies."""
import json

import numpy as np
import pytest

import trainwell as tw
from trainwell import constraints, layers, regularizers
from trainwell.models import clone_model


def model_a():
    return tw.Sequential([layers.Input(shape=(6,)), layers.Dense(8, activation="relu"),
                          layers.BatchNormalization(), layers.Dense(8, activation="relu"),
                          layers.Dense(4, activation="softmax")])


def data(n=48, seed=0, classes=4):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 6)).astype("float32"), rng.integers(0, classes, n)


def sgd():
    return tw.optimizers.SGD(learning_rate=0.2)


def test_frozen_layers_do_not_move_during_fit_and_move_after_unfreezing_and_recompiling():
    model = model_a()
    base = model.layers[:3]
    for layer in base:
        layer.trainable = False
    model.compile(optimizer=sgd(), loss="sparse_categorical_crossentropy")
    frozen = [w.copy() for layer in base for w in layer.get_weights()]  # BN moving stats included
    x, y = data()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for old, new in zip(frozen, [w for layer in base for w in layer.get_weights()]):
        np.testing.assert_array_equal(old, new)
    for layer in base:
        layer.trainable = True
    model.compile(optimizer=sgd(), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    now = [w for layer in base for w in layer.get_weights()]
    assert all(not np.array_equal(old, new) for old, new in zip(frozen, now))  # BN moving statistics too


def test_model_trainable_false_freezes_everything_at_compile_and_true_unfreezes():
    model = model_a()
    model.trainable = False
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 10
    assert all(not layer.trainable for layer in model.layers)
    model.compile(optimizer=sgd(), loss="sparse_categorical_crossentropy")
    before = model.get_weights()
    x, y = data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)  # a frozen BatchNormalization runs in inference mode
    model.trainable = True
    model.compile(optimizer=sgd(), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert all(not np.array_equal(old, new) for old, new in zip(before, model.get_weights()))


def test_a_model_built_on_another_models_layers_shares_their_weights():
    a = model_a()
    a.compile(optimizer=sgd(), loss="sparse_categorical_crossentropy")
    b = tw.Sequential(a.layers[:-1] + [layers.Dense(1, activation="sigmoid")])
    b.compile(optimizer=sgd(), loss="binary_crossentropy")
    x, _ = data()
    before = a.layers[0].get_weights()[0]
    b.fit(x, (x[:, 0] > 0).astype("float32"), epochs=1, verbose=0)
    assert a.layers[0] is b.layers[0]
    assert not np.array_equal(before, a.layers[0].get_weights()[0])  # training B moved A's layer


def test_clone_model_builds_an_independent_copy_with_fresh_weights():
    a = model_a()
    clone = clone_model(a)
    assert [type(layer) for layer in clone.layers] == [type(layer) for layer in a.layers]
    assert json.dumps(clone.get_config()) == json.dumps(a.get_config())
    assert all(new is not old for new, old in zip(clone.layers, a.layers))
    assert not np.array_equal(clone.layers[0].get_weights()[0], a.layers[0].get_weights()[0])  # fresh draws
    assert clone.optimizer is None and not clone._compiled
    clone.set_weights(a.get_weights())  # the HOML idiom copies them
    for new, old in zip(clone.get_weights(), a.get_weights()):
        np.testing.assert_array_equal(new, old)
    clone.compile(optimizer=sgd(), loss="sparse_categorical_crossentropy")
    kept = a.get_weights()
    clone.fit(*data(), epochs=1, verbose=0)
    for old, now in zip(kept, a.get_weights()):
        np.testing.assert_array_equal(old, now)  # training the clone leaves A alone
    assert not np.array_equal(kept[0], clone.get_weights()[0])


def test_clone_keeps_regularizers_constraints_trainable_flags_and_nested_models():
    inner = tw.Sequential([layers.Dense(5, kernel_regularizer=regularizers.L2(0.1),
                                        kernel_constraint=constraints.max_norm(1.0), activity_regularizer="l1")])
    inner.layers[0].trainable = False
    model = tw.Sequential([layers.Input(shape=(3,)), inner, layers.Dense(2)])
    clone = clone_model(model)
    copied = clone.layers[0].layers[0]
    assert isinstance(clone.layers[0], tw.Sequential) and copied is not inner.layers[0]
    assert copied.trainable is False
    assert copied.kernel_regularizer.get_config() == {"l2": 0.1}
    assert copied.kernel.constraint.get_config() == {"max_value": 1.0, "axis": 0}
    assert copied.activity_regularizer.get_config() == {"l1": 0.01}


def test_clone_function_and_unsupported_arguments():
    model = model_a()
    clone = clone_model(model, clone_function=lambda layer: layer if isinstance(layer, layers.BatchNormalization)
                        else layer.__class__.from_config(layer.get_config()))
    assert clone.layers[1] is model.layers[1]
    with pytest.raises(TypeError, match="clone_model: model must be a Sequential model"):
        clone_model(layers.Dense(3))
    with pytest.raises(ValueError, match="clone_model: input_tensors must be None"):
        clone_model(model, input_tensors=np.ones((1, 6)))


def test_set_weights_of_get_weights_copies_values_not_storage():
    a, b = model_a(), model_a()
    b.set_weights(a.get_weights())
    for new, old in zip(b.get_weights(), a.get_weights()):
        np.testing.assert_array_equal(new, old)
    a.layers[0].kernel.value[...] += 1.0
    assert not np.array_equal(a.layers[0].get_weights()[0], b.layers[0].get_weights()[0])
