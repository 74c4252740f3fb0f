"""A real Ctrl-C (SIGINT to a child process) keeps the work: exit 130, one line on stderr, no traceback,
the last finished epoch's checkpoint and metrics (train) or the finished runs (compare) on disk."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from minisep.app.checkpoint import load_checkpoint

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process needs POSIX")


def _start(tmp_path, *argv):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.Popen([sys.executable, "-m", "minisep", *argv], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _interrupt_when(proc, ready, timeout=240):
    """SIGINT once ready() holds (polling), then the (returncode, stdout, stderr) of the child."""
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"child ended or never got ready (rc={proc.returncode})\n{out[-2000:]}\n{err[-2000:]}")
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def _epochs(path) -> int:
    try:
        return int(json.loads(Path(path).read_text())["epochs_done"])
    except (OSError, ValueError, KeyError):
        return 0


def test_sigint_during_train_saves_the_last_epoch_and_exits_130(tmp_path):
    ckpt, metrics = tmp_path / "m.npz", tmp_path / "m.json"
    proc = _start(tmp_path, "train", "--dataset", "digits", "--epochs", "400", "--quiet",
                  "--out", ckpt, "--metrics-json", metrics)
    rc, out, err = _interrupt_when(proc, lambda: _epochs(metrics) >= 2)
    assert rc == 130, err
    assert "Traceback" not in err and err.strip().count("\n") == 0, err
    assert "interrupted" in err and "--resume" in err
    state, meta = load_checkpoint(ckpt)
    done = _epochs(metrics)
    assert done >= 2 and len(json.loads(metrics.read_text())["history"]) == done
    assert len(meta["resume"]["history"]) == done  # the checkpoint holds the same last finished epoch


def test_sigint_during_compare_keeps_the_finished_runs(tmp_path):
    metrics = tmp_path / "c.json"

    def runs():
        try:
            return len(json.loads(metrics.read_text())["runs"])
        except (OSError, ValueError, KeyError):
            return 0

    proc = _start(tmp_path, "compare", "--dataset", "digits", "--epochs", "2", "--limit", "300",
                  "--seeds", "0-99", "--metrics-json", metrics)
    rc, out, err = _interrupt_when(proc, lambda: runs() >= 1)
    assert rc == 130, err
    assert "Traceback" not in err and err.strip().count("\n") == 0, err
    saved = json.loads(metrics.read_text())
    assert saved["finished"] is False and len(saved["runs"]) >= 1
