"""Saving and loading: whole models, weights in Keras's .weights.h5 layout, JSON; hostile files refused."""
import json
import pickle

import h5py
import numpy as np
import pytest

from trainwell import layers, losses, metrics, models, optimizers, utils
from trainwell.models import Sequential, load_model, model_from_json

X = np.random.default_rng(0).normal(size=(48, 5)).astype("float32")
Y = np.random.default_rng(1).integers(0, 3, size=48)


def small_model(units=6, optimizer=None):
    model = Sequential([layers.Input(shape=(5,)), layers.Dense(units, activation="relu"),
                        layers.BatchNormalization(), layers.Dropout(0.25), layers.Dense(3, activation="softmax")])
    model.compile(optimizer or optimizers.Nadam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def trained_model():
    model = small_model()
    model.fit(X, Y, epochs=2, batch_size=16, verbose=0)
    model.optimizer.learning_rate = 0.004  # as ReduceLROnPlateau would leave it
    return model


def weights_equal(a, b):
    return len(a) == len(b) and all(x.dtype == y.dtype and np.array_equal(x, y) for x, y in zip(a, b))


def test_a_loaded_model_predicts_and_continues_training_exactly_as_one_never_saved(tmp_path):
    model = trained_model()
    model.save(tmp_path / "model.h5")
    loaded = load_model(tmp_path / "model.h5")
    assert np.array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    assert loaded.optimizer.learning_rate == 0.004 and loaded.optimizer.iterations == model.optimizer.iterations
    for m in (model, loaded):  # same shuffles; dropout masks come from each layer's saved generator state
        utils.set_random_seed(7)
        m.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    assert weights_equal(loaded.get_weights(), model.get_weights())
    state, loaded_state = model.optimizer.get_state(), loaded.optimizer.get_state()
    assert loaded_state["iterations"] == state["iterations"] == 9
    for name, slot in state["slots"].items():  # Nadam's momentum, velocity and scalar u_product
        assert type(loaded_state["slots"][name]) is type(slot) and np.array_equal(loaded_state["slots"][name], slot)


def test_weights_file_has_kerass_layout_with_optimizer_variables_per_weight(tmp_path):
    model = trained_model()
    model.save_weights(tmp_path / "w.weights.h5")
    kernel, bias, gamma, beta, moving_mean, moving_variance, kernel_1, bias_1 = model.get_weights()
    state = model.optimizer.get_state()
    with h5py.File(tmp_path / "w.weights.h5", "r") as file:
        assert sorted(file["layers"]) == ["batch_normalization", "dense", "dense_1", "dropout"]
        for group, arrays in (("dense", [kernel, bias]), ("dense_1", [kernel_1, bias_1]),
                              ("batch_normalization", [gamma, beta, moving_mean, moving_variance]), ("dropout", [])):
            stored = file[f"layers/{group}/vars"]
            assert sorted(stored) == [str(i) for i in range(len(arrays))]
            assert all(np.array_equal(stored[str(i)][()], a) for i, a in enumerate(arrays))
        stored = file["optimizer/vars"]
        assert stored["0"][()] == 6 and stored["1"][()] == 0.004  # iteration, learning_rate
        # then each trainable variable's momentum and velocity in turn (the flat slots cut per variable)
        sizes = [kernel.size, bias.size, gamma.size, beta.size, kernel_1.size, bias_1.size]
        offsets = np.cumsum([0] + sizes)
        for i, (start, stop) in enumerate(zip(offsets[:-1], offsets[1:])):
            assert np.array_equal(stored[str(2 + 2 * i)][()].ravel(), state["slots"]["momentum"][start:stop])
            assert np.array_equal(stored[str(3 + 2 * i)][()].ravel(), state["slots"]["velocity"][start:stop])
        assert stored[str(2 + 2 * len(sizes))][()] == state["slots"]["u_product"]
        assert len(stored) == 3 + 2 * len(sizes)


def test_nested_model_weights_nest_under_its_own_layers_group(tmp_path):
    inner = Sequential([layers.Dense(4), layers.Dense(2)])
    model = Sequential([layers.Input(shape=(3,)), inner, layers.Dense(1)])
    model.save_weights(tmp_path / "n.weights.h5")
    with h5py.File(tmp_path / "n.weights.h5", "r") as file:
        assert sorted(file["layers"]) == ["dense", "sequential"]
        assert np.array_equal(file["layers/sequential/layers/dense_1/vars/0"][()], inner.layers[1].weights[0].numpy())
        assert len(file["layers/sequential/vars"]) == 0
    copy = Sequential([layers.Input(shape=(3,)), Sequential([layers.Dense(4), layers.Dense(2)]), layers.Dense(1)])
    copy.load_weights(tmp_path / "n.weights.h5")
    assert weights_equal(copy.get_weights(), model.get_weights())


def test_mismatched_weights_are_refused_naming_the_weight_and_the_model_is_unchanged(tmp_path):
    small_model(units=7).save_weights(tmp_path / "seven.weights.h5")
    model = small_model(units=6)
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"weight 'dense.*/kernel' has shape \(5, 6\); the file holds shape \(5, 7\)"):
        model.load_weights(tmp_path / "seven.weights.h5")
    assert weights_equal(model.get_weights(), before)


def test_skip_mismatch_loads_the_layers_that_fit_and_keeps_the_others(tmp_path):
    saved = Sequential([layers.Input(shape=(5,)), layers.Dense(6), layers.Dense(3)])
    saved.save_weights(tmp_path / "w.weights.h5")
    target = Sequential([layers.Input(shape=(5,)), layers.Dense(6), layers.Dense(4)])
    head = target.layers[1].get_weights()
    target.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    assert weights_equal(target.layers[0].get_weights(), saved.layers[0].get_weights())
    assert weights_equal(target.layers[1].get_weights(), head)


def test_paths_follow_kerass_extension_rules(tmp_path):
    model = small_model()
    with pytest.raises(ValueError, match=r"save_weights: filepath must be a path ending in \.weights\.h5"):
        model.save_weights(tmp_path / "w.h5")
    with pytest.raises(ValueError, match=r"not Keras 3's zipped \.keras archives; use a \.h5 path"):
        model.save(tmp_path / "m.keras")
    model.save(tmp_path / "m.hdf5")
    other = small_model()
    other.load_weights(tmp_path / "m.hdf5")  # weights come out of a whole-model file too
    assert weights_equal(other.get_weights(), model.get_weights())
    with pytest.raises(FileExistsError, match="Pass overwrite=True"):
        model.save(tmp_path / "m.hdf5", overwrite=False)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        model.save(tmp_path / "absent" / "m.h5")


def test_compile_config_round_trips_schedule_loss_and_metrics(tmp_path):
    schedule = optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    model = Sequential([layers.Input(shape=(5,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizers.SGD(schedule, momentum=0.9), losses.CategoricalCrossentropy(label_smoothing=0.1),
                  metrics=["accuracy", metrics.TopKCategoricalAccuracy(k=2)])
    model.save(tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5")
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert loaded.loss.get_config() == model.loss.get_config()
    accuracy, top_k = loaded._metric_specs
    assert accuracy == "accuracy" and top_k.get_config() == {"k": 2, "name": "top_k_categorical_accuracy"}
    assert load_model(tmp_path / "m.h5", compile=False).optimizer is None


def test_json_rebuilds_the_architecture_with_fresh_weights():
    model = small_model()
    rebuilt = model_from_json(model.to_json())
    assert json.loads(rebuilt.to_json()) == json.loads(model.to_json())
    assert [w.shape for w in rebuilt.get_weights()] == [w.shape for w in model.get_weights()]
    assert rebuilt.optimizer is None


def test_a_custom_layer_class_needs_custom_objects(tmp_path):
    class Scaled(layers.Dense):
        pass

    model = Sequential([layers.Input(shape=(5,)), Scaled(2)])
    model.save(tmp_path / "c.h5")
    with pytest.raises(ValueError, match=r"unknown layer 'Scaled'. Valid names: .*Dense"):
        load_model(tmp_path / "c.h5")
    loaded = load_model(tmp_path / "c.h5", custom_objects={"Scaled": Scaled})
    assert type(loaded.layers[0]) is Scaled and weights_equal(loaded.get_weights(), model.get_weights())


def test_a_pickle_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "ran"
    (tmp_path / "evil.h5").write_bytes(pickle.dumps(_Payload(marker)))
    for load in (load_model, small_model().load_weights):
        with pytest.raises(ValueError, match=r"evil\.h5'? is not a readable HDF5 file"):
            load(tmp_path / "evil.h5")
    assert not marker.exists()


def test_pickled_bytes_inside_an_hdf5_file_are_refused_without_running_them(tmp_path):
    marker = tmp_path / "ran"
    with h5py.File(tmp_path / "evil.h5", "w") as file:
        file.attrs["trainwell_format"] = "model"
        file["model_config"] = np.void(pickle.dumps(_Payload(marker)))
    with pytest.raises(ValueError, match="model_config must be JSON text"):
        load_model(tmp_path / "evil.h5")
    assert not marker.exists()


@pytest.mark.parametrize("edit, message", [
    (lambda c: c["config"]["layers"][1].update(class_name="EvilLayer"), r"unknown layer 'EvilLayer'\. Valid names"),
    (lambda c: c["config"]["layers"][1]["config"].update(activation="lambda x: __import__('os').system('id')"),
     r"model config\['config'\]\['layers'\]\[1\]\['config'\]\['activation'\] holds code"),
    (lambda c: c["config"]["layers"].append({"class_name": "Lambda", "config": {"function": ["4wEAAAAA", None, None],
                                                                                "function_type": "lambda"}}),
     r"holds code \(a Lambda with code\)"),
    (lambda c: c["config"]["layers"][1]["config"].update(kernel_initializer={"class_name": "__lambda__",
                                                                             "config": {"code": "YWJj"}}),
     r"holds code \(a __lambda__ with code\)"),
])
def test_hostile_configs_are_refused_naming_the_file_and_running_nothing(tmp_path, edit, message):
    small_model().save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r+") as file:
        config = json.loads(file["model_config"][()])
        edit(config)
        del file["model_config"]
        file["model_config"] = json.dumps(config)
    with pytest.raises(ValueError, match=message) as error:
        load_model(tmp_path / "m.h5")
    assert "m.h5" in str(error.value)
    with pytest.raises(ValueError, match=message):
        model_from_json(json.dumps(config))


def test_truncated_foreign_and_weights_only_files_are_clear_errors(tmp_path):
    model = trained_model()
    model.save(tmp_path / "m.h5")
    data = (tmp_path / "m.h5").read_bytes()
    (tmp_path / "cut.h5").write_bytes(data[: len(data) // 2])
    with h5py.File(tmp_path / "keras2.h5", "w") as file:
        file.create_group("model_weights")
    model.save_weights(tmp_path / "w.weights.h5")
    cases = [("cut.h5", "is not a readable HDF5 file"),
             ("keras2.h5", "not a trainwell model file.*tf.keras 2 HDF5 model"),
             ("w.weights.h5", "holds weights only.*call model.load_weights")]
    for name, message in cases:
        with pytest.raises(ValueError, match=message):
            load_model(tmp_path / name)
    target = small_model()
    before = target.get_weights()
    foreign = r"no weights for layer 'dense.*' \(Dense\), expected at /layers/dense/vars; the file holds: model_weights"
    for name, message in (("cut.h5", "not a readable HDF5 file"), ("keras2.h5", foreign)):
        with pytest.raises(ValueError, match=message):
            target.load_weights(tmp_path / name)
        assert weights_equal(target.get_weights(), before)


class _Payload:
    """Unpickling this creates `marker`: a file that exists only if some loader ran the pickle."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_save_model_and_models_namespace_agree(tmp_path):
    model = small_model()
    models.save_model(model, tmp_path / "m.h5")
    assert weights_equal(models.load_model(tmp_path / "m.h5").get_weights(), model.get_weights())
