"""fetch(): mirrors, checksum of the payload or of the file, atomic writes; no network needed."""
from __future__ import annotations

import gzip
import hashlib
import io
import os
import urllib.error

import numpy as np
import pytest

from minisep.data.download import DownloadError, check_hashes, fetch, verify_file
from minisep.data.idx import idx_bytes, read_idx

PAYLOAD = idx_bytes(np.arange(200, dtype=np.uint8).reshape(2, 10, 10))
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture
def mirror(tmp_path):
    """A local 'mirror' folder holding good.gz, a differently compressed copy, and bad files."""
    root = tmp_path / "mirror"
    root.mkdir()
    (root / "good.gz").write_bytes(gzip.compress(PAYLOAD, compresslevel=9, mtime=0))
    (root / "recompressed.gz").write_bytes(gzip.compress(PAYLOAD, compresslevel=1, mtime=123))
    (root / "other.gz").write_bytes(gzip.compress(PAYLOAD[:-1] + b"\x07", mtime=0))
    (root / "corrupt.gz").write_bytes(gzip.compress(PAYLOAD)[:30])
    return root


def _url(path):
    return path.resolve().as_uri()


def _dest_dir_clean(dest):
    """Only the destination itself (if any) in its folder: no temp/partial files."""
    if not dest.parent.exists():
        return True
    return [p for p in os.listdir(dest.parent) if p != dest.name] == []


def test_success_writes_file_atomically(tmp_path, mirror):
    dest = tmp_path / "out" / "data.gz"
    got = fetch([_url(mirror / "good.gz")], dest, PAYLOAD_SHA)
    assert got == dest
    assert dest.read_bytes() == (mirror / "good.gz").read_bytes()  # kept as downloaded
    np.testing.assert_array_equal(read_idx(dest), np.arange(200, dtype=np.uint8).reshape(2, 10, 10))
    assert _dest_dir_clean(dest)


def test_recompressed_mirror_passes_payload_check(tmp_path, mirror):
    good, recompressed = (mirror / "good.gz").read_bytes(), (mirror / "recompressed.gz").read_bytes()
    assert good != recompressed
    dest = tmp_path / "out" / "data.gz"
    fetch(_url(mirror / "recompressed.gz"), dest, PAYLOAD_SHA)
    assert dest.read_bytes() == recompressed


def test_archive_md5_alone_is_accepted(tmp_path, mirror):
    md5 = hashlib.md5((mirror / "good.gz").read_bytes()).hexdigest()
    dest = tmp_path / "out" / "data.gz"
    fetch([_url(mirror / "good.gz")], dest, archive_md5=md5)
    assert dest.exists()
    # payload hash wrong but file md5 right: either form verifies
    fetch([_url(mirror / "good.gz")], dest, "0" * 64, archive_md5=md5)


def test_checksum_mismatch_leaves_no_file(tmp_path, mirror):
    dest = tmp_path / "out" / "data.gz"
    with pytest.raises(DownloadError) as exc:
        fetch([_url(mirror / "other.gz")], dest, PAYLOAD_SHA)
    msg = str(exc.value)
    assert "checksum mismatch" in msg and "other.gz" in msg and PAYLOAD_SHA in msg
    assert not dest.exists() and _dest_dir_clean(dest)


def test_failed_download_keeps_existing_file(tmp_path, mirror):
    dest = tmp_path / "out" / "data.gz"
    dest.parent.mkdir()
    dest.write_bytes(b"previous")
    with pytest.raises(DownloadError):
        fetch([_url(mirror / "other.gz")], dest, PAYLOAD_SHA)
    assert dest.read_bytes() == b"previous" and _dest_dir_clean(dest)


def test_corrupt_gzip_mirror_is_skipped_for_next(tmp_path, mirror):
    dest = tmp_path / "out" / "data.gz"
    urls = [_url(mirror / "missing.gz"), _url(mirror / "corrupt.gz"), _url(mirror / "good.gz")]
    messages = []
    fetch(urls, dest, PAYLOAD_SHA, log=messages.append)
    assert dest.read_bytes() == (mirror / "good.gz").read_bytes()
    assert len(messages) == 3


def test_all_mirrors_fail_lists_every_url(tmp_path, mirror):
    dest = tmp_path / "out" / "data.gz"
    urls = [_url(mirror / "missing.gz"), _url(mirror / "corrupt.gz"), _url(mirror / "other.gz")]
    with pytest.raises(DownloadError) as exc:
        fetch(urls, dest, PAYLOAD_SHA)
    msg = str(exc.value)
    assert isinstance(exc.value, RuntimeError)
    assert "every mirror failed" in msg and "data.gz" in msg
    for u in urls:
        assert u in msg
    assert "gzip" in msg and "checksum mismatch" in msg
    assert not dest.exists()


def test_injected_opener_network_errors_and_timeout(tmp_path):
    seen = []

    def opener(url, timeout):
        seen.append((url, timeout))
        if "timeout" in url:
            raise TimeoutError("timed out")
        if "refused" in url:
            raise urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))
        return io.BytesIO(gzip.compress(PAYLOAD))

    dest = tmp_path / "out" / "data.gz"
    with pytest.raises(DownloadError, match="timed out") as exc:
        fetch(["http://x/timeout", "http://x/refused"], dest, PAYLOAD_SHA, opener=opener, timeout=2.5)
    assert "Connection refused" in str(exc.value)
    assert seen == [("http://x/timeout", 2.5), ("http://x/refused", 2.5)]
    fetch(["http://x/timeout", "http://x/ok"], dest, PAYLOAD_SHA, opener=opener)
    assert dest.exists()


def test_stream_breaking_midway_leaves_no_file(tmp_path):
    class Broken(io.BytesIO):
        def read(self, n=-1):
            if self.tell() > 0:
                raise ConnectionResetError("connection reset")
            return super().read(16)

    dest = tmp_path / "out" / "data.gz"
    with pytest.raises(DownloadError, match="connection reset"):
        fetch("http://x/a", dest, PAYLOAD_SHA, opener=lambda u, t: Broken(gzip.compress(PAYLOAD)))
    assert not dest.exists() and _dest_dir_clean(dest)


def test_oversized_response_is_aborted(tmp_path):
    dest = tmp_path / "out" / "data.gz"
    with pytest.raises(DownloadError, match="larger than 10 bytes"):
        fetch("http://x/a", dest, PAYLOAD_SHA, opener=lambda u, t: io.BytesIO(PAYLOAD), max_bytes=10)
    assert not dest.exists()


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="no|none"):
        fetch(["file:///x"], tmp_path / "d")
    with pytest.raises(ValueError, match="urls"):
        fetch([], tmp_path / "d", PAYLOAD_SHA)
    with pytest.raises(ValueError, match="timeout"):
        fetch(["file:///x"], tmp_path / "d", PAYLOAD_SHA, timeout=0)


def test_check_hashes_and_verify_file(tmp_path):
    check_hashes(PAYLOAD, "raw", payload_sha256=PAYLOAD_SHA)  # raw payload hashes as itself
    check_hashes(gzip.compress(PAYLOAD), "gz", payload_sha256=PAYLOAD_SHA.upper())
    p = tmp_path / "f.gz"
    p.write_bytes(gzip.compress(PAYLOAD))
    assert verify_file(p, payload_sha256=PAYLOAD_SHA)
    assert not verify_file(p, payload_sha256="1" * 64, archive_md5="2" * 32)
