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
"""
from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from ._atomic import atomic_write_bytes

GZIP_MAGIC = b"\x1f\x8b"

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


def is_gzip(data: bytes) -> bool:
    """True when ``data`` starts with the gzip magic bytes 1f 8b."""
    return data[:2] == GZIP_MAGIC


def decompress_if_gzip(data: bytes, name: str = "<bytes>") -> bytes:
    """Return the payload of ``data``: gunzipped if it starts with 1f 8b, else unchanged.

    A damaged gzip stream (bad header, corrupt deflate data, truncation, CRC/length mismatch)
    raises ``ValueError`` naming ``name``.
    """
    if not is_gzip(data):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as e:  # BadGzipFile is an OSError
        raise ValueError(f"{name}: corrupt or truncated gzip data ({type(e).__name__}: {e})") from e


def read_idx_bytes(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse IDX ``data`` (raw or gzip) into a native-endian, writable ndarray.

    ``name`` is only used in error messages (usually the file path).
    """
    data = decompress_if_gzip(bytes(data), name)
    if len(data) < 4:
        raise ValueError(f"{name}: too short for an IDX header ({len(data)} bytes, need at least 4)")
    zero0, zero1, code, ndim = data[0], data[1], data[2], data[3]
    if zero0 != 0 or zero1 != 0:
        raise ValueError(
            f"{name}: bad IDX magic number {data[:4].hex()} (first two bytes must be 00 00); "
            "not an IDX file"
        )
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(f"{name}: unknown IDX dtype code 0x{code:02X} (expected one of {known})")
    if ndim == 0:
        raise ValueError(f"{name}: IDX header says 0 dimensions (expected at least 1)")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise ValueError(
            f"{name}: truncated header: {ndim} dimensions need {header_len} header bytes, "
            f"file has {len(data)}"
        )
    dims = struct.unpack(f">{ndim}I", data[4:header_len])  # (d0, d1, ...) uint32 big-endian
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(dims, dtype=object)) * dtype.itemsize  # Python ints: no overflow
    got = len(data) - header_len
    if got != expected:
        what = "truncated payload" if got < expected else "extra bytes after the payload"
        raise ValueError(
            f"{name}: {what}: shape {tuple(dims)} of {dtype.newbyteorder('=').name} needs "
            f"{expected} payload bytes, file has {got}"
        )
    arr = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(dims)
    return arr.astype(dtype.newbyteorder("="))  # native byte order; copy -> writable


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (raw or gzip, detected by magic bytes) into an ndarray."""
    path = Path(path)
    return read_idx_bytes(path.read_bytes(), str(path))


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
