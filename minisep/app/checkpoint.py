"""Checkpoints as plain ``.npz`` files: written atomically, read with ``allow_pickle=False``.

Layout: every entry of ``model.state_dict()`` under its own name, plus ``__meta__``, a JSON string
(model name, input shape, dataset, normalisation, epoch, metrics) stored as a 0-d unicode array so
that no pickle is ever needed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..data._atomic import atomic_output

META_KEY = "__meta__"


def save_checkpoint(path, state: dict, meta: dict | None = None) -> Path:
    """Save ``state`` ({name: ndarray}) and ``meta`` (JSON-able dict) to ``path`` (.npz added if missing)."""
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    arrays = {name: np.asarray(value) for name, value in state.items()}
    if META_KEY in arrays:
        raise ValueError(f"save_checkpoint: {META_KEY!r} is reserved")
    for name, a in arrays.items():
        if a.dtype == object:
            raise TypeError(f"save_checkpoint: entry {name!r} has dtype object, which would need pickle")
    arrays[META_KEY] = np.array(json.dumps(meta or {}))
    with atomic_output(path) as f:  # temp file + rename: never a half-written checkpoint
        np.savez(f, **arrays)
    return path


def load_checkpoint(path) -> tuple[dict, dict]:
    """Return (state, meta) from a checkpoint written by ``save_checkpoint``. Never unpickles."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"load_checkpoint: no checkpoint at {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            state = {k: z[k] for k in z.files if k != META_KEY}
            meta = json.loads(str(z[META_KEY])) if META_KEY in z.files else {}
    except (ValueError, OSError, EOFError) as e:
        raise ValueError(f"load_checkpoint: {path} is not a valid minisep checkpoint ({e})") from None
    return state, meta
