"""Saving and loading: whole models (.h5), weights (.weights.h5, Keras's layout) and the architecture as JSON."""
import inspect
import json

import h5py

from trainwell import io, losses, metrics, optimizers
from trainwell._errors import bad_type, bad_value
from trainwell._registry import serialize
from trainwell.layers.base import REGISTRY as LAYERS
from trainwell.models.model_state import FORMAT, read_model_state, write_model_state
from trainwell.models.training import Model

MODEL_SUFFIXES = (".h5", ".hdf5")
WEIGHTS_SUFFIX = ".weights.h5"


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Write `model` to one HDF5 file (`.h5` or `.hdf5`): architecture, weights, compile config, optimizer.

    Layout: the weights as `save_weights` writes them (Keras's .weights.h5 layout, keras_semantics
    §9.9) plus, at the root, `model_config` (the `to_json` text), `compile_config` (optimizer, loss
    and metrics as JSON) and the attribute trainwell_format='model'; each Dropout/RReLU layer's
    group carries its generator state, so a loaded model continues training exactly as the saved
    one would. Keras 3's zipped `.keras` format is not written. The write is atomic (DESIGN §5).
    """
    where = f"{model.name}.save"
    path = io.check_filepath(where, filepath, MODEL_SUFFIXES, overwrite)
    model_config = io.json_value(where, "the model config", serialize(model))
    compiled = getattr(model, "optimizer", None) is not None and getattr(model, "loss", None) is not None
    compile_config = io.json_value(where, "the compile config", _compile_config(model)) if compiled else None
    with io.atomic_write(path, mode=None) as temporary, h5py.File(temporary, "w") as file:
        file.attrs[FORMAT] = "model"
        io.write_json(file, "model_config", model_config)
        if compile_config is not None:
            io.write_json(file, "compile_config", compile_config)
        write_model_state(file, model, optimizer=include_optimizer, generators=True)


def load_model(filepath, custom_objects=None, compile=True):
    """The model `save_model` wrote: rebuilt from registered classes (and `custom_objects`, a dict
    name -> class or function), weights assigned, compiled with the saved optimizer state if `compile`.

    Nothing in the file is executed: configs are JSON, classes come from the registries only, and a
    config holding code (a lambda's source or bytecode) is refused. A truncated, corrupted or foreign
    file is a ValueError naming the file and what is wrong. Defaults as Keras: custom_objects=None,
    compile=True. PyTorch's `torch.load` unpickles, which can run code unless weights_only=True.
    """
    where = "load_model"
    path = io.check_filepath(where, filepath, MODEL_SUFFIXES)
    with io.hdf5_reader(path, where) as file:
        _check_format(file, path, where)
        model = _build(io.read_json(file, "model_config", where, path), custom_objects, f"{where}: {path!r}")
        if compile and "compile_config" in file:
            _compile(model, io.read_json(file, "compile_config", where, path), custom_objects, f"{where}: {path!r}")
        read_model_state(file, model, where, path, generators=True).apply()
    return model


def save_weights(model, filepath, overwrite=True):
    """Write the weights (and the optimizer's step and slots, once compiled) to a `.weights.h5` file.

    Keras's layout: `layers/<snake_case class>[_n]/vars/<i>` per layer in the layer's own weight
    order (trainable, then non-trainable), nested models under their own `layers/`, and
    `optimizer/vars/<i>`: iteration, learning_rate (when a float), then each variable's slots.
    """
    where = f"{model.name}.save_weights"
    path = io.check_filepath(where, filepath, (WEIGHTS_SUFFIX,), overwrite)
    if not model.built:
        raise ValueError(f"{where}: the model has no weights until it is built; call it on data or give an Input.")
    with io.atomic_write(path, mode=None) as temporary, h5py.File(temporary, "w") as file:
        file.attrs[FORMAT] = "weights"
        write_model_state(file, model, optimizer=True, generators=False)


def load_weights(model, filepath, skip_mismatch=False):
    """Assign the weights in `filepath` (`.weights.h5`, or a model `.h5`/`.hdf5`) to `model`.

    Every layer's weight count and shapes are checked before anything is assigned, so a file that
    does not fit leaves the model unchanged (or, with skip_mismatch=True, layers that do not fit are
    skipped). The optimizer's state is restored too when the model's optimizer is built and of the
    class that wrote the file.
    """
    where = f"{model.name}.load_weights"
    path = io.check_filepath(where, filepath, (WEIGHTS_SUFFIX,) + MODEL_SUFFIXES)
    if not model.built:
        raise ValueError(f"{where}: build the model (call it on data or give an Input) before loading weights.")
    with io.hdf5_reader(path, where) as file:
        read_model_state(file, model, where, path, skip_mismatch=skip_mismatch).apply()


def model_to_json(model, **kwargs):
    """The architecture as JSON text `{"class_name": ..., "config": ...}`; `kwargs` go to `json.dumps`."""
    return json.dumps(io.json_value(f"{model.name}.to_json", "the model config", serialize(model)), **kwargs)


def model_from_json(json_string, custom_objects=None):
    """A new model (fresh weights) from `to_json`'s text; only registered classes and `custom_objects`."""
    where = "model_from_json"
    if not isinstance(json_string, (str, bytes)):
        raise bad_type(where, "json_string", "JSON text from model.to_json()", json_string)
    try:
        config = json.loads(json_string)
    except ValueError as error:
        raise bad_value(where, "json_string", "JSON text from model.to_json()", json_string, f"({error})") from None
    return _build(config, custom_objects, where)


def _check_format(file, path, where):
    found = file.attrs.get(FORMAT)
    found = found.decode() if isinstance(found, bytes) else found
    if found == "model":
        return
    if found in ("weights", "backup"):
        fix = "build the model in code and call model.load_weights(filepath)"
        raise ValueError(f"{where}: {path!r} holds weights only (trainwell_format={found!r}), no architecture; {fix}.")
    keras2 = " It looks like a tf.keras 2 HDF5 model, which trainwell does not read." if "model_weights" in file else ""
    raise ValueError(f"{where}: {path!r} is not a trainwell model file: it has no trainwell_format='model' "
                     f"attribute (it holds: {', '.join(sorted(file)) or 'nothing'}).{keras2}")


def _build(config, custom_objects, where):
    """A model from {'class_name', 'config'}: registered classes (and custom_objects) only, no code."""
    io.refuse_code(config, where, "the model config")
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise bad_type(where, "the model config", "a dict with 'class_name' and 'config'", config)
    cls = LAYERS.lookup(config["class_name"], where, custom_objects)
    if not (isinstance(cls, type) and issubclass(cls, Model)):
        raise ValueError(f"{where}: the config describes a {config['class_name']}, which is a layer, not a model.")
    inner = dict(config.get("config") or {})
    try:
        if "custom_objects" in inspect.signature(cls.from_config).parameters:
            return cls.from_config(inner, custom_objects=custom_objects)
        return cls.from_config(inner)
    except (ValueError, TypeError) as error:
        raise type(error)(f"{where}: the model config cannot be rebuilt: {error}") from None


def _compile_config(model):
    specs = []
    for spec in getattr(model, "_metric_specs", ()):
        if isinstance(spec, metrics.Metric):
            specs.append(metrics.serialize(spec))
        elif isinstance(spec, str):
            specs.append(spec)
        else:  # a function: stored by name, found again through custom_objects
            specs.append({"function": getattr(spec, "__name__", type(spec).__name__)})
    return {"optimizer": optimizers.serialize(model.optimizer), "loss": losses.serialize(model.loss),
            "metrics": specs}


def _compile(model, config, custom_objects, where):
    io.refuse_code(config, where, "the compile config")
    custom_objects = custom_objects or {}
    try:
        optimizer = optimizers.deserialize(config["optimizer"], custom_objects)
        loss = losses.deserialize(config["loss"], custom_objects)
        specs = []
        for spec in config.get("metrics") or []:
            if isinstance(spec, dict) and "function" in spec:
                if spec["function"] not in custom_objects:
                    raise ValueError(f"the metric function {spec['function']!r} needs custom_objects="
                                     f"{{{spec['function']!r}: {spec['function']}}}")
                spec = custom_objects[spec["function"]]
            elif isinstance(spec, dict):
                spec = metrics.deserialize(spec, custom_objects)
            else:
                spec = custom_objects.get(spec, spec)
            specs.append(spec)
    except (ValueError, TypeError, KeyError) as error:
        raise ValueError(f"{where}: the compile config cannot be rebuilt: {error}") from None
    model.compile(optimizer=optimizer, loss=loss, metrics=specs)
