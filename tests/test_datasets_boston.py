"""boston_housing.load_data on numeric .npz files the test writes, locally and through a 127.0.0.1 server."""
import hashlib

import numpy as np
import pytest
from test_datasets_download import serving

from trainwell.datasets import DownloadError, boston_housing


def write_table(path, rows, features=13):
    x = np.arange(rows * features, dtype=np.float64).reshape(rows, features)
    y = np.arange(rows, dtype=np.float64) * 0.5 + 10
    np.savez(path, x=x, y=y)
    return x, y


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def test_split_follows_keras_shuffle_and_cut(tmp_path):
    x, y = write_table(tmp_path / "b.npz", rows=10)
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data(path=tmp_path / "b.npz")
    order = np.arange(10)
    np.random.RandomState(113).shuffle(order)
    # cut = int(10 * (1 - 0.2)) = 8 training rows
    np.testing.assert_array_equal(x_train, x[order[:8]])
    np.testing.assert_array_equal(y_test, y[order[8:]])
    assert x_train.dtype == np.float64 and x_test.shape == (2, 13)


def test_506_samples_split_404_and_102_like_keras(tmp_path):
    write_table(tmp_path / "b.npz", rows=506)
    (x_train, _), (x_test, _) = boston_housing.load_data(path=tmp_path / "b.npz")
    assert len(x_train) == 404 and len(x_test) == 102  # int(506 * 0.8) = int(404.8) = 404
    (x_train, _), (x_test, _) = boston_housing.load_data(path=tmp_path / "b.npz", test_split=0)
    assert len(x_train) == 506 and len(x_test) == 0


def test_download_is_checked_cached_and_read_without_pickle(tmp_path, monkeypatch):
    (tmp_path / "www").mkdir()
    x, _ = write_table(tmp_path / "www" / "boston_housing.npz", rows=20)
    digest = hashlib.sha256((tmp_path / "www" / "boston_housing.npz").read_bytes()).hexdigest()
    monkeypatch.setattr(boston_housing, "SHA256", digest)
    with serving(tmp_path / "www") as url:
        monkeypatch.setattr(boston_housing, "URLS", (url + "boston_housing.npz",))
        (x_train, _), (x_test, _) = boston_housing.load_data(cache_dir=tmp_path / "cache", seed=0)
    assert (tmp_path / "cache" / "boston_housing" / "boston_housing.npz").is_file()
    np.testing.assert_array_equal(np.sort(np.concatenate([x_train, x_test])[:, 0]), x[:, 0])
    monkeypatch.setattr(boston_housing, "SHA256", "f" * 64)  # the cached copy no longer matches
    with pytest.raises(DownloadError, match="boston_housing.load_data: could not download boston_housing.npz"):
        boston_housing.load_data(cache_dir=tmp_path / "cache")


def test_object_arrays_and_malformed_files_are_refused(tmp_path):
    objects = np.empty(2, dtype=object)
    objects[0], objects[1] = [1.0], [2.0]
    np.savez(tmp_path / "obj.npz", x=objects, y=np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="non-object.*never unpickles"):
        boston_housing.load_data(path=tmp_path / "obj.npz")
    np.savez(tmp_path / "noy.npz", x=np.zeros((3, 13)))
    with pytest.raises(ValueError, match=r"It lacks \['y'\]"):
        boston_housing.load_data(path=tmp_path / "noy.npz")
    np.savez(tmp_path / "short.npz", x=np.zeros((3, 13)), y=np.zeros(2))
    with pytest.raises(ValueError, match=r"It holds x \(3, 13\) float64 and y \(2,\) float64"):
        boston_housing.load_data(path=tmp_path / "short.npz")
    (tmp_path / "text.npz").write_text("not an archive")
    with pytest.raises(ValueError, match="boston_housing.load_data: path must be"):
        boston_housing.load_data(path=tmp_path / "text.npz")


@pytest.mark.parametrize("arguments, error, message", [
    ({"test_split": 1}, ValueError, r"test_split must be a number in \[0, 1\)"),
    ({"test_split": -0.1}, ValueError, "test_split must be"),
    ({"seed": 1.5}, TypeError, "seed must be an integer"),
    ({"path": 7}, TypeError, "path must be a file path"),
])
def test_bad_arguments_are_refused_with_clear_errors(tmp_path, arguments, error, message):
    write_table(tmp_path / "b.npz", rows=5)
    with pytest.raises(error, match=message):
        boston_housing.load_data(**{"path": tmp_path / "b.npz", **arguments})
