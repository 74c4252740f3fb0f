"""Where a result came from: commit, versions, CPU, date, the exact command and the wall time."""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

from ..bench.timing import cpu_model  # one place reads the CPU model


def _git_commit() -> str:
    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if out.returncode != 0:
        return "unknown"
    return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def _cores() -> int:
    """The cores this process may run on (its affinity mask), else the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def stamp(command: list[str] | None = None, wall_seconds: float | None = None) -> dict:
    import numba
    import numpy

    import minisep

    argv = command if command is not None else [Path(sys.argv[0]).name] + sys.argv[1:]
    return {"commit": _git_commit(), "minisep": getattr(minisep, "__version__", "unknown"),
            "python": platform.python_version(), "numpy": numpy.__version__, "numba": numba.__version__,
            "cpu": cpu_model(), "cores": _cores(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "command": " ".join(shlex.quote(a) for a in argv),
            "wall_seconds": None if wall_seconds is None else round(float(wall_seconds), 1)}


def stamp_line(s: dict) -> str:
    """One Markdown line naming where the numbers come from."""
    wall = "" if s.get("wall_seconds") is None else f", wall time {s['wall_seconds']:.0f} s"
    return (f"*Stamp: commit {s['commit']}, minisep {s['minisep']}, Python {s['python']}, numpy {s['numpy']}, "
            f"numba {s['numba']}, {s['cpu']} ({s['cores']} cores), {s['date']}{wall}; `{s['command']}`*")
