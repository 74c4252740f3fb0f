"""numba's cache folder: minisep imports and compiles from a read-only install with a read-only HOME."""
from __future__ import annotations

import ctypes
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import minisep
from minisep import _numba_cache as nc

PACKAGE = Path(minisep.__file__).resolve().parent


def test_user_set_dir_wins():
    assert nc.choose_cache_dir({"NUMBA_CACHE_DIR": "/x"}, "/k", "/h", writable=lambda p: False) is None


def test_in_tree_then_user_wide_then_fallback(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    env = {"XDG_CACHE_HOME": "/xdg"}
    asked = []

    def only(ok):
        return lambda p: asked.append(p) or p == ok

    assert nc.choose_cache_dir(env, "/k", "/h", writable=only("/k/__pycache__")) is None
    assert asked == ["/k/__pycache__"]
    user_wide = nc.user_wide_dir(env, "/h")
    assert nc.choose_cache_dir(env, "/k", "/h", writable=only(user_wide)) is None
    got = nc.choose_cache_dir(env, "/k", "/h", writable=only("nothing"))
    assert got == str(tmp_path / f"minisep-numba-cache-{os.getuid()}")
    assert stat.S_IMODE(os.stat(got).st_mode) == 0o700
    assert nc.fallback_dir() == got  # reused on the next run


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="XDG layout")
def test_user_wide_dir_follows_xdg():
    assert nc.user_wide_dir({"XDG_CACHE_HOME": "/xdg"}, "/h") == "/xdg/numba"
    assert nc.user_wide_dir({}, "/h") == "/h/.cache/numba"


def test_planted_fallback_folder_is_not_used(tmp_path, monkeypatch):
    """A same-named folder that others can write (or a symlink) could feed us machine code."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    planted = tmp_path / f"minisep-numba-cache-{os.getuid()}"
    planted.mkdir()
    planted.chmod(0o777)
    got = nc.fallback_dir()
    assert got != str(planted) and Path(got).parent == tmp_path and nc._is_private(got)
    planted.rmdir()
    planted.symlink_to(tmp_path / "elsewhere")
    (tmp_path / "elsewhere").mkdir()
    assert nc.fallback_dir() != str(planted)


def test_can_write(tmp_path):
    assert nc.can_write(str(tmp_path / "new" / "__pycache__"))
    (tmp_path / "file").write_text("")
    assert not nc.can_write(str(tmp_path / "file" / "__pycache__"))


def _drop_root_powers():
    """Make root obey file permissions in the child (drop CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH from
    the bounding set before exec), so a read-only folder really is read-only for it."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _root_can_drop() -> bool:
    try:
        r = subprocess.run(["true"], preexec_fn=_drop_root_powers, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return r.returncode == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux permissions/capabilities")
def test_import_and_compile_from_read_only_install():
    if os.geteuid() == 0 and not _root_can_drop():
        pytest.skip("running as root and cannot drop CAP_DAC_OVERRIDE: permissions would be ignored")
    work = Path(tempfile.mkdtemp(prefix="minisep-ro-"))
    try:
        site, home, tmp = work / "site", work / "home", work / "tmp"
        shutil.copytree(PACKAGE, site / "minisep", ignore=shutil.ignore_patterns("__pycache__"))
        home.mkdir()
        tmp.mkdir()
        for folder in (site, home):
            subprocess.run(["chmod", "-R", "a-w", str(folder)], check=True)
        env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME")}
        env.update(HOME=str(home), TMPDIR=str(tmp), PYTHONPATH=str(site), PYTHONDONTWRITEBYTECODE="1")
        code = ("import minisep, numpy as np; assert minisep.__file__.startswith(%r), minisep.__file__; "
                "y = minisep.tensor([1.0, -2.0]).relu(); assert np.array_equal(y.numpy(), [1.0, 0.0])"
                % str(site))
        r = subprocess.run([sys.executable, "-c", code], env=env, cwd=str(site), capture_output=True,
                           text=True, timeout=300,
                           preexec_fn=_drop_root_powers if os.geteuid() == 0 else None)
        assert r.returncode == 0, r.stderr
        cache = tmp / f"minisep-numba-cache-{os.geteuid()}"
        lines = [line for line in r.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "NUMBA_CACHE_DIR" in lines[0] and str(cache) in lines[0], r.stderr
        assert any(p.suffix == ".nbi" for p in cache.rglob("*")), "no kernel was cached in the fallback folder"
        assert not list((site / "minisep" / "kernels").glob("__pycache__"))
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(work)], check=False)
        shutil.rmtree(work, ignore_errors=True)


def test_configure_sets_the_variable_and_updates_a_loaded_numba(tmp_path, monkeypatch, capsys):
    """numba imported before minisep has read its config already: configure makes it re-read."""
    from numba.core import config

    monkeypatch.setattr(nc, "choose_cache_dir", lambda env, kernel_dir, home: str(tmp_path))
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    try:
        nc.configure()
        assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path) and config.CACHE_DIR == str(tmp_path)
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and str(tmp_path) in err and "NUMBA_CACHE_DIR" in err
    finally:
        monkeypatch.undo()  # the variable as it was, then numba's config as it was
        config.reload_config()
    assert config.CACHE_DIR == os.environ.get("NUMBA_CACHE_DIR", "")


def test_nothing_said_when_numba_defaults_work(monkeypatch, capsys):
    monkeypatch.setattr(nc, "choose_cache_dir", lambda env, kernel_dir, home: None)
    nc.configure()
    assert capsys.readouterr().err == ""
