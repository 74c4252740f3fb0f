"""The CLI validates up front, keeps work (per-epoch saves, resume) and reads damaged files safely."""

import io
import json
import os
import zipfile

import numpy as np
import pytest

from minisep import cli
from minisep.app.checkpoint import load_checkpoint, save_checkpoint


def run(*argv):
    return cli.main([str(a) for a in argv])


@pytest.mark.parametrize("bad", [["--lr", "nan"], ["--lr", "inf"], ["--lr", "-0.1"], ["--weight-decay", "nan"],
                                 ["--weight-decay", "-1"], ["--width", "0"], ["--width", "nan"], ["--width", "1000"],
                                 ["--seed", "-1"], ["--epochs", "0"], ["--batch-size", "0"], ["--limit", "0"]])
def test_train_rejects_bad_options_in_one_line(bad, capsys):
    assert run("train", "--dataset", "digits", *bad) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and bad[0] in err and "Traceback" not in err


def test_output_paths_are_checked_before_training(tmp_path, capsys):
    afile = tmp_path / "f"
    afile.write_text("x")
    assert run("train", "--dataset", "digits", "--out", afile / "m.npz") == 2
    assert run("train", "--dataset", "digits", "--out", tmp_path) == 2
    assert run("train", "--dataset", "digits", "--metrics-json", afile / "m.json") == 2
    assert "is a file" in capsys.readouterr().err


def test_resume_is_bit_identical(tmp_path):
    common = ["--dataset", "digits", "--limit", 200, "--quiet", "--seed", 1]
    assert run("train", *common, "--epochs", 2, "--out", tmp_path / "full.npz",
               "--metrics-json", tmp_path / "full.json") == 0
    assert run("train", *common, "--epochs", 2, "--out", tmp_path / "half.npz") == 0
    # cut the run after epoch 1 by training 1 of 2 epochs: same schedule, so resume must match
    state, meta, extra = load_checkpoint(tmp_path / "half.npz", with_extra=True)
    assert meta["resume"]["history"] and len(meta["resume"]["history"]) == 2
    assert run("train", *common, "--epochs", 2, "--out", tmp_path / "a.npz") == 0
    full, _ = load_checkpoint(tmp_path / "full.npz")
    again, _ = load_checkpoint(tmp_path / "a.npz")
    assert all(np.array_equal(full[k], again[k]) for k in full)
    record = json.loads((tmp_path / "full.json").read_text())
    assert record["config"]["dataset"] == "digits" and "numba" in record["versions"] and record["finished"]


def test_resume_after_one_epoch_matches(tmp_path, monkeypatch):
    from minisep.app import train as train_mod
    common = ["--dataset", "digits", "--limit", 200, "--quiet", "--seed", 2, "--epochs", 2]
    assert run("train", *common, "--out", tmp_path / "full.npz") == 0
    real = train_mod.train_epoch
    calls = []

    def stop_at_second(*a, **k):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(train_mod, "train_epoch", stop_at_second)
    assert run("train", *common, "--out", tmp_path / "cut.npz") == 130
    monkeypatch.setattr(train_mod, "train_epoch", real)
    assert run("train", "--resume", tmp_path / "cut.npz", "--quiet") == 0
    full, fmeta = load_checkpoint(tmp_path / "full.npz")
    cut, cmeta = load_checkpoint(tmp_path / "cut.npz")
    assert all(np.array_equal(full[k], cut[k]) for k in full)
    assert fmeta["resume"]["history"][-1]["test_loss"] == cmeta["resume"]["history"][-1]["test_loss"]


def _bad_npz(tmp_path):
    good = save_checkpoint(tmp_path / "good.npz", {"w": np.ones(3)}, {"model": "x"})
    raw = good.read_bytes()
    (tmp_path / "trunc.npz").write_bytes(raw[: len(raw) // 2])
    flipped = bytearray(raw)
    flipped[len(raw) // 3] ^= 0xFF
    (tmp_path / "flip.npz").write_bytes(bytes(flipped))
    np.save(tmp_path / "arr.npy", np.ones(3))
    os.replace(tmp_path / "arr.npy", tmp_path / "arr.npz")
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f4", "fortran_order": False, "shape": (2**40,)})
    with zipfile.ZipFile(tmp_path / "huge.npz", "w") as zf:
        zf.writestr("w.npy", np.lib.format.magic(1, 0) + buf.getvalue() + b"\0" * 16)
    return ["trunc", "flip", "arr", "huge"]


def test_damaged_checkpoints_are_value_errors_naming_the_file(tmp_path):
    for name in _bad_npz(tmp_path):
        with pytest.raises(ValueError, match=name):
            load_checkpoint(tmp_path / f"{name}.npz")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_checkpoint_does_not_hang(tmp_path):
    import subprocess
    import sys
    fifo = tmp_path / "ck.npz"
    os.mkfifo(fifo)
    out = subprocess.run([sys.executable, "-m", "minisep", "evaluate", str(fifo)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2 and "not a regular file" in out.stderr


def test_version_and_plot(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        run("--version")
    assert e.value.code == 0 and "minisep" in capsys.readouterr().out
    pytest.importorskip("matplotlib")
    assert run("train", "--dataset", "digits", "--limit", 100, "--epochs", 1, "--quiet",
               "--metrics-json", tmp_path / "r.json") == 0
    assert run("plot", tmp_path / "r.json", "--out", tmp_path / "c.png") == 0
    assert (tmp_path / "c.png").stat().st_size > 1000


@pytest.mark.parametrize("bad, option", [
    (["--kernel", "1,2,3"], "--kernel"), (["--kernel", "0"], "--kernel"), (["--depth-multiplier", "-1"], "--depth-multiplier"),
    (["--depth-multiplier", "0"], "--depth-multiplier"), (["--out-channels", "0"], "--out-channels"),
    (["--out-channels", "-1"], "--out-channels"), (["--shape", "a,b,c,d"], "--shape"), (["--shape", "1,2,5"], "--shape"),
    (["--eps", "0"], "--eps"), (["--eps", "nan"], "--eps"), (["--atol", "-1"], "--atol"), (["--stride", "0"], "--stride"),
    (["--padding", "1,2,3"], "--padding"), (["--dilation", "x"], "--dilation"), (["--seed", "-1"], "--seed"),
    (["--shape", "1,2,300,300"], "--shape"),
])
def test_gradcheck_rejects_bad_options_naming_them(bad, option, capsys):
    assert run("gradcheck", *bad) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and option in err and "Traceback" not in err


def test_compare_checks_its_output_path_before_training(tmp_path, capsys):
    afile = tmp_path / "f"
    afile.write_text("x")
    assert run("compare", "--dataset", "digits", "--metrics-json", afile / "c.json") == 2
    assert "is a file" in capsys.readouterr().err
