"""Result files: one JSON per experiment, rewritten atomically after every run (so an interrupted call
loses at most the run in progress, and ``resume=True`` continues it)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from ..data._atomic import atomic_write_bytes
from .stamp import stamp


class ResultFile:
    """``out/NAME.json`` = {"name", "config", "stamp", "runs": {key: run}, ...extra}.

    resume=False (the default) starts afresh, so a regenerated file holds only runs of this code.
    resume=True keeps the runs of an earlier, interrupted call with the same config and trains the rest."""

    def __init__(self, out: Path, name: str, config: dict, command: list[str] | None = None, resume: bool = False):
        self.path = Path(out) / f"{name}.json"
        self.name, self.config, self.command = name, config, command
        self.runs: dict = {}
        self.extra: dict = {}
        self.previous_wall = 0.0
        if resume and self.path.exists():
            old = json.loads(self.path.read_text())
            if old.get("config") == json.loads(json.dumps(config)):
                self.runs = old.get("runs", {})
                self.previous_wall = float(old.get("stamp", {}).get("wall_seconds") or 0.0)
        self.start = time.perf_counter()

    def get(self, key: str, thunk) -> dict:
        if key not in self.runs:
            self.runs[key] = thunk()
            self.save()
        return self.runs[key]

    def save(self) -> None:
        wall = self.previous_wall + time.perf_counter() - self.start
        obj = dict(self.extra, name=self.name, config=self.config, stamp=stamp(self.command, wall), runs=self.runs)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path, (json.dumps(obj, indent=1, sort_keys=True) + "\n").encode())


def load(path) -> dict:
    return json.loads(Path(path).read_text())
