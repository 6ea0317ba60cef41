"""Saving and loading: whole models (.h5), weights (.weights.h5, Keras's layout) and the architecture as JSON."""
import copy
import inspect
import json

import h5py
import numpy

from trainwell import io, losses, metrics, optimizers
from trainwell._errors import bad_type, bad_value
from trainwell._registry import serialize
from trainwell.layers.base import REGISTRY as LAYERS
from trainwell.layers.base import _snake_case
from trainwell.models.training import Model

MODEL_SUFFIXES = (".h5", ".hdf5")
WEIGHTS_SUFFIX = ".weights.h5"
FORMAT = "trainwell_format"  # root attribute: 'model', 'weights' or 'backup'


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


# ----- the weights layout, shared with BackupAndRestore ------------------------------------------
def write_model_state(file, model, optimizer=True, generators=False):
    """Weights in Keras's layout, the optimizer group when built, and (if asked) layer generator states."""
    for group_path, layer in _layer_groups(model):
        group = file.require_group(group_path) if group_path else file
        group.attrs["name"] = layer.name
        stored = group.create_group("vars")
        for index, variable in enumerate(_own_weights(layer)):
            stored.create_dataset(str(index), data=variable.numpy())
        state = generator_state(getattr(layer, "generator", None)) if generators else None
        if state is not None:
            group.attrs["generator_state"] = json.dumps(state)
    if optimizer and _built_optimizer(model) is not None:
        group = file.create_group("optimizer")
        group.attrs["name"], group.attrs["class_name"] = model.optimizer.name, type(model.optimizer).__name__
        stored = group.create_group("vars")
        for index, (name, value) in enumerate(_optimizer_values(model.optimizer)):
            stored.create_dataset(str(index), data=value).attrs["name"] = name


def read_model_state(file, model, where, path, generators=False, skip_mismatch=False, strict_optimizer=False):
    """Read and check everything `write_model_state` wrote for `model`; returns a Restore to `apply()`.

    Nothing is assigned here, so a caller can check further parts of the file before applying.
    """
    restore = Restore(model)
    for group_path, layer in _layer_groups(model):
        variables = _own_weights(layer)
        group = io.find_group(file, group_path)
        if group is None or "vars" not in group:
            if variables and not skip_mismatch:
                raise ValueError(f"{where}: {path!r} has no weights for layer {layer.name!r} "
                                 f"({type(layer).__name__}), expected at /{group_path}/vars; the file holds: "
                                 f"{', '.join(sorted(file)) or 'nothing'}.")
            continue
        _check_no_extra_layers(group, layer, where, path, skip_mismatch)
        arrays = _read_layer(io.child(group, "vars", h5py.Group, where, path), layer, variables, where, path,
                             skip_mismatch)
        restore.assignments.extend(zip(variables, arrays or ()))
        stored_state = group.attrs.get("generator_state")
        if generators and stored_state is not None and generator_state(getattr(layer, "generator", None)):
            state = check_generator_state(layer.generator, stored_state, f"layer {layer.name!r}", where, path)
            restore.generators.append((layer.generator, state))
    optimizer = _built_optimizer(model)
    group = io.find_group(file, "optimizer")
    same_class = group is not None and group.attrs.get("class_name") == type(optimizer).__name__
    if optimizer is not None and (same_class or strict_optimizer):
        if group is None or not same_class:
            raise ValueError(f"{where}: {path!r} holds no state for the model's {type(optimizer).__name__} "
                             "optimizer.")
        restore.optimizer = _read_optimizer(io.child(group, "vars", h5py.Group, where, path), optimizer, where, path)
    return restore


class Restore:
    """What a read found, checked and ready: `apply()` assigns it all (and only then touches the model)."""

    def __init__(self, model):
        self.model, self.assignments, self.generators, self.optimizer = model, [], [], None

    def apply(self):
        for variable, array in self.assignments:
            variable.assign(array)
        for generator, state in self.generators:
            generator.bit_generator.state = state
        if self.optimizer is not None:
            state, rate = self.optimizer
            self.model.optimizer.set_state(state)
            if rate is not None:
                self.model.optimizer.learning_rate = rate


def generator_state(generator):
    """A NumPy generator's bit-generator state (a JSON-able dict), or None when it has none (CuPy)."""
    return getattr(getattr(generator, "bit_generator", None), "state", None)


def check_generator_state(generator, state, what, where, path):
    """`state` (a dict, or its JSON text) after proving it fits `generator`, on a copy."""
    try:
        state = json.loads(state) if isinstance(state, (str, bytes)) else state
        copy.deepcopy(generator).bit_generator.state = state
    except (TypeError, ValueError, KeyError) as error:
        raise ValueError(f"{where}: {path!r}: the random generator state of {what} is not valid ({error}).") from None
    return state


# ----- helpers ----------------------------------------------------------------------------------
def _layer_groups(model):
    """(group path, layer) for the model ('' is the file's root) and each layer inside it, named as
    Keras names .weights.h5 groups: layers/<snake_case class name>, then _1, _2... per class in order."""
    groups, seen = [("", model)], {id(model)}

    def walk(container, prefix):
        counts = {}
        for layer in container._sublayers():
            if id(layer) not in seen:
                seen.add(id(layer))
                base = _snake_case(type(layer).__name__)
                number, counts[base] = counts.get(base, 0), counts.get(base, 0) + 1
                groups.append((f"{prefix}layers/{base}" + (f"_{number}" if number else ""), layer))
                walk(layer, groups[-1][0] + "/")

    walk(model, "")
    return groups


def _own_weights(layer):
    inner = {id(v) for sublayer in layer._sublayers() for v in sublayer.weights}
    return [v for v in layer.weights if id(v) not in inner]


def _read_layer(stored, layer, variables, where, path, skip_mismatch):
    """The arrays for `variables` from a `vars` group after checking count and shapes (None: skipped)."""
    if set(stored) != {str(i) for i in range(len(variables))}:
        if skip_mismatch:
            return None
        raise ValueError(f"{where}: {path!r}: layer {layer.name!r} ({type(layer).__name__}) has {len(variables)} "
                         f"weights; the file holds {len(stored)} at {stored.name}.")
    arrays = []
    for index, variable in enumerate(variables):
        dataset = io.child(stored, str(index), h5py.Dataset, where, path)
        if tuple(dataset.shape) != variable.shape and skip_mismatch:
            return None
        if tuple(dataset.shape) != variable.shape:
            raise ValueError(f"{where}: {path!r}: weight {variable.path!r} has shape {variable.shape}; the file "
                             f"holds shape {tuple(dataset.shape)} at {dataset.name}.")
        arrays.append(io.read_array(dataset, where, path))
    return arrays


def _check_no_extra_layers(group, layer, where, path, skip_mismatch):
    stored = io.find_group(group, "layers")
    expected = {group_path.split("/")[1] for group_path, _ in _layer_groups(layer)[1:]}  # 'layers/<key>/...'
    extra = sorted(set(stored or ()) - expected)
    if extra and not skip_mismatch:
        raise ValueError(f"{where}: {path!r} holds weights for layers the model {layer.name!r} does not have: "
                         f"{', '.join(extra)} (under {stored.name}).")


def _built_optimizer(model):
    optimizer = getattr(model, "optimizer", None)
    return optimizer if optimizer is not None and getattr(optimizer, "_variables", None) is not None else None


def _optimizer_values(optimizer):
    """(name, value) in Keras's order: iteration, learning_rate (float rates only), each variable's
    slots in turn, then scalar slots (Nadam's u_product)."""
    state = optimizer.get_state()
    values = [("iteration", numpy.int64(state["iterations"]))]
    rate = optimizer.get_config()["learning_rate"]
    if isinstance(rate, float):
        values.append(("learning_rate", numpy.float64(rate)))  # float64: the rate is used as a Python float
    arrays = [name for name, slot in state["slots"].items() if hasattr(slot, "shape")]
    # `_variables` and `_segments` are the flat layout the optimizer was built for (variable order).
    for variable, (start, stop) in zip(optimizer._variables, optimizer._segments):
        values.extend((f"{variable.path}/{name}", state["slots"][name][start:stop].reshape(variable.shape))
                      for name in arrays)
    values.extend((name, numpy.asarray(slot)) for name, slot in state["slots"].items() if name not in arrays)
    return values


def _read_optimizer(stored, optimizer, where, path):
    """(state for `set_state`, learning rate or None), checked against the live optimizer's layout."""
    expected = _optimizer_values(optimizer)
    if set(stored) != {str(i) for i in range(len(expected))}:
        raise ValueError(f"{where}: {path!r}: the {type(optimizer).__name__} optimizer has {len(expected)} "
                         f"variables ({', '.join(name for name, _ in expected)}); the file holds {len(stored)}.")
    values = {name: io.read_array(io.child(stored, str(i), h5py.Dataset, where, path), where, path,
                                  numpy.shape(value)) for i, (name, value) in enumerate(expected)}
    iterations = values.pop("iteration")
    if iterations.dtype.kind not in "iu" or iterations < 0:
        raise ValueError(f"{where}: {path!r}: the optimizer's iteration must be an integer >= 0; got {iterations}.")
    rate = values.pop("learning_rate", None)
    if rate is not None and not (rate.dtype.kind == "f" and numpy.isfinite(rate) and rate >= 0):
        raise ValueError(f"{where}: {path!r}: the optimizer's learning_rate must be a finite float >= 0; got {rate}.")
    live = optimizer.get_state()["slots"]
    slots = {}
    for name, slot in live.items():
        if hasattr(slot, "shape"):
            pieces = [values[f"{v.path}/{name}"].reshape(-1) for v in optimizer._variables]
            slots[name] = numpy.concatenate(pieces) if pieces else numpy.zeros(0, dtype=slot.dtype)
        else:
            slots[name] = type(slot)(values[name])  # a Python float stays one: it keeps float32 math float32
    return {"iterations": int(iterations), "slots": slots}, None if rate is None else float(rate)


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
