"""Incremental, resumable result files: one JSON per experiment, rewritten atomically after every run."""

from __future__ import annotations

import json
import time
from pathlib import Path

from ..data._atomic import atomic_write_bytes
from .stamp import stamp


class ResultFile:
    """``out/NAME.json`` = {"name", "config", "stamp", "runs": {key: run}}. A run whose key is already
    there (from an earlier, interrupted call with the same config) is not trained again."""

    def __init__(self, out: Path, name: str, config: dict, command: list[str] | None = None):
        self.path = Path(out) / f"{name}.json"
        self.name, self.config, self.command = name, config, command
        self.runs: dict = {}
        self.previous_wall = 0.0
        if self.path.exists():
            old = json.loads(self.path.read_text())
            if old.get("config") == config:
                self.runs = old.get("runs", {})
                self.previous_wall = float(old.get("stamp", {}).get("wall_seconds") or 0.0)
        self.start = time.perf_counter()

    def get(self, key: str, thunk) -> dict:
        if key not in self.runs:
            self.runs[key] = thunk()
            self.save()
        return self.runs[key]

    def save(self, extra: dict | None = None) -> None:
        wall = self.previous_wall + time.perf_counter() - self.start
        obj = {"name": self.name, "config": self.config, "stamp": stamp(self.command, wall), "runs": self.runs}
        obj.update(extra or {})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path, (json.dumps(obj, indent=1, sort_keys=True) + "\n").encode())


def load(path) -> dict:
    return json.loads(Path(path).read_text())
