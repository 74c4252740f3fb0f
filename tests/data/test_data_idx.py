"""IDX reader/writer: round trips for every dtype code, and every kind of corruption."""
from __future__ import annotations

import gzip
import os
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minisep.data.idx import IDX_DTYPES, idx_bytes, read_idx, read_idx_bytes, write_idx

CODES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.int16, 0x0C: np.int32,
         0x0D: np.float32, 0x0E: np.float64}


def _sample(dtype, shape=(3, 4, 5)):
    rng = np.random.default_rng(0)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        a = rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)
        a.flat[0], a.flat[-1] = info.min, info.max
    else:
        a = rng.standard_normal(shape).astype(dtype) * 1e3
    return a


@pytest.mark.parametrize("code", sorted(CODES))
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip_every_dtype_code(tmp_path, code, suffix):
    a = _sample(CODES[code])
    path = tmp_path / f"a-idx3{suffix}"
    write_idx(path, a)
    raw = path.read_bytes()
    assert (raw[:2] == b"\x1f\x8b") == (suffix == ".gz")
    header = gzip.decompress(raw)[:4] if suffix else raw[:4]
    assert header == bytes([0, 0, code, 3])
    b = read_idx(path)
    assert b.dtype == np.dtype(CODES[code]) and b.dtype.isnative
    assert b.shape == a.shape
    np.testing.assert_array_equal(a, b)
    assert b.flags.writeable
    assert os.listdir(tmp_path) == [path.name]  # atomic write left no temp file


def test_payload_is_big_endian():
    raw = idx_bytes(np.array([1, 258], dtype=np.int16))
    assert raw == bytes([0, 0, 0x0B, 1]) + struct.pack(">I", 2) + b"\x00\x01\x01\x02"


def test_compression_detected_by_magic_not_name(tmp_path):
    a = np.arange(12, dtype=np.uint8).reshape(3, 4)
    gz_named_plain = tmp_path / "images-idx2-ubyte"  # gzip content, no .gz
    raw_named_gz = tmp_path / "labels-idx2-ubyte.gz"  # raw content, .gz name
    write_idx(gz_named_plain, a, compress=True)
    write_idx(raw_named_gz, a, compress=False)
    np.testing.assert_array_equal(read_idx(gz_named_plain), a)
    np.testing.assert_array_equal(read_idx(raw_named_gz), a)


@settings(max_examples=30, deadline=None)
@given(arr=hnp.arrays(st.sampled_from([np.dtype(t) for t in CODES.values()]),
                      hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5)),
       compress=st.booleans())
def test_round_trip_property(arr, compress):
    back = read_idx_bytes(idx_bytes(arr, compress), "prop")
    assert back.shape == arr.shape and back.dtype == arr.dtype
    np.testing.assert_array_equal(back, arr)  # NaNs compare equal positionally


def _good_raw():
    return idx_bytes(np.arange(24, dtype=np.int32).reshape(2, 3, 4))


CORRUPTIONS = {
    "bad magic": (lambda r: b"\x01" + r[1:], "magic"),
    "bad dtype code": (lambda r: r[:2] + b"\x0a" + r[3:], "dtype code 0x0A"),
    "zero dims": (lambda r: r[:3] + b"\x00", "0 dimensions"),
    "truncated header": (lambda r: r[:9], "truncated header"),
    "too short": (lambda r: r[:2], "too short"),
    "truncated payload": (lambda r: r[:-1], "truncated payload"),
    "extra bytes": (lambda r: r + b"\x00", "extra bytes"),
    "bad gzip body": (lambda r: (lambda g: g[:12] + bytes(b ^ 0xFF for b in g[12:20]) + g[20:])(
        gzip.compress(r)), "gzip"),
    "truncated gzip": (lambda r: gzip.compress(r)[:-10], "gzip"),
    "gzip of truncated payload": (lambda r: gzip.compress(r[:-4]), "truncated payload"),
}


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_corruption_raises_value_error_naming_file(tmp_path, kind):
    mutate, what = CORRUPTIONS[kind]
    path = tmp_path / "broken-idx3-ubyte.gz"
    path.write_bytes(mutate(_good_raw()))
    with pytest.raises(ValueError) as exc:
        read_idx(path)
    assert str(path) in str(exc.value)
    assert what in str(exc.value)


def test_huge_claimed_dims_do_not_allocate():
    raw = bytes([0, 0, 0x0E, 3]) + struct.pack(">3I", 2**31, 2**31, 2**31)
    with pytest.raises(ValueError, match="truncated payload"):
        read_idx_bytes(raw, "claims-huge")


def test_write_rejects_unsupported_dtype_and_leaves_nothing(tmp_path):
    with pytest.raises(TypeError, match="int64"):
        write_idx(tmp_path / "x.idx", np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match="dimensions"):
        write_idx(tmp_path / "y.idx", np.float32(1.0))
    assert os.listdir(tmp_path) == []


def test_every_code_listed():
    assert set(IDX_DTYPES) == set(CODES)
