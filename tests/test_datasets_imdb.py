"""imdb.load_data on pickle-free files the test writes: Keras's index convention, num_words, maxlen, refusals."""
import numpy as np
import pytest

from trainwell.datasets import imdb

UNPICKLED = []


class Tripwire:
    """Records it was rebuilt: proves whether anything unpickled the file holding it."""

    def __setstate__(self, state):
        UNPICKLED.append(state)


def write_sequences(path, train, test, format_name=imdb.FORMAT):
    """The documented format, written with NumPy directly (independent of imdb.save_data)."""
    arrays = {"format": np.array(format_name)}
    for split, (sequences, labels) in (("train", train), ("test", test)):
        arrays[f"x_{split}_tokens"] = np.array([w for s in sequences for w in s], dtype=np.int32)
        arrays[f"x_{split}_lengths"] = np.array([len(s) for s in sequences], dtype=np.int64)
        arrays[f"y_{split}"] = np.array(labels, dtype=np.int64)
    np.savez(path, **arrays)
    return path


def single(tmp_path, review):
    """A file with one training review (so the shuffle cannot move it) and one test review."""
    return write_sequences(tmp_path / "one.npz", ([review], [1]), ([[1]], [0]))


def test_default_convention_shuffles_like_keras_and_shifts_by_index_from(tmp_path):
    train = ([[1, 2, 3], [4], [5, 6], [7, 8, 9, 10]], [1, 0, 1, 0])
    test = ([[2], [3, 3], [1]], [0, 1, 1])
    path = write_sequences(tmp_path / "imdb.npz", train, test)
    (x_train, y_train), (x_test, y_test) = imdb.load_data(path=path)
    rng = np.random.RandomState(113)  # Keras: one generator, training set shuffled first
    order_train, order_test = np.arange(4), np.arange(3)
    rng.shuffle(order_train)
    rng.shuffle(order_test)
    assert list(x_train) == [[1] + [w + 3 for w in train[0][i]] for i in order_train]
    assert list(x_test) == [[1] + [w + 3 for w in test[0][i]] for i in order_test]
    assert y_train.tolist() == [train[1][i] for i in order_train] and y_test.dtype == np.int64
    assert x_train.dtype == object and type(x_train[0]) is list and type(x_train[0][0]) is int


def test_num_words_and_skip_top_turn_indices_outside_the_range_into_oov_char(tmp_path):
    path = single(tmp_path, [1, 2, 3, 4, 5, 6, 7])
    (x_train, _), _ = imdb.load_data(path=path, num_words=8, skip_top=5)
    # shifted: [1(start), 4, 5, 6, 7, 8, 9, 10]; kept: 5 <= i < 8 -> 5, 6, 7; the rest -> 2 (start too)
    assert x_train[0] == [2, 2, 5, 6, 7, 2, 2, 2]
    (x_train, _), _ = imdb.load_data(path=path, num_words=8, skip_top=5, oov_char=None)
    assert x_train[0] == [5, 6, 7]
    (x_train, _), _ = imdb.load_data(path=path, num_words=6)
    assert x_train[0] == [1, 4, 5, 2, 2, 2, 2, 2]


def test_num_words_none_keeps_every_word_including_the_highest(tmp_path):
    (x_train, _), _ = imdb.load_data(path=single(tmp_path, [9, 1]))
    assert x_train[0] == [1, 12, 4]


def test_start_char_none_and_index_from_zero_give_the_stored_ranks(tmp_path):
    (x_train, _), _ = imdb.load_data(path=single(tmp_path, [9, 1]), start_char=None, index_from=0)
    assert x_train[0] == [9, 1]


def test_maxlen_keeps_only_sequences_strictly_shorter_counting_the_start_mark(tmp_path):
    train = ([[5, 5], [5, 5, 5]], [0, 1])  # 3 and 4 tokens with the start mark
    path = write_sequences(tmp_path / "m.npz", train, ([[5]], [1]))
    (x_train, y_train), _ = imdb.load_data(path=path, maxlen=4)
    assert list(x_train) == [[1, 8, 8]] and y_train.tolist() == [0]
    with pytest.raises(ValueError, match="maxlen must be larger than the shortest train sequence"):
        imdb.load_data(path=path, maxlen=3)


def test_save_data_writes_the_documented_pickle_free_format(tmp_path):
    train = (np.array([[3, 1, 4], [1, 5]], dtype=object), np.array([1, 0]))
    test = ([[9, 2, 6, 5], []], [0, 1])
    path = tmp_path / "sub" / "converted.npz"
    imdb.save_data(path, train, test)
    with np.load(path, allow_pickle=False) as archive:
        assert str(archive["format"]) == "trainwell-sequences-v1"
        assert archive["x_train_tokens"].tolist() == [3, 1, 4, 1, 5] and archive["x_train_tokens"].dtype == np.int32
        assert archive["x_train_lengths"].tolist() == [3, 2] and archive["x_test_lengths"].tolist() == [4, 0]
        assert archive["y_test"].tolist() == [0, 1]
    assert [p.name for p in path.parent.iterdir()] == ["converted.npz"]  # written atomically, nothing left over


def test_keras_pickled_file_is_refused_without_unpickling_anything(tmp_path):
    keras_style = tmp_path / "imdb.npz"
    tripwire = Tripwire()
    tripwire.armed = True  # a non-empty state, so unpickling would call __setstate__
    reviews = np.empty(2, dtype=object)
    reviews[0], reviews[1] = [1, tripwire], [2]
    np.savez(keras_style, x_train=reviews, y_train=np.array([1, 0]), x_test=reviews, y_test=np.array([0, 1]))
    with pytest.raises(ValueError, match="never unpickles"):
        imdb.load_data(path=keras_style)
    assert UNPICKLED == []


def test_missing_file_names_the_path_and_how_to_convert_keras_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TRAINWELL_DATA_DIR", str(tmp_path))
    expected = tmp_path / "imdb" / "imdb_sequences.npz"
    assert imdb.default_path() == expected
    with pytest.raises(FileNotFoundError, match=f"no IMDB file at {expected}.*pickled.*save_data"):
        imdb.load_data()
    expected.parent.mkdir()
    write_sequences(expected, ([[4]], [1]), ([[5]], [0]))
    (x_train, _), _ = imdb.load_data()
    assert x_train[0] == [1, 7]


def test_inconsistent_or_foreign_files_are_refused(tmp_path):
    path = write_sequences(tmp_path / "f.npz", ([[1, 2]], [1]), ([[3]], [0]), format_name="something-else")
    with pytest.raises(ValueError, match="format 'trainwell-sequences-v1'"):
        imdb.load_data(path=path)
    np.savez(tmp_path / "bad.npz", format=np.array(imdb.FORMAT), x_train_tokens=np.array([1, 2], dtype=np.int32),
             x_train_lengths=np.array([3]), y_train=np.array([1]), x_test_tokens=np.array([1], dtype=np.int32),
             x_test_lengths=np.array([1]), y_test=np.array([0]))
    with pytest.raises(ValueError, match="train arrays whose lengths add up to the token count"):
        imdb.load_data(path=tmp_path / "bad.npz")
    np.savez(tmp_path / "partial.npz", format=np.array(imdb.FORMAT))
    with pytest.raises(ValueError, match=r"It lacks \['x_test_lengths'"):
        imdb.load_data(path=tmp_path / "partial.npz")


@pytest.mark.parametrize("argument, value, error, message", [
    ("num_words", 0, ValueError, "num_words must be an integer >= 1; got num_words=0"),
    ("skip_top", -1, ValueError, "skip_top must be an integer >= 0"),
    ("maxlen", 0, ValueError, "maxlen must be an integer >= 1"),
    ("seed", "x", TypeError, "seed must be an integer"),
    ("index_from", 1.5, TypeError, "index_from must be an integer"),
    ("oov_char", -2, ValueError, "oov_char must be an integer >= 0"),
    ("path", 3, TypeError, "path must be a file path"),
])
def test_bad_arguments_are_refused_with_clear_errors(tmp_path, argument, value, error, message):
    with pytest.raises(error, match=message):
        imdb.load_data(**{"path": single(tmp_path, [1]), argument: value})


def test_save_data_refuses_bad_sequences_and_labels(tmp_path):
    with pytest.raises(ValueError, match="train sequence 1 must be a 1-D sequence of word indices"):
        imdb.save_data(tmp_path / "x.npz", ([[1], [-4]], [0, 1]), ([[1]], [0]))
    with pytest.raises(ValueError, match="test labels must be one integer per sequence \\(1 in all\\)"):
        imdb.save_data(tmp_path / "x.npz", ([[1]], [0]), ([[1]], [0, 1]))
    with pytest.raises(TypeError, match="train must be a pair"):
        imdb.save_data(tmp_path / "x.npz", [[1]], ([[1]], [0]))
    assert not (tmp_path / "x.npz").exists()
