"""Batches: steps per epoch, total steps, and reading rows of arrays larger than memory (memmap, HDF5)."""
import math
import mmap
import numbers
import os

import numpy

from trainwell._errors import bad_type, bad_value, check_number

# Sequential scans (NaN checks, scaler fits, Normalization.adapt) read this many bytes at a time.
CHUNK_BYTES = 4 * 2**20
# Array-likes read lazily (only the rows asked for); anything else is converted with numpy.asarray.
LAZY_ARRAY_MODULES = ("h5py", "zarr")


def steps_per_epoch(n_samples, batch_size):
    """The batches in one epoch: ceil(n_samples / batch_size).

    The last, partial batch is kept and counts as one step, as in Keras's `fit` (PyTorch's
    DataLoader does the same unless drop_last=True). Example: steps_per_epoch(60000, 32) -> 1875;
    steps_per_epoch(1000, 32) -> 32 (31 full batches and one of 8).
    """
    check_number("steps_per_epoch", "n_samples", n_samples, low=0, integer=True)
    check_number("steps_per_epoch", "batch_size", batch_size, low=1, integer=True)
    return -(-n_samples // batch_size)


def total_steps(n_samples, batch_size, epochs=1):
    """The optimizer updates of a whole run: ceil(n_samples / batch_size) · epochs.

    The lecture writes n·e/b; that is exact when b divides n. Otherwise every epoch ends with one
    partial batch that is still an update, so the count is rounded up per epoch, not once overall:
    total_steps(1000, 32, 10) = 32 · 10 = 320, where n·e/b = 312.5. Learning-rate schedules count
    these steps.
    """
    check_number("total_steps", "epochs", epochs, low=0, integer=True)
    return steps_per_epoch(n_samples, batch_size) * epochs


def explain_steps(n_samples, batch_size, epochs=1):
    """One sentence stating how many steps a run makes and how that relates to n·e/b."""
    steps = steps_per_epoch(n_samples, batch_size)
    check_number("explain_steps", "epochs", epochs, low=0, integer=True)
    full, rest = divmod(n_samples, batch_size)
    batches = f"{full} full batches" + (f" and one partial batch of {rest}" if rest else "")
    return (f"{n_samples} samples in batches of {batch_size}: {steps} steps per epoch ({batches}) "
            f"x {epochs} epochs = {steps * epochs} steps (n*e/b = {n_samples * epochs / batch_size:g}).")


class RowSource:
    """The samples (rows, axis 0) of an array, read a batch at a time without loading the array.

    Works on in-memory NumPy arrays, NumPy memmaps and array-likes with `shape`, `dtype` and
    NumPy-style indexing such as h5py Datasets. `source[index]` takes a slice or an array of row
    numbers in any order (duplicates allowed) and returns a NumPy array of those rows in the
    source's dtype; `len`, `shape`, `dtype` and `ndim` describe the rows; `subset(start, stop)` is
    a view of a row range; `chunks()` scans the rows in order, 4 MB at a time.

    How rows are read, and why:
    - a memmap of a file (modes 'r', 'r+', 'w+', and numpy.load's mmap_mode) is read with
      positional reads (os.preadv, one per run of consecutive rows) from its file, never through
      the mapping. Touching a mapping maps the page cache into this
      process: on Linux with large page-cache folios a single random row mapped ~300 MB, so a
      shuffled epoch made the process's resident size grow to the file's size. Positional reads
      leave the file in the kernel's page cache, which is not the process's memory and which the
      kernel frees under pressure. Shared mappings and the file see the same page cache, so
      unflushed writes through the memmap are read correctly. Copy-on-write memmaps (mode 'c'),
      non-contiguous views and systems without preadv are read through the mapping instead.
    - h5py (and other lazy arrays) accept only increasing, distinct indices: each batch's rows
      are sorted and made unique, read, then put back in the requested order.

    Example:
        x = RowSource(numpy.load("x.npy", mmap_mode="r"))
        batch = x[numpy.array([9, 2, 5])]  # rows 9, 2 and 5, in that order
    """

    def __init__(self, array, start=0, stop=None):
        shape = getattr(array, "shape", None)
        if shape is None or len(shape) == 0 or not hasattr(array, "dtype") or not hasattr(array, "__getitem__"):
            raise bad_type("RowSource", "array", "an array with a batch axis (NumPy, memmap or h5py Dataset)",
                           array)
        self.array = array
        self.start = int(start)
        self.stop = int(shape[0] if stop is None else stop)
        self.shape = (self.stop - self.start,) + tuple(shape[1:])
        self.dtype = numpy.dtype(array.dtype)
        self.row_bytes = self.dtype.itemsize * math.prod(self.shape[1:])
        self._file = _file_layout(array)
        self._lazy = not isinstance(array, numpy.ndarray)

    @property
    def ndim(self):
        return len(self.shape)

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, index):
        n = len(self)
        if isinstance(index, slice):
            start, stop, step = index.indices(n)
            if step == 1:
                return self._read_range(self.start + start, self.start + max(stop, start))
            index = numpy.arange(start, stop, step)
        if isinstance(index, numbers.Integral):
            if not -n <= index < n:
                raise IndexError(f"RowSource: row {index} is out of range for {n} rows.")
            return self._read_range(self.start + index % n, self.start + index % n + 1)[0]
        rows = numpy.asarray(index)
        if rows.dtype == bool:
            rows = numpy.flatnonzero(rows)
        if rows.dtype.kind not in "iu" or rows.ndim != 1:
            raise bad_type("RowSource", "index", "a slice or a 1-D array of row numbers", index)
        if rows.size and (rows.min() < -n or rows.max() >= n):
            raise IndexError(f"RowSource: row numbers must lie in [{-n}, {n}); got {rows.min()}..{rows.max()}.")
        return self._read_rows(rows % max(n, 1) + self.start)

    def subset(self, start, stop):
        """The rows start..stop-1 of this source, as a RowSource (nothing is read)."""
        if not 0 <= start <= stop <= len(self):
            raise bad_value("RowSource.subset", "start, stop", f"0 <= start <= stop <= {len(self)}", (start, stop))
        return RowSource(self.array, self.start + start, self.start + stop)

    def chunks(self, chunk_bytes=CHUNK_BYTES):
        """Yield the rows in order as NumPy arrays of about `chunk_bytes` each."""
        rows = max(1, chunk_bytes // max(self.row_bytes, 1))
        for first in range(0, len(self), rows):
            yield self[first:first + rows]

    def __array__(self, dtype=None, copy=None):
        rows = self[:]
        return rows if dtype is None else rows.astype(dtype, copy=False)

    def __repr__(self):
        kind = "file" if self._file else "lazy" if self._lazy else "memory"
        return f"<RowSource rows {self.start}..{self.stop} of shape {self.shape} {self.dtype} ({kind})>"

    # ----- readers ------------------------------------------------------------------------------
    def _read_range(self, first, stop):
        if self._file is None:
            return numpy.asarray(self.array[first:stop])
        out = numpy.empty((stop - first,) + self.shape[1:], dtype=self.dtype)
        self._pread(out, [(first, 0, stop - first)])
        return out

    def _read_rows(self, rows):
        if self._file is not None:  # each run of consecutive rows: one read, straight into its place
            out = numpy.empty((len(rows),) + self.shape[1:], dtype=self.dtype)
            starts = numpy.concatenate(([0], numpy.flatnonzero(numpy.diff(rows) != 1) + 1))
            counts = numpy.diff(numpy.append(starts, len(rows)))
            self._pread(out, zip(rows[starts].tolist(), starts.tolist(), counts.tolist()))
            return out
        if not self._lazy:
            return self.array[rows]
        unique, inverse = numpy.unique(rows, return_inverse=True)  # sorted, distinct: what h5py needs
        if unique[-1] - unique[0] + 1 == len(unique):
            out = numpy.asarray(self.array[int(unique[0]):int(unique[-1]) + 1])  # one run: a plain slice
        else:
            out = numpy.asarray(self.array[unique])
        return out if len(unique) == len(rows) and not numpy.any(numpy.diff(rows) < 0) else out[inverse]

    def _pread(self, out, runs):
        """Fill `out` from the file; `runs` holds (row in the file, row in out, rows) for one read each."""
        path, offset = self._file
        view, size = memoryview(out).cast("B"), self.row_bytes
        descriptor = os.open(path, os.O_RDONLY)
        try:
            for file_row, out_row, count in runs:
                position, start, stop = offset + file_row * size, out_row * size, (out_row + count) * size
                while start < stop:  # one call reads at most ~2 GB on Linux: loop until full
                    done = os.preadv(descriptor, [view[start:stop]], position)
                    if done == 0:
                        raise OSError(f"RowSource: {path} ended after {position} bytes; the memmap's shape and "
                                      "offset describe a longer file.")
                    start, position = start + done, position + done
        finally:
            os.close(descriptor)


def is_streamed(array):
    """True for a NumPy memmap (or a view of one) and for h5py/zarr arrays: data to read batch by batch."""
    if isinstance(array, (list, tuple)) or not hasattr(array, "shape") or not hasattr(array, "__getitem__"):
        return False
    if not isinstance(array, numpy.ndarray):
        return type(array).__module__.split(".")[0] in LAZY_ARRAY_MODULES
    return _memmap_root(array) is not None


def _memmap_root(array):
    """The memmap that owns the mapping under `array` (following views), or None."""
    root = array
    while isinstance(root, numpy.ndarray) and isinstance(root.base, numpy.ndarray):
        root = root.base
    if isinstance(root, numpy.memmap) and isinstance(root.base, mmap.mmap):
        return root
    return None


def _file_layout(array):
    """(file path, byte offset of row 0) when `array`'s rows can be read from its file, else None."""
    if not isinstance(array, numpy.ndarray) or not hasattr(os, "preadv") or not array.flags.c_contiguous:
        return None
    root = _memmap_root(array)
    if root is None or root.mode == "c" or not root.filename:
        return None
    address = array.__array_interface__["data"][0]
    root_address = root.__array_interface__["data"][0]
    return root.filename, root.offset + (address - root_address)
