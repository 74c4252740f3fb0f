"""The data layer under hostile or unlucky input: decompression bombs, FIFOs and devices, unreadable
files, damaged cached downloads, and the permissions of atomically written files.

Whatever happens, the caller gets a ValueError naming the file (or the documented DownloadError /
FileNotFoundError), never a hang, a blown memory budget or a raw OSError."""
from __future__ import annotations

import ctypes
import functools
import gzip
import hashlib
import http.server
import os
import stat
import struct
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import minisep.data.datasets as ds
from minisep.data import _atomic
from minisep.data.download import (CorruptCacheError, DownloadError, check_hashes, fetch, fetch_cached,
                                   stamp_path, verify_file)
from minisep.data.idx import decompress_if_gzip, idx_bytes, read_idx, read_idx_bytes, write_idx

REPO = Path(__file__).resolve().parents[2]
MNIST_HEADER = bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 60000, 28, 28)  # 47 MB of uint8 declared
ZEROS_MEMBER = 16 << 20  # each gzip member of the bomb expands to 16 MB of zeros


@functools.lru_cache(maxsize=None)
def _zeros_member() -> bytes:
    return gzip.compress(bytes(ZEROS_MEMBER), compresslevel=9, mtime=0)  # ~16 kB


def write_bomb(path: Path, header: bytes = MNIST_HEADER, expands_to: int = 4 << 30) -> Path:
    """A gzip file of a few MB that expands to ``expands_to`` bytes: the header, then zeros.

    Built from concatenated gzip members (valid gzip, and gzip.decompress would inflate all of it),
    written member by member, so the test never holds the expanded data."""
    member = _zeros_member()
    with open(path, "wb") as f:
        f.write(gzip.compress(header, mtime=0))
        for _ in range(expands_to // ZEROS_MEMBER):
            f.write(member)
    return path


def peak_mb(fn, *args, **kw):
    """(exception raised by fn, peak traced allocation in MB, seconds)."""
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        fn(*args, **kw)
    except Exception as e:  # noqa: BLE001 (returned to the test, which checks its type)
        err = e
    else:
        err = None
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return err, peak, seconds


# ---------------------------------------------------------------- decompression bombs


def test_bomb_after_a_plausible_header_stops_at_the_declared_payload(tmp_path):
    bomb = write_bomb(tmp_path / "train-images-idx3-ubyte.gz")
    assert bomb.stat().st_size < 8 << 20  # the file is small; it would expand to 4 GB
    err, peak, seconds = peak_mb(read_idx, bomb)
    assert isinstance(err, ValueError), err
    assert str(bomb) in str(err) and "more data than the header says" in str(err)
    assert peak < 100, f"peak {peak:.0f} MB"  # the 47 MB payload it declares, not 4 GB
    assert seconds < 20


def test_header_claiming_a_huge_payload_is_refused_before_allocating(tmp_path):
    header = bytes([0, 0, 0x0E, 3]) + struct.pack(">3I", 2**20, 2**20, 2**10)  # 2**53 bytes of float64
    bomb = write_bomb(tmp_path / "huge.gz", header, expands_to=ZEROS_MEMBER)
    err, peak, _ = peak_mb(read_idx, bomb)
    assert isinstance(err, ValueError) and str(bomb) in str(err) and "limit" in str(err), err
    assert peak < 5
    # the cap is a parameter: 2**31 items of uint8 are refused at a 1 GiB limit, accepted shapes load
    two_g = bytes([0, 0, 0x08, 1]) + struct.pack(">I", 2**31)
    with pytest.raises(ValueError, match="more than the limit of 1073741824"):
        read_idx_bytes(gzip.compress(two_g), "two-g")
    with pytest.raises(ValueError, match="limit of 10"):
        read_idx_bytes(idx_bytes(np.zeros(11, np.uint8), compress=True), "small", max_bytes=10)
    assert read_idx_bytes(idx_bytes(np.zeros(10, np.uint8), compress=True), "small", max_bytes=10).shape == (10,)


def test_bomb_in_memory_and_in_decompress_if_gzip(tmp_path):
    data = write_bomb(tmp_path / "b.gz", expands_to=1 << 30).read_bytes()
    err, peak, _ = peak_mb(read_idx_bytes, data, "mem-bomb")
    assert isinstance(err, ValueError) and "mem-bomb" in str(err) and "more data" in str(err)
    assert peak < 100 + len(data) / 2**20
    with pytest.raises(ValueError, match="more than the limit of 1048576"):
        decompress_if_gzip(data, "mem-bomb", max_bytes=1 << 20)
    with pytest.raises(ValueError, match="more than the limit"):
        check_hashes(data, "mem-bomb", payload_sha256="0" * 64, max_bytes=1 << 20)


def test_fetch_refuses_a_bomb_before_verifying_it(tmp_path):
    bomb = write_bomb(tmp_path / "mirror.gz")
    dest = tmp_path / "out" / "data.gz"
    err, peak, seconds = peak_mb(fetch, bomb.as_uri(), dest, "0" * 64)  # default max_bytes
    assert isinstance(err, DownloadError) and "decompresses to more than the limit" in str(err), err
    assert peak < 100 and seconds < 20 and not dest.exists()
    with pytest.raises(DownloadError, match="decompresses to more than the limit of 10000000"):
        fetch(bomb.as_uri(), dest, "0" * 64, max_bytes=10_000_000)  # the 4 MB download fits, not its payload
    with pytest.raises(DownloadError, match="response larger than 1000000 bytes"):
        fetch(bomb.as_uri(), dest, "0" * 64, max_bytes=1_000_000)


def test_loader_names_a_bomb_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MINISEP_DATA", raising=False)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(60000, np.uint8))
    bomb = write_bomb(tmp_path / "t10k-images-idx3-ubyte.gz", expands_to=256 << 20)
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.gz.*more data than the header says"):
        ds.load_mnist("test", data_dir=tmp_path, download=False)
    assert bomb.exists()


def test_gzip_trailers_and_truncation(tmp_path):
    raw = idx_bytes(np.arange(6, dtype=np.int16).reshape(2, 3))
    for data, what in ((gzip.compress(raw) + b"garbage!", "gzip"),
                       (gzip.compress(raw) + gzip.compress(b"\x01"), "more data than the header says"),
                       (gzip.compress(raw)[:-3], "gzip"),  # CRC/length trailer cut
                       (gzip.compress(raw[:-1]), "truncated payload")):
        with pytest.raises(ValueError, match=what):
            read_idx_bytes(data, "f.gz")
    back = read_idx_bytes(gzip.compress(raw))
    assert back.dtype == np.int16 and back.dtype.isnative and back.flags.writeable
    np.testing.assert_array_equal(back, np.arange(6).reshape(2, 3))


# ---------------------------------------------------------------- FIFOs, devices, permissions

FIFO_SCRIPT = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    import minisep.data.datasets as ds
    from minisep.data import read_idx, verify_file
    root = Path(sys.argv[1])
    fifo = root / "t10k-images-idx3-ubyte"
    os.mkfifo(fifo)
    results = []
    def expect(fn, *args, **kw):
        try:
            fn(*args, **kw)
        except ValueError as e:
            results.append(str(e))
        else:
            results.append("no error")
    expect(read_idx, fifo)
    expect(verify_file, fifo, payload_sha256="0" * 64)
    expect(read_idx, "/dev/zero")
    expect(ds.load_mnist, "test", data_dir=root, download=False)
    print("\\n".join(results))
""")


def test_fifo_and_device_are_refused_without_hanging(tmp_path):
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(3, np.uint8))
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "xdg"), PYTHONPATH=str(REPO))
    env.pop("MINISEP_DATA", None)
    try:
        r = subprocess.run([sys.executable, "-c", FIFO_SCRIPT, str(tmp_path)], env=env, cwd=str(REPO),
                           capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("reading a FIFO or /dev/zero hung")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 4, r.stdout
    fifo = str(tmp_path / "t10k-images-idx3-ubyte")
    for line in lines[:2] + lines[3:]:
        assert fifo in line and "not a regular file" in line and "FIFO" in line, line
    assert "/dev/zero" in lines[2] and "not a regular file" in lines[2] and "character device" in lines[2]


def test_directory_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not a regular file .*directory"):
        read_idx(tmp_path)
    with pytest.raises(FileNotFoundError, match="nothing-here"):
        read_idx(tmp_path / "nothing-here")


def test_unreadable_file_is_a_value_error_naming_it(tmp_path, monkeypatch):
    path = tmp_path / "secret-idx1-ubyte"
    write_idx(path, np.zeros(3, np.uint8))
    real_open = os.open

    def denied(p, *args, **kw):
        if Path(p) == path:
            raise PermissionError(13, "Permission denied", str(p))
        return real_open(p, *args, **kw)

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(ValueError, match=r"secret-idx1-ubyte: cannot read it \(Permission denied\)"):
        read_idx(path)
    with pytest.raises(ValueError, match="secret-idx1-ubyte"):
        verify_file(path, payload_sha256="0" * 64)


def _drop_root_powers():
    """Make root obey file permissions in a child: drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux permissions")
def test_chmod_000_file_for_real(tmp_path):
    """The same with real permissions: as root, in a child that cannot override them."""
    path = tmp_path / "locked-idx1-ubyte"
    write_idx(path, np.zeros(3, np.uint8))
    path.chmod(0)
    code = ("import sys; from minisep.data import read_idx\n"
            "try:\n    read_idx(sys.argv[1])\nexcept ValueError as e:\n    print(e)\n")
    try:
        r = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, PYTHONPATH=str(REPO)), cwd=str(REPO),
                           preexec_fn=_drop_root_powers if os.geteuid() == 0 else None)
    except OSError as e:  # pragma: no cover  (no prctl: permissions cannot be enforced on root)
        pytest.skip(f"cannot drop root's file powers: {e}")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert str(path) in r.stdout and "Permission denied" in r.stdout


# ---------------------------------------------------------------- stamps on cached downloads

PAYLOAD = idx_bytes(np.arange(300, dtype=np.uint8).reshape(3, 10, 10))
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def http_mirror(tmp_path, monkeypatch):
    """A real HTTP server on 127.0.0.1 serving ``tmp_path/www``; yields (root, base_url, requests)."""
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    root = tmp_path / "www"
    root.mkdir()
    (root / "data.gz").write_bytes(gzip.compress(PAYLOAD, mtime=0))
    requests: list[str] = []

    class Handler(_Quiet):
        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}/", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_stamp_written_and_reused_then_damage_refetched(tmp_path, http_mirror):
    root, url, requests = http_mirror
    dest = tmp_path / "cache" / "data.gz"
    good = (root / "data.gz").read_bytes()
    assert fetch_cached(url + "data.gz", dest, PAYLOAD_SHA) == dest
    assert requests == ["/data.gz"] and dest.read_bytes() == good
    sha = hashlib.sha256(good).hexdigest()
    assert stamp_path(dest).read_text() == f"{sha}  data.gz\n"
    assert sorted(p.name for p in dest.parent.iterdir()) == ["data.gz", "data.gz.sha256"]  # no temp files

    fetch_cached(url + "data.gz", dest, PAYLOAD_SHA)
    assert len(requests) == 1  # stamp matches: no download

    dest.write_bytes(good[:-7])  # truncated after the fact
    logs = []
    fetch_cached(url + "data.gz", dest, PAYLOAD_SHA, log=logs.append)
    assert len(requests) == 2 and dest.read_bytes() == good
    assert "damaged" in logs[0] and str(dest) in logs[0]
    np.testing.assert_array_equal(read_idx(dest), np.arange(300, dtype=np.uint8).reshape(3, 10, 10))


def test_missing_or_stale_stamp_reverifies_without_downloading(tmp_path, http_mirror):
    root, url, requests = http_mirror
    dest = tmp_path / "cache" / "data.gz"
    fetch_cached(url + "data.gz", dest, PAYLOAD_SHA)
    stamp_path(dest).unlink()  # e.g. a file from before stamps existed, or copied in by hand
    fetch_cached(url + "data.gz", dest, PAYLOAD_SHA)
    assert len(requests) == 1 and stamp_path(dest).exists()
    stamp_path(dest).write_text("f" * 64 + "  data.gz\n")  # stale stamp, file still verifies
    fetch_cached(url + "data.gz", dest, PAYLOAD_SHA)
    assert len(requests) == 1 and stamp_path(dest).read_text().startswith(hashlib.sha256(dest.read_bytes()).hexdigest())


def test_damaged_cache_offline_is_a_clear_value_error(tmp_path, http_mirror):
    root, url, requests = http_mirror
    dest = tmp_path / "cache" / "data.gz"
    fetch_cached(url + "data.gz", dest, PAYLOAD_SHA)
    dest.write_bytes(dest.read_bytes()[:20])
    (root / "data.gz").unlink()  # the mirror lost it: HTTP 404
    with pytest.raises(CorruptCacheError) as exc:
        fetch_cached(url + "data.gz", dest, PAYLOAD_SHA)
    assert isinstance(exc.value, ValueError)
    msg = str(exc.value)
    assert str(dest) in msg and "damaged" in msg and "gzip" in msg and "404" in msg
    with pytest.raises(ValueError, match="download disabled"):
        fetch_cached(url + "data.gz", dest, PAYLOAD_SHA, download=False)
    assert dest.read_bytes()[:2] == b"\x1f\x8b" and len(dest.read_bytes()) == 20  # left for inspection
    with pytest.raises(FileNotFoundError):
        fetch_cached(url + "data.gz", tmp_path / "cache" / "other.gz", PAYLOAD_SHA, download=False)


def test_loader_refetches_a_truncated_cached_file(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MINISEP_DATA", raising=False)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    sums = {}
    for base, arr in (("t10k-images-idx3-ubyte", np.full((3, 28, 28), 9, np.uint8)),
                      ("t10k-labels-idx1-ubyte", np.array([1, 2, 3], np.uint8))):
        raw = idx_bytes(arr)
        (mirror / f"{base}.gz").write_bytes(gzip.compress(raw))
        sums[base] = (hashlib.sha256(raw).hexdigest(), "0" * 32)
    monkeypatch.setattr(ds, "MIRRORS", {"mnist": [mirror.as_uri() + "/"]})
    monkeypatch.setattr(ds, "CHECKSUMS", {"mnist": sums})
    monkeypatch.setattr(ds, "SYSTEM_DIRS", {"mnist": []})
    ds.load_mnist("test")
    cached = tmp_path / "xdg" / "minisep" / "mnist" / "t10k-images-idx3-ubyte.gz"
    cached.write_bytes(cached.read_bytes()[:-30])  # damaged after the download
    x, y = ds.load_mnist("test")  # downloaded again, not read truncated
    assert x.shape == (3, 1, 28, 28) and list(y) == [1, 2, 3]
    cached.write_bytes(cached.read_bytes()[:-30])
    with pytest.raises(ValueError, match=r"(?s)t10k-images-idx3-ubyte.gz: cached download is damaged.*--data-dir"):
        ds.load_mnist("test", download=False)
    for p in mirror.iterdir():
        p.unlink()
    with pytest.raises(ValueError, match="downloading it again failed"):
        ds.load_mnist("test")
    os.unlink(cached)
    os.mkfifo(cached)  # a FIFO in the cache is damage too: replaced, without hanging
    for base in sums:
        (mirror / f"{base}.gz").write_bytes(gzip.compress(idx_bytes(
            np.full((3, 28, 28), 9, np.uint8) if "images" in base else np.array([1, 2, 3], np.uint8))))
    assert ds.load_mnist("test")[0].shape == (3, 1, 28, 28)
    assert stat.S_ISREG(os.stat(cached).st_mode)


# ---------------------------------------------------------------- permissions of atomic writes


@pytest.fixture
def umask():
    """Set the umask for one test, restoring it after."""
    saved = os.umask(0o022)
    os.umask(saved)
    yield lambda m: os.umask(m)
    os.umask(saved)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_atomic_writes_honour_the_umask(tmp_path, umask):
    umask(0o022)
    write_idx(tmp_path / "a.idx", np.zeros(2, np.uint8))
    assert stat.S_IMODE(os.stat(tmp_path / "a.idx").st_mode) == 0o644  # not mkstemp's 0600
    umask(0o027)
    _atomic.atomic_write_bytes(tmp_path / "b", b"x")
    assert stat.S_IMODE(os.stat(tmp_path / "b").st_mode) == 0o640
    assert _atomic.current_umask() == 0o027


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_atomic_write_keeps_the_mode_of_the_file_it_replaces(tmp_path, umask):
    umask(0o022)
    path = tmp_path / "private.npz"
    path.write_bytes(b"old")
    path.chmod(0o600)
    _atomic.atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new" and stat.S_IMODE(os.stat(path).st_mode) == 0o600


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_umask_fallback_without_proc(tmp_path, umask, monkeypatch):
    umask(0o077)
    real_open = open

    def no_proc(file, *args, **kw):
        if str(file).startswith("/proc/"):
            raise FileNotFoundError(file)
        return real_open(file, *args, **kw)

    monkeypatch.setattr("builtins.open", no_proc)
    assert _atomic.current_umask() == 0o077
    monkeypatch.undo()
    assert _atomic.current_umask() == 0o077  # the fallback put it back


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_downloads_get_normal_permissions(tmp_path, umask):
    umask(0o022)
    src = tmp_path / "src.gz"
    src.write_bytes(gzip.compress(PAYLOAD))
    dest = fetch_cached(src.as_uri(), tmp_path / "c" / "d.gz", PAYLOAD_SHA)
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o644
    assert stat.S_IMODE(os.stat(stamp_path(dest)).st_mode) == 0o644


def test_unsearchable_data_folder_is_a_value_error(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    real_exists = Path.exists

    def exists(self, *args, **kw):
        if self.parent == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_exists(self, *args, **kw)

    monkeypatch.setattr(Path, "exists", exists)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    with pytest.raises(ValueError, match=r"locked/t10k-images-idx3-ubyte: cannot look for it \(Permission denied\)"):
        ds.load_mnist("test", data_dir=locked, download=False)
