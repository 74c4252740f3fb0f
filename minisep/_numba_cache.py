"""Give numba somewhere to cache compiled kernels, so ``import minisep`` works from a read-only install.

minisep's kernels are ``@njit(cache=True)``. numba picks the cache folder when the decorator runs,
that is while ``minisep`` is being imported, trying in turn ``$NUMBA_CACHE_DIR``, the
``__pycache__`` next to the source file, and a user-wide folder (``$XDG_CACHE_HOME/numba``, by
default ``~/.cache/numba``). When none is writable (a package installed read-only, run by a user
whose HOME is read-only, as in some containers and CI sandboxes) the decorator raises
``RuntimeError: cannot cache function ...: no locator available`` and nothing imports.

This module runs first in ``minisep/__init__.py``, before numba is imported: if ``NUMBA_CACHE_DIR``
is unset and neither default folder is writable, it points ``NUMBA_CACHE_DIR`` at a private folder
in the temp directory and says so in one line on stderr. The variable is then inherited by child
processes too (the benchmarks' isolated runs), which is what we want. Setting ``NUMBA_CACHE_DIR``
yourself always wins and silences the message.
"""
from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Callable, Mapping

KERNEL_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernels")  # every cached kernel


def can_write(folder: str) -> bool:
    """Whether numba could cache into ``folder``: the same probe as numba's own (create the folder,
    then a temporary file in it), so the answer matches what the decorator will find."""
    try:
        os.makedirs(folder, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError:
        return False
    return True


def user_wide_dir(env: Mapping[str, str], home: str) -> str:
    """numba's user-wide cache folder (numba.misc.appdirs.user_cache_dir('numba')), computed without
    importing numba, because importing it would read NUMBA_CACHE_DIR before we could set it."""
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Caches", "numba")
    if sys.platform == "win32":
        return os.path.join(env.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local"), "numba", "Cache")
    return os.path.join(env.get("XDG_CACHE_HOME") or os.path.join(home, ".cache"), "numba")


def choose_cache_dir(env: Mapping[str, str], kernel_dir: str, home: str,
                     writable: Callable[[str], bool] = can_write) -> str | None:
    """The folder to put in NUMBA_CACHE_DIR, or None when numba's defaults already work.

    None when the user set NUMBA_CACHE_DIR, or when ``kernel_dir/__pycache__`` or the user-wide
    folder is writable (numba's own order); otherwise a folder of ours in the temp directory."""
    if env.get("NUMBA_CACHE_DIR"):
        return None
    if writable(os.path.join(kernel_dir, "__pycache__")) or writable(user_wide_dir(env, home)):
        return None
    return fallback_dir()


def _is_private(folder: str) -> bool:
    """True when ``folder`` is a real directory of ours that nobody else can write: numba's cache
    holds pickles and machine code, so a folder another user planted in /tmp must not be used."""
    try:
        st = os.lstat(folder)
    except OSError:
        return False
    owner_ok = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    return stat.S_ISDIR(st.st_mode) and owner_ok and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def fallback_dir() -> str:
    """``<tempdir>/minisep-numba-cache-<uid>``, created 0700 so it can be reused across runs; a fresh
    ``mkdtemp`` folder when that name is taken by something we cannot trust or write."""
    uid = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    folder = os.path.join(tempfile.gettempdir(), f"minisep-numba-cache-{uid}")
    try:
        os.mkdir(folder, 0o700)
    except OSError:
        pass  # already there (checked below), or the temp dir is not writable (mkdtemp says so)
    if _is_private(folder) and can_write(folder):
        return folder
    return tempfile.mkdtemp(prefix="minisep-numba-cache-")


def configure() -> None:
    """Set NUMBA_CACHE_DIR when needed (see the module docstring); called once at import."""
    try:
        folder = choose_cache_dir(os.environ, KERNEL_DIR, os.path.expanduser("~"))
    except OSError:
        return  # not even a temp dir: leave numba to report its own error
    if folder is None:
        return
    os.environ["NUMBA_CACHE_DIR"] = folder
    config = sys.modules.get("numba.core.config")
    if config is not None:  # numba was imported before minisep: make it re-read the environment
        config.reload_config()
    print(f"minisep: warning: no writable numba cache next to the package or in the user cache; "
          f"caching compiled kernels in {folder} (set NUMBA_CACHE_DIR to choose another)", file=sys.stderr)


configure()
