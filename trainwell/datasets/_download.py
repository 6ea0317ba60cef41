"""Fetching dataset files into a cache directory: mirrors in turn, sha256 checked, written atomically."""
import hashlib
import http.client
import os
import pathlib
import sys
import urllib.request
import zlib

from trainwell._errors import bad_type
from trainwell.io import atomic_write

DEFAULT_CACHE_DIR = "~/.trainwell/datasets"
CACHE_ENVIRONMENT_VARIABLE = "TRAINWELL_DATA_DIR"
TIMEOUT_SECONDS = 30
CHUNK_BYTES = 1 << 20


class DownloadError(OSError):
    """A dataset file could not be fetched, or failed its sha256 or gzip check; nothing was cached."""


def cache_root(cache_dir=None):
    """The cache directory: `cache_dir` if given, else $TRAINWELL_DATA_DIR, else ~/.trainwell/datasets."""
    if cache_dir is None:
        cache_dir = os.environ.get(CACHE_ENVIRONMENT_VARIABLE) or DEFAULT_CACHE_DIR
    if not isinstance(cache_dir, (str, os.PathLike)) or not os.fspath(cache_dir):
        raise bad_type("trainwell.datasets", "cache_dir", "a directory path (str or os.PathLike) or None",
                       cache_dir)
    return pathlib.Path(cache_dir).expanduser()


def fetch(filename, urls, sha256, subdir, cache_dir=None, where="trainwell.datasets"):
    """The path of `<cache>/<subdir>/<filename>`, downloaded from the first mirror in `urls` that works.

    A cached copy is used when its sha256 matches (no network needed); a copy that does not match is
    deleted and fetched again. A download is streamed into a temporary file beside the target,
    flushed, fsynced, checked (sha256 when `sha256` is given; a `.gz` file must also decompress to its
    end with a good CRC) and only then renamed into place, so a corrupted or truncated transfer is
    deleted and never cached. When every mirror fails, DownloadError names each URL with its reason
    and the cache path where the file can be put by hand.
    """
    if sha256 is not None and (not isinstance(sha256, str) or len(sha256) != 64):
        raise bad_type(where, "sha256", "a 64-character hexadecimal string or None", sha256)
    target = cache_root(cache_dir) / subdir / filename
    if target.is_file():
        if sha256 is None or file_sha256(target) == sha256.lower():
            return target
        target.unlink()  # a stale or tampered copy must never be read as data
    target.parent.mkdir(parents=True, exist_ok=True)
    failures = []
    for url in urls:
        try:
            _download(url, target, sha256)
            return target
        except _Failed as failure:
            failures.append(f"  - {url}: {failure}")
    raise DownloadError(
        f"{where}: could not download {filename}; nothing was cached at {target}.\n" + "\n".join(failures)
        + f"\nIf this machine is offline, copy {filename} to {target} by hand, or point cache_dir= or "
        f"${CACHE_ENVIRONMENT_VARIABLE} at a directory whose '{subdir}' folder holds it.")


def file_sha256(path):
    """The hex sha256 digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


class _Failed(Exception):
    """One mirror failed; the message says why, for the list in DownloadError."""


def _download(url, target, sha256):
    print(f"trainwell: downloading {url} to {target}", file=sys.stderr)
    digest = hashlib.sha256()
    gzip_check = _GzipCheck() if target.name.endswith(".gz") else None
    try:
        with atomic_write(target) as out:
            with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
                while chunk := response.read(CHUNK_BYTES):
                    digest.update(chunk)
                    out.write(chunk)
                    if gzip_check is not None:
                        gzip_check.feed(chunk)
                if getattr(response, "length", None):  # bytes announced by Content-Length but never sent
                    raise _Failed(f"interrupted: the connection closed {response.length} bytes before the end "
                                  f"announced by the server; the download has been deleted")
            actual = digest.hexdigest()
            if sha256 is not None and actual != sha256.lower():
                raise _Failed(f"sha256 mismatch: expected {sha256.lower()}, got {actual}; the download was "
                              f"corrupted or truncated and has been deleted")
            if gzip_check is not None and not gzip_check.complete():
                raise _Failed("the gzip data is truncated (it ends before its end-of-stream marker); "
                              "the download has been deleted")
    except _Failed:
        raise
    except zlib.error as error:
        raise _Failed(f"the gzip data is corrupt ({error}); the download has been deleted") from error
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise _Failed(f"unreachable or interrupted ({type(error).__name__}: {error})") from error


class _GzipCheck:
    """Decompresses a gzip stream chunk by chunk, discarding the output, to prove it is whole.

    zlib checks each member's CRC-32 and length trailer; a stream that stops early never reaches `eof`.
    """

    def __init__(self):
        self.member = zlib.decompressobj(wbits=31)

    def feed(self, chunk):
        while chunk:
            self.member.decompress(chunk)
            chunk = self.member.unused_data if self.member.eof else b""
            if chunk:  # a further gzip member follows the one that just ended
                self.member = zlib.decompressobj(wbits=31)

    def complete(self):
        return self.member.eof


