"""The dataset downloader against a local HTTP server on 127.0.0.1: checksums, gzip checks, cache, atomic writes."""
import contextlib
import functools
import gzip
import hashlib
import http.server
import os
import pathlib
import threading

import pytest

from trainwell.datasets import DownloadError, cache_root
from trainwell.datasets._download import atomic_write, fetch

PAYLOAD = bytes(range(256)) * 40


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class LyingLengthHandler(QuietHandler):
    """Announces 1,000 bytes more than it sends, then closes: an interrupted transfer."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD) + 1000))
        self.end_headers()
        self.wfile.write(PAYLOAD)


@contextlib.contextmanager
def serving(directory, handler=QuietHandler):
    """Serve `directory` over HTTP on 127.0.0.1 (port chosen by the OS); yields the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def dead_url(tmp_path):
    """The URL of a server that has been shut down: connecting is refused."""
    with serving(tmp_path) as url:
        pass
    return url


@pytest.fixture(autouse=True)
def _no_proxy_no_env(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("TRAINWELL_DATA_DIR", raising=False)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def served_dir(tmp_path, name, data):
    folder = tmp_path / "www"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(data)
    return folder


def leftovers(folder):
    return sorted(path.name for path in pathlib.Path(folder).iterdir()) if pathlib.Path(folder).exists() else []


def test_good_file_is_downloaded_checked_and_cached(tmp_path):
    www = served_dir(tmp_path, "data.bin", PAYLOAD)
    with serving(www) as url:
        path = fetch("data.bin", [url + "data.bin"], sha256(PAYLOAD), "demo", cache_dir=tmp_path / "cache")
    assert path == tmp_path / "cache" / "demo" / "data.bin"
    assert path.read_bytes() == PAYLOAD
    assert leftovers(path.parent) == ["data.bin"]  # no temporary file left beside it


def test_wrong_checksum_deletes_the_download_and_names_url_and_both_hashes(tmp_path):
    www = served_dir(tmp_path, "data.bin", PAYLOAD)
    expected = "0" * 64
    with serving(www) as url, pytest.raises(DownloadError) as caught:
        fetch("data.bin", [url + "data.bin"], expected, "demo", cache_dir=tmp_path / "cache")
    message = str(caught.value)
    assert url + "data.bin" in message and expected in message and sha256(PAYLOAD) in message
    assert "deleted" in message and str(tmp_path / "cache" / "demo" / "data.bin") in message
    assert leftovers(tmp_path / "cache" / "demo") == []


def test_truncated_gzip_is_deleted_even_when_its_checksum_matches(tmp_path):
    whole = gzip.compress(PAYLOAD)
    truncated = whole[: len(whole) // 2]
    www = served_dir(tmp_path, "data.gz", truncated)
    with serving(www) as url, pytest.raises(DownloadError, match="gzip data is truncated") as caught:
        fetch("data.gz", [url + "data.gz"], sha256(truncated), "demo", cache_dir=tmp_path / "cache")
    assert url + "data.gz" in str(caught.value)
    assert leftovers(tmp_path / "cache" / "demo") == []


def test_truncated_gzip_against_the_published_hash_is_a_checksum_mismatch(tmp_path):
    whole = gzip.compress(PAYLOAD)
    www = served_dir(tmp_path, "data.gz", whole[:-10])
    with serving(www) as url, pytest.raises(DownloadError, match=f"expected {sha256(whole)}, got"):
        fetch("data.gz", [url + "data.gz"], sha256(whole), "demo", cache_dir=tmp_path / "cache")
    assert leftovers(tmp_path / "cache" / "demo") == []


def test_gzip_with_a_bad_crc_is_deleted_and_reported(tmp_path):
    whole = bytearray(gzip.compress(PAYLOAD))
    whole[-8] ^= 0xFF  # the CRC-32 trailer starts 8 bytes from the end
    www = served_dir(tmp_path, "data.gz", bytes(whole))
    with serving(www) as url, pytest.raises(DownloadError, match="gzip data is corrupt"):
        fetch("data.gz", [url + "data.gz"], None, "demo", cache_dir=tmp_path / "cache")
    assert leftovers(tmp_path / "cache" / "demo") == []


def test_multi_member_gzip_is_accepted(tmp_path):
    data = gzip.compress(PAYLOAD[:100]) + gzip.compress(PAYLOAD[100:])
    www = served_dir(tmp_path, "data.gz", data)
    with serving(www) as url:
        path = fetch("data.gz", [url + "data.gz"], sha256(data), "demo", cache_dir=tmp_path / "cache")
    assert gzip.decompress(path.read_bytes()) == PAYLOAD


def test_interrupted_transfer_is_deleted_and_reported(tmp_path):
    with serving(tmp_path, LyingLengthHandler) as url, pytest.raises(DownloadError, match="interrupted"):
        fetch("data.bin", [url + "data.bin"], sha256(PAYLOAD), "demo", cache_dir=tmp_path / "cache")
    assert leftovers(tmp_path / "cache" / "demo") == []


def test_server_down_error_names_the_url_and_the_cache_path(tmp_path):
    url = dead_url(tmp_path) + "data.bin"
    with pytest.raises(DownloadError) as caught:
        fetch("data.bin", [url], sha256(PAYLOAD), "demo", cache_dir=tmp_path / "cache")
    message = str(caught.value)
    assert url in message and "unreachable" in message
    assert str(tmp_path / "cache" / "demo" / "data.bin") in message and "TRAINWELL_DATA_DIR" in message
    assert isinstance(caught.value, OSError)


def test_missing_file_on_the_server_is_reported_with_its_http_status(tmp_path):
    with serving(tmp_path) as url, pytest.raises(DownloadError, match="404"):
        fetch("absent.bin", [url + "absent.bin"], None, "demo", cache_dir=tmp_path / "cache")


def test_second_mirror_is_used_when_the_first_is_down(tmp_path):
    www = served_dir(tmp_path, "data.bin", PAYLOAD)
    down = dead_url(tmp_path)
    with serving(www) as url:
        path = fetch("data.bin", [down + "data.bin", url + "data.bin"], sha256(PAYLOAD), "demo",
                     cache_dir=tmp_path / "cache")
    assert path.read_bytes() == PAYLOAD


def test_cache_hit_needs_no_server(tmp_path):
    cached = tmp_path / "cache" / "demo" / "data.bin"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(PAYLOAD)
    path = fetch("data.bin", [dead_url(tmp_path) + "data.bin"], sha256(PAYLOAD), "demo", cache_dir=tmp_path / "cache")
    assert path == cached and path.read_bytes() == PAYLOAD


def test_cached_copy_with_a_wrong_checksum_is_replaced_by_a_fresh_download(tmp_path):
    cached = tmp_path / "cache" / "demo" / "data.bin"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"tampered")
    www = served_dir(tmp_path, "data.bin", PAYLOAD)
    with serving(www) as url:
        path = fetch("data.bin", [url + "data.bin"], sha256(PAYLOAD), "demo", cache_dir=tmp_path / "cache")
    assert path.read_bytes() == PAYLOAD


def test_environment_variable_sets_the_cache_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("TRAINWELL_DATA_DIR", str(tmp_path / "from_env"))
    www = served_dir(tmp_path, "data.bin", PAYLOAD)
    with serving(www) as url:
        path = fetch("data.bin", [url + "data.bin"], sha256(PAYLOAD), "demo")
    assert path == tmp_path / "from_env" / "demo" / "data.bin" and path.is_file()


def test_cache_dir_argument_wins_over_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("TRAINWELL_DATA_DIR", str(tmp_path / "from_env"))
    assert cache_root(tmp_path / "explicit") == tmp_path / "explicit"
    assert cache_root() == tmp_path / "from_env"


def test_default_cache_is_dot_trainwell_datasets_in_the_home_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_root() == tmp_path / ".trainwell" / "datasets"


def test_atomic_write_keeps_the_previous_file_when_the_writer_fails(tmp_path):
    target = tmp_path / "weights.bin"
    target.write_bytes(b"previous")
    with pytest.raises(RuntimeError), atomic_write(target) as out:
        out.write(b"half of the new")
        raise RuntimeError("crash mid-write")
    assert target.read_bytes() == b"previous" and leftovers(tmp_path) == ["weights.bin"]
    with atomic_write(target) as out:
        out.write(b"new")
    assert target.read_bytes() == b"new" and leftovers(tmp_path) == ["weights.bin"]


def test_bad_arguments_are_refused_with_clear_errors(tmp_path):
    with pytest.raises(TypeError, match="cache_dir must be a directory path"):
        cache_root(5)
    with pytest.raises(TypeError, match="sha256 must be a 64-character hexadecimal string"):
        fetch("data.bin", ["http://127.0.0.1:9/data.bin"], "abc", "demo", cache_dir=tmp_path)
    with pytest.raises(DownloadError, match="unknown url type"):
        fetch("data.bin", ["not-a-url"], None, "demo", cache_dir=tmp_path)
    assert not os.path.exists(tmp_path / "demo" / "data.bin")
