"""Atomic file output: write to a temp file in the destination's folder, then ``os.replace``.

Readers therefore see either the old file or the complete new one, never a half-written file,
and a failure (exception, Ctrl-C) leaves no partial file behind. The temp file lives in the same
folder as the destination because ``os.replace`` is only atomic within one filesystem.

``tempfile.mkstemp`` creates its file 0600 (private), which is right while it is being written
but wrong for the result: a checkpoint or dataset written by minisep should get the permissions
any other new file gets. So before the rename the temp file takes the mode of the file it
replaces, or, for a new file, ``0o666`` minus the umask (what ``open(path, "w")`` would give).
"""
from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import threading
from pathlib import Path
from typing import BinaryIO, Iterator

_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows.

    Linux reports it in /proc/self/status. Elsewhere the only way is to set it and put it back;
    a file another thread creates in between would get mode 0666 & ~0, so the lock keeps our own
    callers apart, but threads that create files by other means are not covered (a brief window,
    documented rather than solved: there is no race-free API)."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    with _UMASK_LOCK:
        old = os.umask(0o022)
        os.umask(old)
    return old


def target_mode(path: Path) -> int:
    """Permission bits for the file about to be written at ``path``: those of the regular file it
    replaces (a checkpoint someone made private stays private), else ``0o666 & ~umask``."""
    with contextlib.suppress(OSError):
        st = os.stat(path)
        if stat.S_ISREG(st.st_mode):
            return stat.S_IMODE(st.st_mode) & 0o777  # never carry set-uid/gid bits over
    return 0o666 & ~current_umask()


def _chmod(fd: int, tmp: str, mode: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # Windows: only the read-only bit means anything
        os.chmod(tmp, mode)


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Yield a binary file; on clean exit it is fsynced and renamed onto ``path``, else deleted."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            _chmod(f.fileno(), tmp, target_mode(path))
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_output(path) as f:
        f.write(data)
