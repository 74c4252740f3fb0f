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

Sizes are capped (``max_bytes``): the download itself, and its decompressed payload, which is
hashed as it is decompressed, so a small gzip that expands to gigabytes is stopped at the cap.

A cache (``fetch_cached``) needs more than a verified first download: a later truncation or edit
of the file must not be trusted forever. So after a verified download a stamp ``<file>.sha256``
(the file's SHA-256, in ``sha256sum`` format) is written next to it, atomically; each later use
re-hashes the file (cheap: the compressed bytes) and, when the stamp is missing or differs,
verifies it against the published checksums again, downloading it anew if that fails.

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
from .idx import iter_payload, read_regular

Opener = Callable[[str, float], BinaryIO]
DEFAULT_TIMEOUT = 30.0  # seconds per blocking socket operation (connect, each read)
DEFAULT_MAX_BYTES = 256 * 2**20  # the largest file we fetch is ~26 MB; stop a runaway stream
_CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """Every mirror failed (network error, timeout, HTTP error, or checksum mismatch)."""


class ChecksumMismatch(ValueError):
    """Downloaded bytes did not match any expected hash."""


class CorruptCacheError(ValueError):
    """A cached download no longer verifies and could not (or may not) be downloaded again."""


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
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> None:
    """Raise ``ChecksumMismatch`` unless one of the given hashes matches ``data``.

    ``archive_*`` are hashes of ``data`` as stored; ``payload_sha256`` is the hash of ``data``
    after gunzip (of ``data`` itself when it is not gzip), computed while decompressing, chunk by
    chunk. A corrupt gzip stream, or one expanding past ``max_bytes``, raises ValueError.
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
        h = hashlib.sha256()
        for chunk in iter_payload(data, name, max_bytes):
            h.update(chunk)
        sha = h.hexdigest()
        if sha == payload_sha256.lower():
            return
        got.append(f"payload sha256 {sha} != expected {payload_sha256}")
    raise ChecksumMismatch(f"{name}: checksum mismatch: " + "; ".join(got))


def verify_file(path: str | os.PathLike, max_bytes: int = DEFAULT_MAX_BYTES, **hashes: str | None) -> bool:
    """True when the file at ``path`` matches one of ``payload_sha256/archive_md5/archive_sha256``.

    ValueError (naming the file) when it is not a readable regular file, is over ``max_bytes``,
    or is damaged gzip."""
    path = Path(path)
    try:
        check_hashes(read_regular(path, max_bytes), str(path), max_bytes=max_bytes, **hashes)
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

    Mirrors are tried in order; a network error, timeout, HTTP error, corrupt gzip, checksum
    mismatch, or a download or payload over ``max_bytes`` moves on to the next. Returns
    ``dest_path`` as a Path. If every mirror fails, raises ``DownloadError`` listing each URL with
    its reason; ``dest_path`` is then untouched (an older file there stays as it was, no partial
    file appears).
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
            check_hashes(data, url, payload_sha256=payload_sha256, archive_md5=archive_md5,
                         archive_sha256=archive_sha256, max_bytes=max_bytes)
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as e:
            # URLError/HTTPError, socket timeouts (OSError), bad gzip or mismatch (ValueError)
            failures.append(f"  {url}: {type(e).__name__}: {e}")
            continue
        atomic_write_bytes(dest, data)
        return dest
    raise DownloadError(
        f"could not download {dest.name}: every mirror failed:\n" + "\n".join(failures)
    )


def stamp_path(path: str | os.PathLike) -> Path:
    """Where the stamp of ``path`` lives: ``<path>.sha256`` beside it."""
    path = Path(path)
    return path.with_name(path.name + ".sha256")


def _read_stamp(path: Path) -> str | None:
    """The hash recorded in ``path``'s stamp, or None when there is no readable, sensible stamp."""
    try:
        words = read_regular(stamp_path(path), 4096).decode("ascii").split()
    except (OSError, ValueError):  # missing, unreadable, not a regular file, not ASCII
        return None
    return words[0].lower() if words and len(words[0]) == 64 else None


def write_stamp(path: str | os.PathLike, sha256: str) -> None:
    """Record ``sha256`` as the verified hash of ``path`` (atomically). Best effort: a cache we
    cannot write to only means the next use verifies against the checksums again."""
    path = Path(path)
    try:
        atomic_write_bytes(stamp_path(path), f"{sha256}  {path.name}\n".encode())
    except OSError:
        pass


def cached_problem(path: str | os.PathLike, max_bytes: int = DEFAULT_MAX_BYTES, **hashes: str | None) -> str | None:
    """None when the file at ``path`` can be trusted, else what is wrong with it.

    Trusted means: its SHA-256 equals its stamp, or (stamp missing or stale) it verifies against
    ``hashes``, in which case the stamp is (re)written."""
    path = Path(path)
    try:
        data = read_regular(path, max_bytes)
    except (OSError, ValueError) as e:
        return _without_name(e, path)
    sha = hashlib.sha256(data).hexdigest()
    if _read_stamp(path) == sha:
        return None
    try:
        check_hashes(data, str(path), max_bytes=max_bytes, **hashes)
    except ValueError as e:  # ChecksumMismatch, or damaged gzip
        return f"it does not verify: {_without_name(e, path)}"
    write_stamp(path, sha)
    return None


def _without_name(e: Exception, path: Path) -> str:
    """``e``'s message without its leading "<path>: " (the caller names the file once)."""
    msg, prefix = str(e), f"{path}: "
    return msg[len(prefix):] if msg.startswith(prefix) else msg


def fetch_cached(
    urls: str | Sequence[str],
    dest_path: str | os.PathLike,
    payload_sha256: str | None = None,
    *,
    archive_md5: str | None = None,
    archive_sha256: str | None = None,
    download: bool = True,
    max_bytes: int = DEFAULT_MAX_BYTES,
    log: Callable[[str], None] | None = None,
    **fetch_kwargs,
) -> Path:
    """``dest_path`` if it is there and trusted (see ``cached_problem``), else freshly ``fetch``-ed.

    A download is stamped once written. When the file is there but damaged and cannot be
    downloaded again (``download=False``, or every mirror failed) a ``CorruptCacheError``
    (a ValueError) names the file and both reasons; when it is absent, ``fetch``'s
    ``DownloadError`` is raised as usual (or ``FileNotFoundError`` with ``download=False``)."""
    dest = Path(dest_path)
    hashes = dict(payload_sha256=payload_sha256, archive_md5=archive_md5, archive_sha256=archive_sha256)
    problem = None
    if os.path.lexists(dest):
        problem = cached_problem(dest, max_bytes, **hashes)
        if problem is None:
            return dest
        if not download:
            raise CorruptCacheError(f"{dest}: cached download is damaged: {problem}; "
                                    "not downloading it again (download disabled)")
        if log:
            log(f"{dest} is damaged ({problem}); downloading it again")
    elif not download:
        raise FileNotFoundError(f"{dest}: not downloaded yet (download disabled)")
    try:
        fetch(urls, dest, payload_sha256, archive_md5=archive_md5, archive_sha256=archive_sha256,
              max_bytes=max_bytes, log=log, **fetch_kwargs)
    except DownloadError as e:
        if problem is None:
            raise
        raise CorruptCacheError(f"{dest}: cached download is damaged: {problem}; "
                                f"downloading it again failed: {e}") from None
    write_stamp(dest, hashlib.sha256(read_regular(dest, max_bytes)).hexdigest())
    return dest
