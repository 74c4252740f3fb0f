"""Download a file from a list of mirrors, verify it, and write it atomically.

Verification accepts either of two forms of the expected content:

* the SHA-256 of the *decompressed payload* (``payload_sha256``): the IDX bytes themselves. This
  is the primary check because recompressed copies (e.g. Debian's Fashion-MNIST ``.gz`` files,
  whose compressed bytes differ from upstream) carry the identical payload and must pass;
* a hash of the *file as downloaded* (``archive_md5`` / ``archive_sha256``): the form in which
  dataset authors publish checksums. It is needed where no payload hash is known (MNIST's
  ``train-images-idx3-ubyte.gz`` could not be hashed here, only its published gz md5 is known).

A download passes when any hash that was given matches; at least one must be given, so nothing
unverified is ever written. The file is kept exactly as downloaded (usually ``.gz``); the IDX
reader detects compression by magic bytes. Nothing is written until the bytes are verified, and
then only through a temp file + ``os.replace``, so no partial or wrong file is left behind.

For tests (no network) pass ``file://`` URLs or inject ``opener(url, timeout) -> file-like``.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from ._atomic import atomic_write_bytes
from .idx import decompress_if_gzip

Opener = Callable[[str, float], BinaryIO]
DEFAULT_TIMEOUT = 30.0  # seconds per blocking socket operation (connect, each read)
DEFAULT_MAX_BYTES = 256 * 2**20  # the largest file we fetch is ~26 MB; stop a runaway stream
_CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """Every mirror failed (network error, timeout, HTTP error, or checksum mismatch)."""


class ChecksumMismatch(ValueError):
    """Downloaded bytes did not match any expected hash."""


def _default_opener(url: str, timeout: float) -> BinaryIO:
    req = urllib.request.Request(url, headers={"User-Agent": "minisep-data/0.1"})
    return urllib.request.urlopen(req, timeout=timeout)


def check_hashes(
    data: bytes,
    name: str,
    *,
    payload_sha256: str | None = None,
    archive_md5: str | None = None,
    archive_sha256: str | None = None,
) -> None:
    """Raise ``ChecksumMismatch`` unless one of the given hashes matches ``data``.

    ``archive_*`` are hashes of ``data`` as stored; ``payload_sha256`` is the hash of ``data``
    after gunzip (of ``data`` itself when it is not gzip). A corrupt gzip stream raises ValueError.
    """
    if not (payload_sha256 or archive_md5 or archive_sha256):
        raise ValueError(f"{name}: no checksum given; refusing to accept unverified data")
    got: list[str] = []
    if archive_md5:
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        if md5 == archive_md5.lower():
            return
        got.append(f"file md5 {md5} != expected {archive_md5}")
    if archive_sha256:
        sha = hashlib.sha256(data).hexdigest()
        if sha == archive_sha256.lower():
            return
        got.append(f"file sha256 {sha} != expected {archive_sha256}")
    if payload_sha256:
        sha = hashlib.sha256(decompress_if_gzip(data, name)).hexdigest()
        if sha == payload_sha256.lower():
            return
        got.append(f"payload sha256 {sha} != expected {payload_sha256}")
    raise ChecksumMismatch(f"{name}: checksum mismatch: " + "; ".join(got))


def verify_file(path: str | os.PathLike, **hashes: str | None) -> bool:
    """True when the file at ``path`` matches one of ``payload_sha256/archive_md5/archive_sha256``."""
    path = Path(path)
    try:
        check_hashes(path.read_bytes(), str(path), **hashes)
    except ChecksumMismatch:
        return False
    return True


def _read_limited(resp: BinaryIO, url: str, max_bytes: int) -> bytes:
    buf = bytearray()
    while True:
        chunk = resp.read(_CHUNK)
        if not chunk:
            return bytes(buf)
        buf += chunk
        if len(buf) > max_bytes:
            raise ValueError(f"{url}: response larger than {max_bytes} bytes; aborted")


def fetch(
    urls: str | Sequence[str],
    dest_path: str | os.PathLike,
    payload_sha256: str | None = None,
    *,
    archive_md5: str | None = None,
    archive_sha256: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    opener: Opener | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    log: Callable[[str], None] | None = None,
) -> Path:
    """Download the first mirror in ``urls`` whose bytes verify, and write them to ``dest_path``.

    Mirrors are tried in order; a network error, timeout, HTTP error, corrupt gzip or checksum
    mismatch moves on to the next. Returns ``dest_path`` as a Path. If every mirror fails,
    raises ``DownloadError`` listing each URL with its reason; ``dest_path`` is then untouched
    (an older file there stays as it was, no partial file appears).
    """
    if isinstance(urls, (str, bytes)):
        urls = [urls]
    urls = list(urls)
    if not urls:
        raise ValueError("urls: empty list of mirrors")
    if not (payload_sha256 or archive_md5 or archive_sha256):
        raise ValueError("fetch: give payload_sha256, archive_md5 or archive_sha256 (got none)")
    if timeout is None or timeout <= 0:
        raise ValueError(f"timeout: must be > 0 seconds, got {timeout!r}")
    dest = Path(dest_path)
    open_url = opener or _default_opener
    failures: list[str] = []
    for url in urls:
        try:
            if log:
                log(f"downloading {url} -> {dest}")
            with open_url(url, timeout) as resp:
                data = _read_limited(resp, url, max_bytes)
            check_hashes(data, url, payload_sha256=payload_sha256,
                         archive_md5=archive_md5, archive_sha256=archive_sha256)
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as e:
            # URLError/HTTPError, socket timeouts (OSError), bad gzip or mismatch (ValueError)
            failures.append(f"  {url}: {type(e).__name__}: {e}")
            continue
        atomic_write_bytes(dest, data)
        return dest
    raise DownloadError(
        f"could not download {dest.name}: every mirror failed:\n" + "\n".join(failures)
    )
