"""Checkpoints: atomic .npz, no pickle, clear errors."""

import numpy as np
import pytest

from minisep.app.checkpoint import load_checkpoint, save_checkpoint


def test_round_trip_with_meta(tmp_path):
    state = {"conv.weight": np.arange(6.0, dtype=np.float32).reshape(2, 3), "bn.num_batches_tracked": np.array(3)}
    path = save_checkpoint(tmp_path / "model", state, {"model": "separable", "input_shape": [1, 8, 8]})
    assert path.suffix == ".npz" and path.exists()
    loaded, meta = load_checkpoint(path)
    assert meta == {"model": "separable", "input_shape": [1, 8, 8]}
    assert loaded.keys() == state.keys()
    assert loaded["conv.weight"].dtype == np.float32 and np.array_equal(loaded["conv.weight"], state["conv.weight"])
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp") or p.name.endswith(".part")]


def test_object_arrays_are_refused(tmp_path):
    with pytest.raises(TypeError, match="pickle"):
        save_checkpoint(tmp_path / "x.npz", {"bad": np.array([{"a": 1}], dtype=object)})
    assert not list(tmp_path.iterdir())


def test_pickled_file_is_never_unpickled(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, obj=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="not a valid minisep checkpoint"):
        load_checkpoint(path)


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "nope.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="bad.npz"):
        load_checkpoint(bad)
