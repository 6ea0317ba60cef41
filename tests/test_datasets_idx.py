"""The IDX parser on files the test writes byte by byte, and mnist/fashion_mnist served from 127.0.0.1."""
import gzip
import hashlib
import struct

import numpy as np
import pytest
from test_datasets_download import dead_url, serving

from trainwell.datasets import DownloadError, fashion_mnist, mnist
from trainwell.datasets.idx import IDX_FILES, parse_idx, read_idx


def idx_bytes(type_code, shape, values_big_endian):
    """An IDX file written from the format's definition: 0, 0, type, ndim, big-endian sizes, data."""
    return bytes([0, 0, type_code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + values_big_endian


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def test_reads_uint8_images_from_gzip_and_plain_files(tmp_path):
    pixels = bytes(range(2 * 3 * 4))  # 0..23 in C order
    data = idx_bytes(0x08, (2, 3, 4), pixels)
    (tmp_path / "a.gz").write_bytes(gzip.compress(data))
    (tmp_path / "a.idx").write_bytes(data)
    for name in ("a.gz", "a.idx"):
        images = read_idx(tmp_path / name)
        assert images.shape == (2, 3, 4) and images.dtype == np.uint8
        assert images[1, 2, 3] == 23 and images[0, 1, 0] == 4  # index (0, 1, 0) is byte 1 * 4
        images[0, 0, 0] = 99  # a writable copy, unlike np.frombuffer
    assert read_idx(str(tmp_path / "a.idx"))[0, 0, 0] == 0


def test_big_endian_int16_and_float64_come_back_in_native_order(tmp_path):
    # int16 -2 is ff fe big-endian, 300 is 01 2c; float64 1.5 is 3f f8 00 .. 00.
    shorts = parse_idx(idx_bytes(0x0B, (2,), b"\xff\xfe\x01\x2c"))
    assert shorts.tolist() == [-2, 300] and shorts.dtype.isnative
    doubles = parse_idx(idx_bytes(0x0E, (1, 1), b"\x3f\xf8" + b"\x00" * 6))
    assert doubles.tolist() == [[1.5]] and doubles.dtype == np.float64 and doubles.dtype.isnative


@pytest.mark.parametrize("data, message", [
    (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "magic number must be two zero bytes"),
    (b"\x00\x00\x0a\x01\x00\x00\x00\x01\x05",
     "type byte must be one of 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E; got type byte='0x0A'"),
    (b"\x00\x00\x08\x00", "dimension count must be at least 1"),
    (b"\x00\x00\x08\x02\x00\x00\x00\x01", "header must be 12 bytes for 2 dimensions.*truncated"),
    (idx_bytes(0x08, (2, 2), b"\x01\x02\x03"),
     r"data length must be 4 bytes for shape \(2, 2\) of uint8; got data length='3 bytes'. The file is truncated"),
    (idx_bytes(0x08, (1,), b"\x01\x02"), "data length must be 1 bytes"),
    (b"", "magic number"),
])
def test_malformed_idx_data_is_refused_with_a_clear_error(data, message):
    with pytest.raises(ValueError, match=message):
        parse_idx(data, source="x.idx")


def test_truncated_gzip_file_is_a_clear_error_naming_the_file(tmp_path):
    whole = gzip.compress(idx_bytes(0x08, (100,), bytes(100)))
    (tmp_path / "cut.gz").write_bytes(whole[:-12])
    with pytest.raises(ValueError, match=r"read_idx: path must be a complete gzip file; got path='.*cut.gz'"):
        read_idx(tmp_path / "cut.gz")
    with pytest.raises(TypeError, match="path must be a file path"):
        read_idx(42)


def mnist_like_files(folder, train=5, test=3):
    """Writes the four IDX gzip files of a tiny MNIST-shaped dataset; returns (arrays, sha256 per file)."""
    rng = np.random.default_rng(0)
    arrays = {"train-images-idx3-ubyte.gz": rng.integers(0, 256, (train, 28, 28), dtype=np.uint8),
              "train-labels-idx1-ubyte.gz": rng.integers(0, 10, train, dtype=np.uint8),
              "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (test, 28, 28), dtype=np.uint8),
              "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, test, dtype=np.uint8)}
    hashes = {}
    folder.mkdir(exist_ok=True)
    for name, array in arrays.items():
        data = gzip.compress(idx_bytes(0x08, array.shape, array.tobytes()))
        (folder / name).write_bytes(data)
        hashes[name] = hashlib.sha256(data).hexdigest()
    return arrays, hashes


@pytest.mark.parametrize("module, subdir", [(mnist, "mnist"), (fashion_mnist, "fashion_mnist")])
def test_load_data_downloads_four_idx_files_and_returns_keras_shapes(tmp_path, monkeypatch, module, subdir):
    arrays, hashes = mnist_like_files(tmp_path / "www")
    monkeypatch.setattr(module, "SHA256", hashes)
    with serving(tmp_path / "www") as url:
        monkeypatch.setattr(module, "MIRRORS", (url,))
        (x_train, y_train), (x_test, y_test) = module.load_data(cache_dir=tmp_path / "cache")
    assert x_train.shape == (5, 28, 28) and y_train.shape == (5,) and x_test.shape == (3, 28, 28)
    assert x_train.dtype == y_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train, arrays["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(y_test, arrays["t10k-labels-idx1-ubyte.gz"])
    assert sorted(p.name for p in (tmp_path / "cache" / subdir).iterdir()) == sorted(IDX_FILES)
    assert module.cache_path(tmp_path / "cache") == tmp_path / "cache" / subdir
    # the server is gone now: the cached, verified copies are enough
    (_, again), _ = module.load_data(cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(again, arrays["train-labels-idx1-ubyte.gz"])


def test_mnist_offline_error_names_the_url_and_the_cache_path(tmp_path, monkeypatch):
    url = dead_url(tmp_path)
    monkeypatch.setattr(mnist, "MIRRORS", (url,))
    with pytest.raises(DownloadError) as caught:
        mnist.load_data(cache_dir=tmp_path / "cache")
    message = str(caught.value)
    assert message.startswith("mnist.load_data: could not download train-images-idx3-ubyte.gz")
    assert url + "train-images-idx3-ubyte.gz" in message
    assert str(tmp_path / "cache" / "mnist" / "train-images-idx3-ubyte.gz") in message


def test_labels_that_do_not_match_the_images_are_refused(tmp_path, monkeypatch):
    _, hashes = mnist_like_files(tmp_path / "www")
    data = gzip.compress(idx_bytes(0x08, (4,), bytes(4)))  # 4 labels for 5 training images
    (tmp_path / "www" / "train-labels-idx1-ubyte.gz").write_bytes(data)
    hashes["train-labels-idx1-ubyte.gz"] = hashlib.sha256(data).hexdigest()
    monkeypatch.setattr(mnist, "SHA256", hashes)
    with serving(tmp_path / "www") as url:
        monkeypatch.setattr(mnist, "MIRRORS", (url,))
        with pytest.raises(ValueError, match="labels must be a 1-D uint8 IDX array of 5 labels"):
            mnist.load_data(cache_dir=tmp_path / "cache")


def test_published_hashes_cover_exactly_the_four_files():
    for module in (mnist, fashion_mnist):
        assert sorted(module.SHA256) == sorted(IDX_FILES)
        assert all(len(value) == 64 and int(value, 16) >= 0 for value in module.SHA256.values())
        assert all(mirror.endswith("/") for mirror in module.MIRRORS)
