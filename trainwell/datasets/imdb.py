"""IMDB movie-review sentiment (Maas et al., 2011) as word-index sequences, from a pickle-free .npz."""
import os
import pathlib

import numpy

from trainwell._errors import bad_type, bad_value, check_number
from trainwell.datasets._download import cache_root
from trainwell.io import atomic_write
from trainwell.datasets._npz import read_npz

FORMAT = "trainwell-sequences-v1"
FILENAME = "imdb_sequences.npz"
_KEYS = ("format", "x_train_tokens", "x_train_lengths", "y_train", "x_test_tokens", "x_test_lengths", "y_test")


def load_data(path=None, num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3, cache_dir=None):
    """IMDB: 25,000 training and 25,000 test reviews as lists of word indices, labels 1 (positive) or 0.

    Returns ((x_train, y_train), (x_test, y_test)): x a 1-D object array whose items are Python lists of
    ints (as tf.keras returned them; Keras 3 returns plain lists), y int64 arrays. In the stored file
    word w has rank w (1 = most frequent). Following Keras's index convention, in execution order:
    both sets are shuffled with NumPy's legacy `RandomState(seed)` (training first, then test); each
    word becomes w + index_from and, unless start_char is None, start_char is put in front (0 is left
    for padding, 1 marks the start, 2 the out-of-vocabulary word, real words start at 3); with maxlen,
    only sequences with len < maxlen (start mark included) are kept; then every index i outside
    skip_top <= i < num_words becomes oov_char, or is dropped when oov_char is None. Like Keras, that
    last rule also applies to start_char (skip_top=2 turns it into oov_char).

    Defaults (Keras's): num_words=None (keep all words), skip_top=0, maxlen=None, seed=113,
    start_char=1, oov_char=2, index_from=3. Differs from Keras: with num_words=None Keras's code maps
    the single highest index to oov_char; here all words are kept, as Keras's documentation says.

    The file: trainwell never unpickles (DESIGN §5), and Keras's mirror `imdb.npz` stores the reviews
    as pickled object arrays, so it cannot be read safely. trainwell reads FORMAT instead: an .npz of
    plain arrays `format` (the string FORMAT), `x_train_tokens` (int32, all reviews concatenated),
    `x_train_lengths` (int64, words per review), `y_train` (int64) and the same three for test.
    Convert once, on a copy of Keras's file you trust: open it yourself with NumPy's loader with
    pickles allowed (that step unpickles, outside trainwell), take `x_train`, `y_train`, `x_test`,
    `y_test`, and call `trainwell.datasets.imdb.save_data(imdb.default_path(), (x_train, y_train),
    (x_test, y_test))`; from then on `load_data` reads the plain file.

    path: the FORMAT file; None reads `<cache>/imdb/imdb_sequences.npz` (cache: `cache_dir`, else
    $TRAINWELL_DATA_DIR, else ~/.trainwell/datasets). Example: `(x, y), _ = imdb.load_data(num_words=10000)`.
    """
    where = "imdb.load_data"
    check_number(where, "num_words", num_words, low=1, integer=True, allow_none=True)
    check_number(where, "skip_top", skip_top, low=0, integer=True)
    check_number(where, "maxlen", maxlen, low=1, integer=True, allow_none=True)
    check_number(where, "seed", seed, low=0, high=2**32 - 1, integer=True)
    check_number(where, "start_char", start_char, low=0, integer=True, allow_none=True)
    check_number(where, "oov_char", oov_char, low=0, integer=True, allow_none=True)
    check_number(where, "index_from", index_from, low=0, integer=True)
    path = default_path(cache_dir) if path is None else path
    if not isinstance(path, (str, os.PathLike)):
        raise bad_type(where, "path", "a file path (str or os.PathLike) or None", path)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{where}: no IMDB file at {os.fspath(path)}. Keras's mirror imdb.npz holds pickled object arrays, "
            f"which trainwell never loads; convert a copy you trust once with imdb.save_data (see "
            f"help(trainwell.datasets.imdb.load_data)), or pass path= to a file in the format {FORMAT!r}.")
    stored = read_sequences(path, where)
    rng = numpy.random.RandomState(seed)  # Keras's generator and call order, so the shuffles match
    sets = []
    for split in ("train", "test"):
        tokens, lengths, labels = stored[split]
        order = numpy.arange(len(lengths))
        rng.shuffle(order)
        words, lengths = _reorder(tokens, lengths, order)
        words, labels = words + index_from, labels[order]
        if start_char is not None:
            starts = numpy.concatenate([[0], numpy.cumsum(lengths)[:-1]]).astype(numpy.int64)
            words, lengths = numpy.insert(words, starts, start_char), lengths + 1
        if maxlen is not None:
            keep = lengths < maxlen  # strictly shorter, as Keras
            words, lengths, labels = words[numpy.repeat(keep, lengths)], lengths[keep], labels[keep]
            if not len(lengths):
                raise bad_value(where, "maxlen", f"larger than the shortest {split} sequence", maxlen,
                                fix="No sequence was kept.")
        kept = (words >= skip_top) & (words < (num_words if num_words is not None else numpy.inf))
        if oov_char is not None:
            words = numpy.where(kept, words, oov_char)
        else:
            owner = numpy.repeat(numpy.arange(len(lengths)), lengths)
            words, lengths = words[kept], numpy.bincount(owner[kept], minlength=len(lengths))
        sets.append((_as_lists(words, lengths), labels))
    return tuple(sets)


def save_data(path, train, test):
    """Write ((sequences, labels) for train, then test) to `path` in FORMAT, atomically.

    sequences: an iterable of sequences of non-negative word indices (lists, arrays or an object
    array); labels: one integer per sequence. The inverse of the file reading in `load_data`.
    """
    where = "imdb.save_data"
    if not isinstance(path, (str, os.PathLike)):
        raise bad_type(where, "path", "a file path (str or os.PathLike)", path)
    arrays = {"format": numpy.array(FORMAT)}
    for split, pair in (("train", train), ("test", test)):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise bad_type(where, split, "a pair (sequences, labels)", pair)
        sequences = [numpy.asarray(sequence) for sequence in pair[0]]
        labels = numpy.asarray(pair[1])
        if labels.ndim != 1 or len(labels) != len(sequences) or labels.dtype.kind not in "iub":
            raise bad_value(where, f"{split} labels", f"one integer per sequence ({len(sequences)} in all)",
                            labels)
        for row, sequence in enumerate(sequences):
            if sequence.ndim != 1 or (sequence.size and (sequence.dtype.kind not in "iu" or sequence.min() < 0
                                                         or sequence.max() > 2**31 - 1)):
                raise bad_value(where, f"{split} sequence {row}", "a 1-D sequence of word indices in [0, 2**31)",
                                sequence)
        tokens = numpy.concatenate(sequences) if sequences else numpy.zeros(0)
        arrays[f"x_{split}_tokens"] = tokens.astype(numpy.int32)
        arrays[f"x_{split}_lengths"] = numpy.array([len(sequence) for sequence in sequences], dtype=numpy.int64)
        arrays[f"y_{split}"] = labels.astype(numpy.int64)
    pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as out:
        numpy.savez_compressed(out, **arrays)


def read_sequences(path, where="imdb.read_sequences"):
    """{'train': (tokens, lengths, labels), 'test': (...)} from a FORMAT file, checked for consistency."""
    arrays = read_npz(path, _KEYS, where)
    if arrays["format"].shape != () or str(arrays["format"]) != FORMAT:
        raise bad_value(where, "path", f"a file in the format {FORMAT!r}", os.fspath(path),
                        fix=f"Its format entry is {arrays['format']!r}.")
    stored = {}
    for split in ("train", "test"):
        tokens, lengths, labels = (arrays[f"x_{split}_tokens"], arrays[f"x_{split}_lengths"], arrays[f"y_{split}"])
        consistent = (tokens.ndim == lengths.ndim == labels.ndim == 1 and len(lengths) == len(labels)
                      and all(array.dtype.kind in "iu" for array in (tokens, lengths, labels))
                      and (not len(lengths) or lengths.min() >= 0) and int(lengths.sum()) == len(tokens)
                      and (not len(tokens) or tokens.min() >= 0))
        if not consistent:
            raise bad_value(where, "path", f"{split} arrays whose lengths add up to the token count, "
                            "one label per sequence, integers >= 0", os.fspath(path))
        stored[split] = (tokens.astype(numpy.int64), lengths.astype(numpy.int64), labels.astype(numpy.int64))
    return stored


def default_path(cache_dir=None):
    """Where `load_data` looks when path=None: `<cache>/imdb/imdb_sequences.npz`."""
    return cache_root(cache_dir) / "imdb" / FILENAME


def _reorder(tokens, lengths, order):
    """The concatenated tokens and the lengths of the sequences taken in `order`."""
    offsets = numpy.concatenate([[0], numpy.cumsum(lengths)]).astype(numpy.int64)
    pieces = [tokens[offsets[index]:offsets[index + 1]] for index in order]
    words = numpy.concatenate(pieces) if pieces else numpy.zeros(0, dtype=numpy.int64)
    return words, lengths[order]


def _as_lists(words, lengths):
    sequences = numpy.empty(len(lengths), dtype=object)
    if not len(lengths):
        return sequences
    for index, piece in enumerate(numpy.split(words, numpy.cumsum(lengths)[:-1])):
        sequences[index] = piece.tolist()
    return sequences
