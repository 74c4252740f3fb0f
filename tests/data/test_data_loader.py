"""DataLoader batching, reproducible shuffling, drop_last; mean_std and normalize."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minisep.data import DataLoader, mean_std, normalize


def _data(n=10):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 1, 2)
    return x, np.arange(n, dtype=np.int64)


def test_sequential_batches_and_len():
    x, y = _data(10)
    loader = DataLoader(x, y, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 == len(batches)
    assert [len(yb) for _, yb in batches] == [4, 4, 2]
    assert np.concatenate([yb for _, yb in batches]).tolist() == list(range(10))
    np.testing.assert_array_equal(batches[1][0], x[4:8])
    dl = DataLoader(x, y, batch_size=4, drop_last=True)
    assert len(dl) == 2 and [len(yb) for _, yb in dl] == [4, 4]
    assert len(DataLoader(x, y, batch_size=5, drop_last=True)) == 2
    assert len(DataLoader(x, y, batch_size=11, drop_last=True)) == 0
    assert len(DataLoader(x, y, batch_size=11)) == 1


def _epoch(loader):
    return np.concatenate([yb for _, yb in loader]).tolist()


def test_shuffle_reproducible_and_reshuffled_each_epoch():
    x, y = _data(50)
    a = DataLoader(x, y, 8, shuffle=True, rng=123)
    b = DataLoader(x, y, 8, shuffle=True, rng=np.random.default_rng(123))
    a1, a2 = _epoch(a), _epoch(a)
    assert a1 == _epoch(b) and a2 == _epoch(b)  # same seed -> same sequence of epochs
    assert a1 != a2  # a new order each epoch
    assert sorted(a1) == list(range(50))
    assert a1 != _epoch(DataLoader(x, y, 8, shuffle=True, rng=124))
    for xb, yb in DataLoader(x, y, 8, shuffle=True, rng=5):
        np.testing.assert_array_equal(xb, x[yb])  # x and y stay paired


@settings(max_examples=30, deadline=None)
@given(n=st.integers(0, 40), bs=st.integers(1, 12), drop_last=st.booleans(), seed=st.integers(0, 9))
def test_batches_partition_the_data(n, bs, drop_last, seed):
    x, y = _data(n)
    loader = DataLoader(x, y, bs, shuffle=True, rng=seed, drop_last=drop_last)
    sizes = [len(yb) for _, yb in loader]
    assert len(sizes) == len(loader)
    assert all(s == bs for s in sizes[:-1])
    seen = [int(v) for _, yb in loader for v in yb]
    assert len(seen) == len(set(seen))
    assert len(seen) == (n // bs * bs if drop_last else n)


def test_shuffle_without_rng_draws_from_the_default_generator():
    import minisep as ms
    x, y = _data(20)
    ms.manual_seed(3)
    a = _epoch(DataLoader(x, y, 4, shuffle=True))
    ms.manual_seed(3)
    assert a == _epoch(DataLoader(x, y, 4, shuffle=True))
    assert a != _epoch(DataLoader(x, y, 4, shuffle=True))  # the next stream: another order


def test_dataset_has_torch_len_and_items():
    x, y = _data(10)
    ds = DataLoader(x, y, 4).dataset
    assert len(ds) == 10
    np.testing.assert_array_equal(ds[3][0], x[3])
    assert ds[3][1] == y[3]


def test_validation():
    x, y = _data(10)
    with pytest.raises(ValueError, match="x has 10 .* y has 9"):
        DataLoader(x, y[:9], 2)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(x, y, 0)
    with pytest.raises(TypeError, match="batch_size"):
        DataLoader(x, y, 2.0)
    with pytest.raises(TypeError, match="DataLoader: rng"):
        DataLoader(x, y, 2, shuffle=True, rng="seed")


def test_mean_std_per_channel_and_normalize():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((20, 3, 4, 5)) * [[[[1.0]], [[2.0]], [[0.5]]]] + [[[[0.0]], [[5.0]], [[-1.0]]]]).astype(np.float32)
    mean, std = mean_std(x)
    assert mean.shape == (3,) and mean.dtype == np.float32
    np.testing.assert_allclose(mean, x.mean(axis=(0, 2, 3), dtype=np.float64), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(std, x.std(axis=(0, 2, 3), dtype=np.float64), rtol=1e-5)
    z = normalize(x, mean, std)
    assert z.dtype == np.float32 and z.shape == x.shape
    m2, s2 = mean_std(z)
    np.testing.assert_allclose(m2, 0, atol=1e-5)
    np.testing.assert_allclose(s2, 1, rtol=1e-4)
    np.testing.assert_allclose(normalize(x, 1.0, 2.0), (x - 1) / 2, rtol=1e-6)
    assert normalize(np.zeros((2, 1, 2, 2), np.uint8), 0.5, 0.5).dtype == np.float32
    assert normalize(x.astype(np.float64), mean, std).dtype == np.float64


def test_normalize_and_mean_std_validation():
    x = np.zeros((2, 3, 4, 4), np.float32)
    with pytest.raises(ValueError, match="mean: expected a scalar or 3"):
        normalize(x, [0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="std > 0"):
        normalize(x, 0.0, [1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match=r"x: expected shape"):
        mean_std(np.zeros(5))
