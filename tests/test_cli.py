"""The `minisep` command line, end to end on the embedded digits set (no network, no files needed)."""

import json
import subprocess
import sys
import time

import numpy as np
import pytest

import minisep as ms
from minisep import cli
from minisep.nn import Linear, Module
from minisep.app.train import NonFiniteLossError, train_epoch
from minisep.data import DataLoader


def run(*argv):
    return cli.main([str(a) for a in argv])


def test_train_digits_reaches_90_percent_within_a_minute(tmp_path, capsys):
    ckpt, metrics = tmp_path / "digits.npz", tmp_path / "metrics.json"
    start = time.perf_counter()
    assert run("train", "--dataset", "digits", "--model", "separable", "--epochs", 8, "--quiet",
               "--out", ckpt, "--metrics-json", metrics) == 0
    elapsed = time.perf_counter() - start
    result = json.loads(metrics.read_text())
    assert result["test_acc"] >= 0.90, result
    assert len(result["history"]) == 8 and result["params"] > 0
    assert elapsed < 60, f"digits training took {elapsed:.0f} s"
    assert "final test accuracy" in capsys.readouterr().out

    assert run("evaluate", ckpt) == 0
    out = capsys.readouterr().out
    assert f"{100 * result['test_acc']:.2f}%" in out


def test_same_seed_gives_identical_metrics(tmp_path):
    paths = []
    for k in range(2):
        path = tmp_path / f"m{k}.json"
        assert run("train", "--dataset", "digits", "--epochs", 1, "--limit", 256, "--seed", 3, "--quiet",
                   "--metrics-json", path) == 0
        paths.append(json.loads(path.read_text()))
    strip = lambda r: [{k: v for k, v in h.items() if k not in ("seconds", "images_per_s")} for h in r["history"]]
    assert strip(paths[0]) == strip(paths[1])


def test_summary_prints_ratio_formula(capsys):
    assert run("summary", "--model", "separable", "--dataset", "mnist") == 0
    out = capsys.readouterr().out
    assert "1/O + 1/(kh·kw)" in out and "mult-adds" in out.lower()


def test_compare_prints_one_table(tmp_path, capsys):
    assert run("compare", "--dataset", "digits", "--epochs", 1, "--limit", 200, "--quiet",
               "--metrics-json", tmp_path / "c.json") == 0
    out = capsys.readouterr().out
    assert "standard" in out and "separable" in out and "s/epoch" in out
    result = json.loads((tmp_path / "c.json").read_text())
    rows = result["summary"]
    assert rows[0]["params"] > rows[1]["params"]  # separable twin is smaller
    assert result["seeds"] == [0] and len(result["runs"]) == 2  # every run kept


def test_gradcheck_command_passes_and_prints_every_gradient(capsys):
    code = run("gradcheck", "--layer", "separable", "--shape", "1,2,5,5", "--kernel", 3, "--stride", 2,
               "--padding", "same", "--dilation", 1, "--depth-multiplier", 2)
    out = capsys.readouterr().out
    assert code == 0, out
    for name in ("dX", "dD", "dP", "db", "PASSED"):
        assert name in out


def test_gradcheck_command_rejects_bad_config(capsys):
    assert run("gradcheck", "--layer", "conv", "--shape", "1,2,2,2", "--kernel", 5, "--padding", "valid") == 2
    assert "error" in capsys.readouterr().err


def test_missing_dataset_gives_one_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("MINISEP_DATA", raising=False)
    code = run("train", "--dataset", "mnist", "--data-dir", tmp_path / "empty", "--no-download", "--epochs", 1)
    err = capsys.readouterr().err
    assert code == 2 and "--dataset digits" in err and "Traceback" not in err


def test_evaluate_rejects_bad_checkpoint(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    np.savez(bad, w=np.ones(3))
    assert run("evaluate", bad, "--dataset", "digits") == 2
    assert "model" in capsys.readouterr().err


def test_nan_loss_stops_training_naming_the_step():
    class Tiny(Module):
        def __init__(self):
            super().__init__()
            self.fc = Linear(4, 3, rng=np.random.default_rng(0))

        def forward(self, x):
            return self.fc(x)

    x = np.ones((8, 4), np.float32)
    x[5] = np.nan
    model = Tiny()
    opt = ms.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(NonFiniteLossError, match="epoch 1, step 3"):
        train_epoch(model, DataLoader(x, np.zeros(8, np.int64), batch_size=2), opt, progress=False)


def test_python_dash_m_works():
    out = subprocess.run([sys.executable, "-m", "minisep", "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "train" in out.stdout


def test_every_verb_answers_help():
    """argparse formats help lazily: a stray % in a help text only fails when --help is asked for."""
    from minisep.cli import build_parser
    parser = build_parser()
    verbs = parser._subparsers._group_actions[0].choices
    for name, sub in verbs.items():
        assert name in sub.format_help() or sub.format_help()
