"""IDX file format (the format of MNIST and Fashion-MNIST), read and written with numpy.

Layout (all integers big-endian), from http://yann.lecun.com/exdb/mnist/:

    offset 0: 0x00 0x00            two zero bytes
    offset 2: dtype code           0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double
    offset 3: ndim                 number of dimensions
    offset 4: ndim x uint32        size of each dimension
    then:     prod(dims) items     the payload, row-major (C order), big-endian

Files may be gzip-compressed; compression is detected by the gzip magic bytes 1f 8b, never by the
file name (a renamed or recompressed file must still load). Every structural problem raises
``ValueError`` naming the file and what is wrong, before any array is built.

Nothing here trusts the input's size. The file must be a regular file (a FIFO or device is refused
before it is opened, so nothing blocks). A gzip stream is decompressed incrementally: the header is
read first, a payload larger than ``max_bytes`` is refused before anything is allocated, and then
exactly the payload the header implies is decompressed, plus one byte to detect trailing data. A
small file that would expand to gigabytes (a "decompression bomb") therefore costs at most the
payload its header declares, and memory grows only as real data arrives.
"""
from __future__ import annotations

import gzip
import io
import os
import stat
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ._atomic import atomic_write_bytes

GZIP_MAGIC = b"\x1f\x8b"
MAX_PAYLOAD_BYTES = 1 << 30  # 1 GiB: MNIST's largest file holds 47 MB; anything near this is not a dataset
_CHUNK = 1 << 20

# IDX dtype code -> big-endian numpy dtype.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
# numpy dtype (byte order ignored) -> IDX dtype code, for write_idx.
_CODE_OF = {dt.newbyteorder("="): code for code, dt in IDX_DTYPES.items()}
_KINDS = {stat.S_IFDIR: "a directory", stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFSOCK: "a socket",
          stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device"}


def is_gzip(data: bytes) -> bool:
    """True when ``data`` starts with the gzip magic bytes 1f 8b."""
    return data[:2] == GZIP_MAGIC


def open_regular(path: str | os.PathLike) -> BinaryIO:
    """Open ``path`` for binary reading if it is a regular file we may read.

    A FIFO would block the open (or the read) forever and a device may never end, so the type is
    checked with ``stat`` before opening, the open itself does not wait (O_NONBLOCK, in case the
    file was swapped since), and the opened file is checked again. FileNotFoundError stays as it
    is; every other refusal is a ValueError naming the file."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise
    except OSError as e:
        raise ValueError(f"{path}: cannot read it ({e.strerror})") from None
    _check_regular(st, path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise
    except OSError as e:
        raise ValueError(f"{path}: cannot read it ({e.strerror})") from None
    f = os.fdopen(fd, "rb")
    try:
        _check_regular(os.fstat(fd), path)
    except ValueError:
        f.close()
        raise
    return f


def _check_regular(st: os.stat_result, path) -> None:
    if not stat.S_ISREG(st.st_mode):
        kind = _KINDS.get(stat.S_IFMT(st.st_mode), "a special file")
        raise ValueError(f"{path}: not a regular file (it is {kind})")


def read_regular(path: str | os.PathLike, max_bytes: int) -> bytes:
    """The whole content of the regular file ``path``, refused (ValueError) if over ``max_bytes``."""
    with open_regular(path) as f:
        size = os.fstat(f.fileno()).st_size
        if size > max_bytes:
            raise ValueError(f"{path}: {size} bytes, more than the limit of {max_bytes}")
        return _read_some(f, max_bytes + 1, str(path))


def _read_some(stream: BinaryIO, n: int, name: str) -> bytes:
    """Up to ``n`` bytes (fewer only at the end of the data); gzip damage becomes a ValueError."""
    parts, got = [], 0
    try:
        while got < n:
            chunk = stream.read(min(_CHUNK, n - got))
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
    except (OSError, EOFError, zlib.error) as e:  # BadGzipFile is an OSError
        raise ValueError(f"{name}: corrupt or truncated gzip data ({type(e).__name__}: {e})") from None
    return b"".join(parts)


def _read_into(stream: BinaryIO, n: int, name: str) -> bytearray:
    """Up to ``n`` bytes into one growing buffer: memory follows the data that really arrives, so a
    header that lies about the size costs nothing, and nothing is copied at the end."""
    buf = bytearray()
    try:
        while len(buf) < n:
            chunk = stream.read(min(_CHUNK, n - len(buf)))
            if not chunk:
                break
            buf += chunk
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(f"{name}: corrupt or truncated gzip data ({type(e).__name__}: {e})") from None
    return buf


def _payload_stream(f: BinaryIO) -> tuple[BinaryIO, int | None]:
    """(stream of the IDX bytes, their size when known without decompressing): gunzips on 1f 8b."""
    magic = f.read(2)
    f.seek(0)
    if is_gzip(magic):
        return gzip.GzipFile(fileobj=f, mode="rb"), None
    size = f.seek(0, io.SEEK_END)
    f.seek(0)
    return f, size


def iter_payload(data: bytes, name: str = "<bytes>", max_bytes: int = MAX_PAYLOAD_BYTES) -> Iterator[bytes]:
    """The payload of ``data`` in chunks: gunzipped (incrementally) if it starts with 1f 8b, else as is.

    Raises ValueError naming ``name`` for a damaged gzip stream, or as soon as the payload passes
    ``max_bytes`` (so a decompression bomb is stopped after ``max_bytes``, not after it expands)."""
    if not is_gzip(data):
        if len(data) > max_bytes:
            raise ValueError(f"{name}: {len(data)} bytes, more than the limit of {max_bytes}")
        yield data
        return
    total = 0
    with gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb") as gz:
        while True:
            chunk = _read_some(gz, _CHUNK, name)
            if not chunk:
                return
            total += len(chunk)
            if total > max_bytes:
                raise ValueError(f"{name}: gzip data decompresses to more than the limit of {max_bytes} bytes")
            yield chunk


def decompress_if_gzip(data: bytes, name: str = "<bytes>", max_bytes: int = MAX_PAYLOAD_BYTES) -> bytes:
    """Return the payload of ``data``: gunzipped if it starts with 1f 8b, else unchanged.

    A damaged gzip stream (bad header, corrupt deflate data, truncation, CRC/length mismatch) or
    a payload over ``max_bytes`` raises ``ValueError`` naming ``name``.
    """
    if not is_gzip(data):
        return data
    return b"".join(iter_payload(data, name, max_bytes))


def _read_header(stream: BinaryIO, name: str) -> tuple[np.dtype, tuple[int, ...], int]:
    """(dtype, dims, header length) from the 4 + 4*ndim header bytes, checked field by field."""
    head = _read_some(stream, 4, name)
    if len(head) < 4:
        raise ValueError(f"{name}: too short for an IDX header ({len(head)} bytes, need at least 4)")
    zero0, zero1, code, ndim = head
    if zero0 != 0 or zero1 != 0:
        raise ValueError(
            f"{name}: bad IDX magic number {head.hex()} (first two bytes must be 00 00); not an IDX file"
        )
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(f"{name}: unknown IDX dtype code 0x{code:02X} (expected one of {known})")
    if ndim == 0:
        raise ValueError(f"{name}: IDX header says 0 dimensions (expected at least 1)")
    header_len = 4 + 4 * ndim
    raw_dims = _read_some(stream, 4 * ndim, name)
    if len(raw_dims) < 4 * ndim:
        raise ValueError(
            f"{name}: truncated header: {ndim} dimensions need {header_len} header bytes, "
            f"file has {4 + len(raw_dims)}"
        )
    dims = struct.unpack(f">{ndim}I", raw_dims)  # (d0, d1, ...) uint32 big-endian
    return IDX_DTYPES[code], dims, header_len


def _size_error(name: str, dims, dtype: np.dtype, expected: int, got: int, at_least: bool = False) -> ValueError:
    """``at_least``: ``got`` is a lower bound (a stream is not read past the first extra byte)."""
    what = ("truncated payload" if got < expected
            else "extra bytes after the payload (more data than the header says)")
    return ValueError(
        f"{name}: {what}: shape {tuple(dims)} of {dtype.newbyteorder('=').name} needs "
        f"{expected} payload bytes, file has {'more' if at_least else got}"
    )


def read_idx_stream(f: BinaryIO, name: str, max_bytes: int = MAX_PAYLOAD_BYTES) -> np.ndarray:
    """Parse the IDX file open as ``f`` (raw or gzip, seekable) into a native-endian, writable ndarray.

    The header is checked first; a payload over ``max_bytes`` is refused before any allocation;
    then exactly the declared payload is read (decompressed), and one byte more means trailing data."""
    stream, raw_size = _payload_stream(f)
    try:
        return _parse(stream, raw_size, name, max_bytes)
    finally:
        if stream is not f:
            stream.close()  # the GzipFile only; ``f`` belongs to the caller


def _parse(stream: BinaryIO, raw_size: int | None, name: str, max_bytes: int) -> np.ndarray:
    dtype, dims, header_len = _read_header(stream, name)
    expected = int(np.prod(dims, dtype=object)) * dtype.itemsize  # Python ints: no overflow
    if raw_size is not None and raw_size != header_len + expected:  # raw file: its size says it all
        raise _size_error(name, dims, dtype, expected, raw_size - header_len)
    if expected > max_bytes:
        raise ValueError(
            f"{name}: IDX header declares shape {tuple(dims)} of {dtype.newbyteorder('=').name}, "
            f"{expected} payload bytes, more than the limit of {max_bytes} (max_bytes); refusing to read it"
        )
    buf = _read_into(stream, expected, name)
    if len(buf) < expected:
        raise _size_error(name, dims, dtype, expected, len(buf))
    if _read_some(stream, 1, name):  # reading on also checks gzip's CRC and length trailer
        raise _size_error(name, dims, dtype, expected, expected + 1, at_least=True)
    arr = np.frombuffer(buf, dtype=dtype).reshape(dims)  # over a bytearray: writable, no copy
    native = dtype.newbyteorder("=")
    if not dtype.isnative:
        arr.byteswap(inplace=True)  # in place: a 47 MB file costs 47 MB, not twice that
    return arr.view(native)


def read_idx_bytes(data: bytes, name: str = "<bytes>", max_bytes: int = MAX_PAYLOAD_BYTES) -> np.ndarray:
    """Parse IDX ``data`` (raw or gzip) into a native-endian, writable ndarray.

    ``name`` is only used in error messages (usually the file path).
    """
    return read_idx_stream(io.BytesIO(bytes(data)), name, max_bytes)


def read_idx(path: str | os.PathLike, max_bytes: int = MAX_PAYLOAD_BYTES) -> np.ndarray:
    """Read an IDX file (raw or gzip, detected by magic bytes) into an ndarray.

    ValueError naming the file for anything but a readable regular IDX file whose payload fits
    ``max_bytes``; FileNotFoundError when there is no file."""
    path = Path(path)
    with open_regular(path) as f:
        return read_idx_stream(f, str(path), max_bytes)


def idx_bytes(array: np.ndarray, compress: bool = False) -> bytes:
    """Encode ``array`` as IDX bytes (gzip-compressed, reproducibly with mtime=0, if ``compress``)."""
    array = np.asarray(array)
    key = array.dtype.newbyteorder("=")
    if key not in _CODE_OF:
        allowed = ", ".join(dt.name for dt in _CODE_OF)
        raise TypeError(f"array: dtype {array.dtype} has no IDX code (allowed: {allowed})")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"array: IDX needs 1..255 dimensions, got shape {array.shape}")
    if any(d >= 2**32 for d in array.shape):
        raise ValueError(f"array: every dimension must be < 2**32, got shape {array.shape}")
    code = _CODE_OF[key]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    raw = header + payload
    return gzip.compress(raw, mtime=0) if compress else raw


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool | None = None) -> None:
    """Write ``array`` to ``path`` as IDX, atomically (temp file + rename).

    ``compress=None`` gzips when the name ends in ``.gz``; pass True/False to force it.
    """
    path = Path(path)
    if compress is None:
        compress = path.suffix == ".gz"
    atomic_write_bytes(path, idx_bytes(array, compress))
