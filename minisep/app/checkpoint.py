"""Checkpoints as plain ``.npz`` files: written atomically, read with ``allow_pickle=False``.

Layout: every entry of ``model.state_dict()`` under its own name, plus ``__meta__``, a JSON string
(model name, input shape, dataset, normalisation, epoch, metrics, and for ``train --resume`` the
scheduler, generator states and history) stored as a 0-d unicode array so that no pickle is ever
needed; entries named ``__optim__/...`` hold the optimizer state (``Optimizer.flat_state_dict``).

Loading trusts nothing: the file must be a regular, readable zip archive (a FIFO is refused before
it is opened, so nothing hangs), and every entry's declared shape must fit the bytes it has
before any array is allocated. Every problem is a ValueError naming the file.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..data._atomic import atomic_output
from ..data.idx import open_regular

META_KEY = "__meta__"
EXTRA_PREFIX = "__optim__/"
ZIP_MAGIC = b"PK\x03\x04"
MAX_RATIO = 1000  # a deflated entry expanding more than this is a bomb, not a checkpoint


def save_checkpoint(path, state: dict, meta: dict | None = None, extra: dict | None = None) -> Path:
    """Save ``state`` ({name: ndarray}), ``meta`` (JSON-able dict) and ``extra`` ({name: ndarray},
    stored under ``EXTRA_PREFIX``) to ``path`` (.npz added if missing)."""
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    arrays = {name: np.asarray(value) for name, value in state.items()}
    arrays.update({EXTRA_PREFIX + name: np.asarray(value) for name, value in (extra or {}).items()})
    if META_KEY in state:
        raise ValueError(f"save_checkpoint: {META_KEY!r} is reserved")
    for name, a in arrays.items():
        if a.dtype == object:
            raise TypeError(f"save_checkpoint: entry {name!r} has dtype object, which would need pickle")
    arrays[META_KEY] = np.array(json.dumps(meta or {}))
    with atomic_output(path) as f:  # temp file + rename: never a half-written checkpoint
        np.savez(f, **arrays)
    return path


def _read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """One .npy entry, its header checked against the entry's size before the array is allocated."""
    if info.compress_type != zipfile.ZIP_STORED and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise ValueError(f"entry {info.filename!r} claims to expand {info.compress_size} -> {info.file_size} bytes")
    with zf.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        if dtype.hasobject:
            raise ValueError(f"entry {info.filename!r} holds Python objects (would need pickle)")
        need = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if need > info.file_size:
            raise ValueError(f"entry {info.filename!r} declares shape {shape} of {dtype} ({need} bytes) "
                             f"but holds {info.file_size} bytes")
        data = f.read(need)
        if len(data) != need:
            raise ValueError(f"entry {info.filename!r} is truncated")
    a = np.frombuffer(data, dtype=dtype)
    return (a.reshape(shape[::-1]).T if fortran else a.reshape(shape)).copy()


def load_checkpoint(path, with_extra: bool = False):
    """(state, meta) from a checkpoint written by ``save_checkpoint``; (state, meta, extra) with
    ``with_extra``. Never unpickles. FileNotFoundError if absent; ValueError for anything else."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"load_checkpoint: no checkpoint at {path}")
    state, extra, meta = {}, {}, {}
    try:  # a FIFO or device would block or never end: data/idx.py's open_regular refuses them
        f = open_regular(path)
    except ValueError as e:
        raise ValueError(f"load_checkpoint: {e}") from None
    with f:
        if f.read(4) != ZIP_MAGIC:
            raise ValueError(f"load_checkpoint: {path} is not an .npz archive (a .npy file, or not numpy at all?)")
        f.seek(0)
        try:
            with zipfile.ZipFile(f) as zf:
                for info in zf.infolist():
                    name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
                    array = _read_entry(zf, info)
                    if name == META_KEY:
                        meta = json.loads(str(array))
                    elif name.startswith(EXTRA_PREFIX):
                        extra[name[len(EXTRA_PREFIX):]] = array
                    else:
                        state[name] = array
        except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, KeyError) as e:
            raise ValueError(f"load_checkpoint: {path} is not a valid minisep checkpoint ({e})") from None
    if not isinstance(meta, dict):
        raise ValueError(f"load_checkpoint: {path}: {META_KEY} is not a JSON object")
    return (state, meta, extra) if with_extra else (state, meta)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


META_TYPES = {  # key -> (check, what it should be): what evaluate and --resume rely on
    "model": (lambda v: isinstance(v, str), "a model name"),
    "dataset": (lambda v: isinstance(v, str), "a dataset name"),
    "input_shape": (lambda v: isinstance(v, list) and len(v) == 3
                    and all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in v), "[C, H, W]"),
    "num_classes": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1, "an int >= 1"),
    "mean": (lambda v: isinstance(v, list) and len(v) >= 1 and all(_is_number(n) for n in v), "a list of numbers"),
    "std": (lambda v: isinstance(v, list) and len(v) >= 1 and all(_is_number(n) and n > 0 for n in v),
            "a list of numbers > 0"),
    "width": (lambda v: _is_number(v) and v > 0, "a number > 0"),
}


def check_meta(meta: dict, path) -> None:
    """ValueError naming ``path`` and the key when the model description is missing or mistyped."""
    for key, (ok, what) in META_TYPES.items():
        if key == "width" and key not in meta:
            continue  # older checkpoints: width 1.0
        if key not in meta:
            raise ValueError(f"{path} has no {key!r} in its metadata; was it written by `minisep train --out`?")
        if not ok(meta[key]):
            raise ValueError(f"{path}: metadata {key!r} should be {what}, got {meta[key]!r}")
