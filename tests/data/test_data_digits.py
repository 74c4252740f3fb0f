"""The embedded UCI digits: size, format, attribution, deterministic disjoint split."""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

import minisep.data
from minisep.data import load_digits
from minisep.data.digits import read_digits_csv, stratified_split

PKG = Path(minisep.data.__file__).parent


def test_embedded_files_and_attribution():
    assert (PKG / "digits.csv.gz").is_file()
    text = (PKG / "DIGITS_LICENSE.txt").read_text()
    assert "CC BY 4.0" in text and "Alpaydin" in text
    assert "CC BY 4.0" in minisep.data.digits.__doc__


def test_all_1797_images():
    x, y = load_digits()
    assert x.shape == (1797, 1, 8, 8) and x.dtype == np.float32 and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    assert set(np.unique(y)) == set(range(10))
    x[0] = 5.0  # callers own their copy: the cache is unaffected
    assert load_digits()[0].max() == 1.0


def test_split_disjoint_complete_stratified_deterministic():
    _, y = load_digits()
    train_idx, test_idx = stratified_split(y)
    assert np.intersect1d(train_idx, test_idx).size == 0
    assert np.array_equal(np.union1d(train_idx, test_idx), np.arange(1797))
    frac = np.bincount(y[test_idx], minlength=10) / np.bincount(y, minlength=10)
    assert np.all(np.abs(frac - 0.2) < 0.01)
    xtr, ytr = load_digits("train")
    xte, yte = load_digits("test")
    assert len(xtr) == 1438 and len(xte) == 359
    xall, _ = load_digits()
    np.testing.assert_array_equal(xtr, xall[train_idx])
    np.testing.assert_array_equal(xte, xall[test_idx])
    xtr2, ytr2 = load_digits("train")
    np.testing.assert_array_equal(xtr, xtr2)
    np.testing.assert_array_equal(ytr, ytr2)
    assert test_idx[:5].tolist() == stratified_split(y)[1][:5].tolist()


def test_bad_split_and_bad_csv(tmp_path):
    with pytest.raises(ValueError, match="split"):
        load_digits("val")
    bad = tmp_path / "digits.csv.gz"
    bad.write_bytes(gzip.compress(b"1,2,3\n"))
    with pytest.raises(ValueError, match="65 columns"):
        read_digits_csv(bad)
    bad.write_bytes(gzip.compress(b",".join([b"17"] * 64 + [b"1"]) + b"\n"))
    with pytest.raises(ValueError, match="0..16"):
        read_digits_csv(bad)
    bad.write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(ValueError, match=str(bad)):
        read_digits_csv(bad)
