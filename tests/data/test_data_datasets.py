"""Dataset loaders: search order, download into the cache, the offline error, real files."""
from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest

import minisep.data.datasets as ds
from minisep.data import (CLASS_NAMES, DatasetNotFoundError, load_dataset, load_fashion_mnist,
                          load_mnist, read_idx, verify_file, write_idx)
from minisep.data.download import write_stamp
from minisep.data.idx import idx_bytes

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} not present")
FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


@pytest.fixture
def env(tmp_path, monkeypatch):
    """No real HOME, cache, $MINISEP_DATA, system folder or network: everything under tmp_path."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MINISEP_DATA", raising=False)
    monkeypatch.setattr(ds, "SYSTEM_DIRS", {"mnist": [], "fashion-mnist": [tmp_path / "system"]})
    dead = (tmp_path / "no-mirror").as_uri() + "/"
    monkeypatch.setattr(ds, "MIRRORS", {"mnist": [dead], "fashion-mnist": [dead]})
    return tmp_path


def make_split(folder: Path, fill: int, split="train", n=5, gz=True, stamp=False) -> None:
    """Write a tiny split whose every pixel equals ``fill`` (to tell folders apart).

    ``stamp``: also write the ``.sha256`` stamps a verified download gets, as the cache needs
    (these files match no published checksum, so only a stamp makes the cache trust them)."""
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if gz else ""
    for base, arr in zip(FILES[split], (np.full((n, 28, 28), fill, dtype=np.uint8),
                                        (np.arange(n) % 10).astype(np.uint8))):
        write_idx(folder / (base + suffix), arr)
        if stamp:
            write_stamp(folder / (base + suffix), hashlib.sha256((folder / (base + suffix)).read_bytes()).hexdigest())


def loaded_fill(**kw) -> int:
    x, y = load_fashion_mnist("train", download=False, **kw)
    assert x.dtype == np.float32 and x.shape[1:] == (1, 28, 28) and y.dtype == np.int64
    return int(round(x[0, 0, 0, 0] * 255))


def test_search_order_data_dir_env_cache_system(env, monkeypatch):
    make_split(env / "system", 4)
    assert loaded_fill() == 4
    make_split(env / "xdg" / "minisep" / "fashion-mnist", 3, stamp=True)
    assert loaded_fill() == 3
    make_split(env / "envdir" / "fashion-mnist", 2, gz=False)  # subfolder form, raw files
    monkeypatch.setenv("MINISEP_DATA", str(env / "envdir"))
    assert loaded_fill() == 2
    make_split(env / "given", 1)  # files directly in data_dir
    assert loaded_fill(data_dir=env / "given") == 1
    assert loaded_fill(data_dir=str(env / "given")) == 1


def test_folder_needs_both_files_of_the_split(env):
    make_split(env / "given", 1)
    (env / "given" / "train-labels-idx1-ubyte.gz").unlink()
    make_split(env / "xdg" / "minisep" / "fashion-mnist", 3, stamp=True)
    assert loaded_fill(data_dir=env / "given") == 3


def test_cache_defaults_to_home_dot_cache(env, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert ds.cache_dir("mnist") == env / "home" / ".cache" / "minisep" / "mnist"
    make_split(env / "home" / ".cache" / "minisep" / "mnist", 7, split="test", stamp=True)
    x, y = load_mnist("test", download=False)
    assert x.shape == (5, 1, 28, 28) and np.allclose(x, 7 / 255) and list(y) == [0, 1, 2, 3, 4]


def test_download_into_cache_then_reuse(env, monkeypatch):
    mirror = env / "mirror"
    mirror.mkdir()
    sums = {}
    for base, arr in (("t10k-images-idx3-ubyte", np.full((3, 28, 28), 9, np.uint8)),
                      ("t10k-labels-idx1-ubyte", np.array([1, 2, 3], np.uint8))):
        raw = idx_bytes(arr)
        (mirror / f"{base}.gz").write_bytes(gzip.compress(raw, compresslevel=1))
        sums[base] = (hashlib.sha256(raw).hexdigest(), "0" * 32)  # payload right, md5 wrong
    dead = (env / "dead").as_uri() + "/"
    monkeypatch.setattr(ds, "MIRRORS", {"mnist": [dead, mirror.as_uri() + "/"]})
    monkeypatch.setattr(ds, "CHECKSUMS", {"mnist": sums})
    x, y = load_mnist("test")
    assert x.shape == (3, 1, 28, 28) and list(y) == [1, 2, 3]
    cache = env / "xdg" / "minisep" / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == [
        "t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz.sha256",
        "t10k-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz.sha256"]  # each with its stamp
    for p in mirror.iterdir():
        p.unlink()  # mirror gone: the cached copy is used
    assert load_mnist("test")[0].shape == (3, 1, 28, 28)


def test_offline_error_names_every_place_and_remedy(env, monkeypatch):
    monkeypatch.setenv("MINISEP_DATA", str(env / "envdir"))
    with pytest.raises(DatasetNotFoundError) as exc:
        load_fashion_mnist("test", data_dir=env / "given")
    err, msg = exc.value, str(exc.value)
    assert isinstance(err, RuntimeError)
    places = [env / "given", env / "given" / "fashion-mnist", env / "envdir",
              env / "envdir" / "fashion-mnist", env / "xdg" / "minisep" / "fashion-mnist",
              env / "system"]
    assert err.searched == places
    for p in places:
        assert str(p) in msg
    for needle in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "--data-dir",
                   "MINISEP_DATA", "--dataset digits", "Download into", "no-mirror"):
        assert needle in msg
    cache = env / "xdg" / "minisep" / "fashion-mnist"
    assert not cache.exists() or list(cache.iterdir()) == []  # no partial download


def test_download_disabled_error(env):
    with pytest.raises(DatasetNotFoundError, match=r"download=False"):
        load_mnist("train", download=False)


def test_corrupt_local_file_names_it(env):
    folder = env / "given"
    make_split(folder, 1)
    bad = folder / "train-images-idx3-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:-20])
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.gz"):
        load_fashion_mnist("train", data_dir=folder, download=False)


def test_mismatched_images_and_labels(env):
    folder = env / "given"
    make_split(folder, 1, n=5)
    write_idx(folder / "train-labels-idx1-ubyte.gz", np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match="5 images but .* 4 labels"):
        load_fashion_mnist("train", data_dir=folder, download=False)
    write_idx(folder / "train-images-idx3-ubyte.gz", np.zeros((4, 8, 8), np.uint8))
    with pytest.raises(ValueError, match=r"\(N, 28, 28\)"):
        load_fashion_mnist("train", data_dir=folder, download=False)


def test_load_dataset_dispatch_and_bad_args(env):
    make_split(env / "given", 5, split="test")
    x, _ = load_dataset("fashion_mnist", "test", data_dir=env / "given", download=False)
    assert np.allclose(x, 5 / 255)
    x, y = load_dataset("digits", "test")
    assert x.shape[1:] == (1, 8, 8)
    with pytest.raises(ValueError, match="unknown dataset 'cifar'"):
        load_dataset("cifar", "train")
    with pytest.raises(ValueError, match="split"):
        load_mnist("valid")
    with pytest.raises(ValueError, match="split"):
        load_dataset("digits", "all")
    assert len(CLASS_NAMES["fashion-mnist"]) == 10 and CLASS_NAMES["fashion-mnist"][9] == "Ankle boot"


@needs_shared
def test_real_mnist_test_set():
    images = read_idx(SHARED / "mnist" / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(SHARED / "mnist" / "t10k-labels-idx1-ubyte.gz")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and labels.min() == 0 and labels.max() == 9
    assert np.all(np.bincount(labels) > 800)
    x, y = load_mnist("test", data_dir=SHARED, download=False)  # via the <dir>/mnist/ subfolder
    assert x.shape == (10000, 1, 28, 28) and 0.0 <= x.min() and x.max() == 1.0
    np.testing.assert_array_equal(y, labels)
    assert read_idx(SHARED / "mnist" / "train-labels-idx1-ubyte.gz").shape == (60000,)


@needs_shared
def test_real_fashion_mnist_train_set():
    x, y = load_fashion_mnist("train", data_dir=SHARED / "fashion-mnist", download=False)
    assert x.shape == (60000, 1, 28, 28) and x.dtype == np.float32
    assert np.array_equal(np.bincount(y), np.full(10, 6000))


@needs_shared
@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_payload_checksums_match_real_files(name):
    upstream_md5_matches = []
    for base, (payload_sha, gz_md5) in ds.CHECKSUMS[name].items():
        path = SHARED / name / f"{base}.gz"
        if not path.exists():  # MNIST train images are not in the shared folder
            assert name == "mnist" and base == "train-images-idx3-ubyte" and payload_sha is None
            continue
        assert verify_file(path, payload_sha256=payload_sha)
        assert not verify_file(path, payload_sha256="0" * 64)
        upstream_md5_matches.append(verify_file(path, archive_md5=gz_md5))
    # MNIST files here are the official gz files; Fashion-MNIST's are Debian's recompressed
    # copies: their gz md5 differs from upstream, only the payload check passes.
    assert all(upstream_md5_matches) if name == "mnist" else not any(upstream_md5_matches)
