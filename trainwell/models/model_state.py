"""The weights and optimizer state of a model in an HDF5 group, in Keras's .weights.h5 layout: written,
then read and checked in full before anything is assigned. Shared by `saving` (model and weights
files) and the BackupAndRestore callback (backups with the layers' random generator states)."""
import copy
import json

import h5py
import numpy

from trainwell import io
from trainwell.layers.base import _snake_case

FORMAT = "trainwell_format"  # root attribute of every file: 'model', 'weights' or 'backup'

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
    return optimizer if optimizer is not None and optimizer.built else None


def _optimizer_values(optimizer):
    """(name, value) in Keras's order: iteration, learning_rate (float rates only), each variable's
    slots in turn, then scalar slots (Nadam's u_product)."""
    state = optimizer.get_state()
    values = [("iteration", numpy.int64(state["iterations"]))]
    rate = optimizer.get_config()["learning_rate"]
    if isinstance(rate, float):
        values.append(("learning_rate", numpy.float64(rate)))  # float64: the rate is used as a Python float
    arrays = [name for name, slot in state["slots"].items() if hasattr(slot, "shape")]
    for variable, start, stop in optimizer.layout():
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
            pieces = [values[f"{v.path}/{name}"].reshape(-1) for v, _, _ in optimizer.layout()]
            slots[name] = numpy.concatenate(pieces) if pieces else numpy.zeros(0, dtype=slot.dtype)
        else:
            slots[name] = type(slot)(values[name])  # a Python float stays one: it keeps float32 math float32
    return {"iterations": int(iterations), "slots": slots}, None if rate is None else float(rate)
