"""The IDX file format of MNIST and Fashion-MNIST, plain or gzip-compressed, read into NumPy arrays."""
import gzip
import math
import os
import struct
import zlib

import numpy

from trainwell._errors import bad_type, bad_value
from trainwell.datasets._download import fetch

# IDX type byte -> big-endian NumPy dtype (the format stores every multi-byte number big-endian).
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

# The four files of an MNIST-style dataset, in the order load_data returns them.
IDX_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def read_idx(path):
    """Read an IDX file (gzip-compressed when it starts with the gzip magic bytes 1f 8b) into an array.

    Layout: two zero bytes; a type byte (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
    0x0E float64); a byte giving the number of dimensions d; d big-endian uint32 sizes; then the
    values, big-endian, in C order. Returns a writable array of that shape in native byte order.
    A truncated gzip stream, a bad header, or a data length that disagrees with the header is a
    ValueError naming the file. Example: `images = read_idx("train-images-idx3-ubyte.gz")`.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise bad_type("read_idx", "path", "a file path (str or os.PathLike)", path)
    with open(path, "rb") as handle:
        data = handle.read()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError, zlib.error) as error:
            raise bad_value("read_idx", "path", "a complete gzip file", os.fspath(path),
                            fix=f"Decompressing failed ({error}); delete the file and download it again.") from None
    return parse_idx(data, source=os.fspath(path))


def parse_idx(data, source="data"):
    """Parse the bytes of an uncompressed IDX file (layout in `read_idx`); `source` names it in errors."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise bad_type("parse_idx", "data", "bytes", data)
    data = bytes(data)
    where = f"read_idx({source})"
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise bad_value(where, "magic number", "two zero bytes, a type byte and a dimension count",
                        data[:4], fix="This is not an IDX file (or it is compressed with something other than gzip).")
    code, ndim = data[2], data[3]
    if code not in IDX_TYPES:
        raise bad_value(where, "type byte", "one of " + ", ".join(f"0x{key:02X}" for key in sorted(IDX_TYPES)),
                        f"0x{code:02X}")
    if ndim == 0:
        raise bad_value(where, "dimension count", "at least 1", ndim)
    header_bytes = 4 + 4 * ndim
    if len(data) < header_bytes:
        raise bad_value(where, "header", f"{header_bytes} bytes for {ndim} dimensions", f"{len(data)} bytes",
                        fix="The file is truncated.")
    shape = struct.unpack(f">{ndim}I", data[4:header_bytes])
    dtype = numpy.dtype(IDX_TYPES[code])
    count = math.prod(shape)
    needed = count * dtype.itemsize
    if len(data) - header_bytes != needed:
        raise bad_value(where, "data length", f"{needed} bytes for shape {shape} of {dtype.name}",
                        f"{len(data) - header_bytes} bytes",
                        fix="The file is truncated." if len(data) - header_bytes < needed else None)
    values = numpy.frombuffer(data, dtype=dtype, count=count, offset=header_bytes).reshape(shape)
    return values.astype(dtype.newbyteorder("="))  # native order, and a writable copy


def load_idx_dataset(name, where, mirrors, hashes, cache_dir):
    """((x_train, y_train), (x_test, y_test)) from the four IDX files of an MNIST-style dataset.

    Each file is fetched into `<cache>/<name>/` from the first of `mirrors` (base URLs ending in '/')
    that works, and checked against `hashes[filename]` (sha256). Images must be 3-D uint8 and labels
    1-D uint8, with as many labels as images.
    """
    arrays = []
    for filename in IDX_FILES:
        path = fetch(filename, [mirror + filename for mirror in mirrors], hashes[filename], name,
                     cache_dir=cache_dir, where=where)
        arrays.append((read_idx(path), path))
    for (images, images_path), (labels, labels_path) in (arrays[0:2], arrays[2:4]):
        if images.ndim != 3 or images.dtype != numpy.uint8:
            raise bad_value(where, "images", "a 3-D uint8 IDX array", images, fix=f"Check {images_path}.")
        if labels.ndim != 1 or len(labels) != len(images) or labels.dtype != numpy.uint8:
            raise bad_value(where, "labels", f"a 1-D uint8 IDX array of {len(images)} labels", labels,
                            fix=f"Check {labels_path}.")
    (x_train, _), (y_train, _), (x_test, _), (y_test, _) = arrays
    return (x_train, y_train), (x_test, y_test)
