"""Files written all or nothing; HDF5 files and JSON configs read without trusting them; nested state in HDF5."""
import contextlib
import glob
import json
import os
import re
import secrets

import h5py
import numpy

from trainwell._errors import bad_type, bad_value, describe

TEMPORARY_SUFFIX = ".tmp"
_ARRAY = "__array__"  # marks, in a state tree's JSON, an array stored as a dataset beside it
# Strings that are Python source: a config holding one is refused, never evaluated (DESIGN §5).
_CODE = re.compile(r"^\s*(lambda\b[^:]*:|def\s+\w+\s*\(|import\s+\w|from\s+[\w.]+\s+import\s|__import__|"
                   r"exec\s*\(|eval\s*\()")
_CODE_CLASSES = ("Lambda", "__lambda__")  # Keras's Lambda layer and its serialized lambdas (bytecode)


@contextlib.contextmanager
def atomic_write(path, mode="wb", encoding=None, newline=None):
    """Write `path` so that it appears whole or not at all (DESIGN §5).

    The block writes a temporary file beside the target (same directory, so the rename cannot cross
    file systems), named `.<name>.<random>.tmp`. When the block ends normally the file is flushed,
    fsynced and renamed over `path`, and the directory is fsynced so that the rename itself survives
    a power cut; when it raises, the temporary file is deleted and a previous `path` is untouched.
    A process killed inside the block leaves the previous file intact and a hidden `.tmp` file
    (`remove_stale_temporaries` clears those). The new file gets the usual permissions (0o666 less
    the umask), as `open` would give it.

    mode='wb' (default) or 'w' (text, with `encoding`/`newline`) yields an open file object;
    mode=None yields the temporary path, for libraries that open files themselves (h5py):

        with atomic_write("model.h5", mode=None) as temporary:
            with h5py.File(temporary, "w") as file: ...
    """
    path = os.fspath(path)
    directory, name = os.path.split(os.path.abspath(path))
    descriptor, temporary = _create_temporary(directory, name, path)
    try:
        if mode is None:
            os.close(descriptor)
            yield temporary
        else:
            with os.fdopen(descriptor, mode, encoding=encoding, newline=newline) as handle:
                yield handle
        _fsync_file(temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_directory(directory)


def remove_stale_temporaries(path):
    """Delete the temporary files that `atomic_write(path)` calls killed mid-write left; returns how many."""
    directory, name = os.path.split(os.path.abspath(os.fspath(path)))
    pattern = os.path.join(glob.escape(directory), f".{glob.escape(name)}.*{TEMPORARY_SUFFIX}")
    removed = 0
    for stale in glob.glob(pattern):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(stale)
            removed += 1
    return removed


def check_writable_directory(where, argument, directory):
    """Raise FileNotFoundError / PermissionError now, naming `directory`, unless a file can be created in it.

    The check creates and deletes a probe file rather than reading permission bits, which say
    nothing for root or for read-only file systems.
    """
    directory = os.path.abspath(os.fspath(directory or "."))
    if not os.path.isdir(directory):
        message = bad_value(where, argument, "a path in an existing directory", directory,
                            "The directory does not exist; create it first.")
        raise FileNotFoundError(str(message))
    try:
        descriptor, probe = _create_temporary(directory, "write-probe", directory)
    except OSError as error:
        message = bad_value(where, argument, "a path in a directory this process can write to", directory,
                            f"Creating a file there failed: {error.strerror or error}.")
        raise PermissionError(str(message)) from None
    os.close(descriptor)
    os.unlink(probe)


@contextlib.contextmanager
def hdf5_reader(path, where):
    """Open `path` read-only as HDF5; inside the block, low-level failures become ValueErrors naming the file.

    A file that is missing is a FileNotFoundError; one that is not HDF5 (a pickle, a zip, text) or is
    truncated or corrupted is a ValueError saying so. h5py never unpickles anything, so opening a
    hostile file runs no code; what the caller reads must still be checked (`read_json`, `read_array`).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(str(bad_value(where, "filepath", "an existing file", path)))
    try:
        file = h5py.File(path, "r")
    except OSError as error:
        raise ValueError(f"{where}: {path!r} is not a readable HDF5 file (is it truncated, corrupted, or in "
                         f"another format such as a pickle?); h5py said: {error}.") from None
    try:
        with file:
            yield file
    except (OSError, RuntimeError, KeyError) as error:
        raise ValueError(f"{where}: {path!r} is truncated or corrupted; reading it failed with "
                         f"{type(error).__name__}: {error}.") from None


def child(group, name, kind, where, path):
    """`group[name]` when it is a Group or Dataset (`kind`) stored in this file; a clear error otherwise.

    Soft and external links are refused, so a file cannot make the reader open another file.
    """
    link = group.get(name, getlink=True)
    if link is None:
        present = ", ".join(sorted(group)) or "nothing"
        raise ValueError(f"{where}: {path!r} lacks {group.name.rstrip('/')}/{name} (it holds: {present}).")
    target = group[name] if isinstance(link, h5py.HardLink) else None
    if not isinstance(target, kind):
        raise ValueError(f"{where}: {path!r}: {group.name.rstrip('/')}/{name} is not a stored "
                         f"{kind.__name__.lower()}.")
    return target


def check_filepath(where, filepath, suffixes, overwrite=True):
    """`filepath` as a str after checking its type and suffix (and, with overwrite=False, that it is new)."""
    if not isinstance(filepath, (str, os.PathLike)):
        raise bad_type(where, "filepath", "a path (str or os.PathLike)", filepath)
    path = os.fspath(filepath)
    if not path.endswith(suffixes):
        fix = ("trainwell reads and writes HDF5, not Keras 3's zipped .keras archives; use a .h5 path."
               if path.endswith(".keras") else None)
        raise bad_value(where, "filepath", f"a path ending in {' or '.join(suffixes)}", path, fix)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(str(bad_value(where, "filepath", "a new file (overwrite=False)", path,
                                            "Pass overwrite=True to replace it.")))
    return path


def find_group(group, group_path):
    """The group at `group_path` under `group`, reached through hard links only, or None."""
    for part in filter(None, group_path.split("/")):
        if not isinstance(group.get(part, getlink=True), h5py.HardLink) or not isinstance(group[part], h5py.Group):
            return None
        group = group[part]
    return group


def json_value(where, what, config):
    """`config` as plain JSON values (NumPy numbers become Python ones); anything else is a TypeError."""
    def plain(value):
        if isinstance(value, numpy.generic):
            return value.item()
        raise TypeError(f"it holds {describe(value)} of type {type(value).__name__}, which has no JSON form "
                        "(a plain function? use a registered name or class)")
    try:
        return json.loads(json.dumps(config, default=plain))
    except (TypeError, ValueError) as error:
        raise TypeError(f"{where}: {what} cannot be written: {error}.") from None


def refuse_code(value, where, location):
    """Raise if a config read from a file holds code anywhere: a Lambda layer, a serialized lambda
    (Keras stores their bytecode), or a string of Python source such as 'lambda x: ...'."""
    if isinstance(value, dict):
        if value.get("class_name") in _CODE_CLASSES or "function_type" in value:
            what = f"a {value.get('class_name') or 'function'} with code"
            raise ValueError(f"{where}: {location} holds code ({what}); trainwell never runs code from a file. "
                             "Rebuild that part in Python, or register it and pass it in custom_objects.")
        for key, item in value.items():
            refuse_code(item, where, f"{location}[{key!r}]")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            refuse_code(item, where, f"{location}[{index}]")
    elif isinstance(value, str) and _CODE.match(value):
        raise ValueError(f"{where}: {location} holds code ({describe(value)}); trainwell never runs code from a "
                         "file. Use a registered name, or pass the object in custom_objects.")


def write_json(group, name, value):
    """Store `value` as JSON text in a string dataset (attributes are limited to 64 KB)."""
    group.create_dataset(name, data=json.dumps(value), dtype=h5py.string_dtype("utf-8"))


def read_json(group, name, where, path):
    """The JSON value stored by `write_json`; anything else (bytes of a pickle, numbers) is refused."""
    dataset = child(group, name, h5py.Dataset, where, path)
    if h5py.check_string_dtype(dataset.dtype) is None or dataset.shape != ():
        raise ValueError(f"{where}: {path!r}: {dataset.name} must be JSON text; it holds "
                         f"{dataset.dtype} data of shape {dataset.shape}.")
    text = dataset[()]
    try:
        return json.loads(text.decode("utf-8") if isinstance(text, bytes) else text)
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"{where}: {path!r}: {dataset.name} is not JSON text ({error}).") from None


def read_array(dataset, where, path, shape=None):
    """The numbers in `dataset` as a NumPy array (a 0-d one gives a NumPy scalar), after checking them.

    Only boolean, integer and float data are read, and when `shape` is given it is checked before
    anything is loaded, so a hostile file cannot make the reader allocate an arbitrary amount.
    """
    if not isinstance(dataset, h5py.Dataset) or dataset.dtype.kind not in "biuf":
        dtype = getattr(dataset, "dtype", type(dataset).__name__)
        raise ValueError(f"{where}: {path!r}: {getattr(dataset, 'name', dataset)} must hold numbers; "
                         f"it holds {dtype}.")
    if shape is not None and tuple(dataset.shape) != tuple(shape):
        raise ValueError(f"{where}: {path!r}: {dataset.name} has shape {tuple(dataset.shape)}; "
                         f"the model needs {tuple(shape)}.")
    return dataset[()]


def write_tree(group, tree):
    """Store a nested state in `group`: dicts (string keys), lists, Python scalars and None as JSON
    (so a Python float or a 128-bit generator state comes back exactly, type included), and NumPy
    arrays and scalars as datasets `arrays/<n>` with their dtype."""
    arrays = []

    def encode(value):
        if isinstance(value, dict):
            for key in value:
                if not isinstance(key, str) or key == _ARRAY:
                    raise bad_type("write_tree", "key", f"a string other than {_ARRAY!r}", key)
            return {key: encode(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [encode(item) for item in value]
        if isinstance(value, (numpy.ndarray, numpy.generic)):  # first: numpy.float64 is also a float
            arrays.append(value)
            return {_ARRAY: len(arrays) - 1}
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise bad_type("write_tree", "value", "dicts, lists, numbers, strings, None or arrays", value)

    write_json(group, "tree", encode(tree))
    stored = group.create_group("arrays")
    for index, array in enumerate(arrays):
        stored.create_dataset(str(index), data=array)


def read_tree(group, where, path):
    """The nested state `write_tree` stored, with every array checked to hold numbers."""
    stored = child(group, "arrays", h5py.Group, where, path)

    def decode(value):
        if isinstance(value, dict):
            if set(value) == {_ARRAY}:
                return read_array(child(stored, str(value[_ARRAY]), h5py.Dataset, where, path), where, path)
            return {key: decode(item) for key, item in value.items()}
        if isinstance(value, list):
            return [decode(item) for item in value]
        return value

    return decode(read_json(group, "tree", where, path))


def _create_temporary(directory, name, target):
    """(descriptor, path) of a new file `.<name>.<random>.tmp` in `directory`, created with 0o666 & ~umask."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temporary = os.path.join(directory, f".{name}.{secrets.token_hex(4)}{TEMPORARY_SUFFIX}")
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue
        except FileNotFoundError:
            message = bad_value("atomic_write", "path", "a path in an existing directory", target,
                                f"The directory {directory!r} does not exist; create it first.")
            raise FileNotFoundError(str(message)) from None
    raise FileExistsError(f"atomic_write: could not find a free temporary name in {directory!r}.")


def _fsync_file(path):
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync_directory(directory):
    # Makes the rename durable; directories cannot be opened this way on Windows.
    if os.name == "posix":
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
