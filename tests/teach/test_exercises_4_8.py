"""Exercises 4-8 (pointwise, the separable chain rule, 'same' padding, max-pool ties, BatchNorm):
each checker accepts the reference solution (test_exercises.py), rejects every known wrong variant
with its hint, recognises hand-made mistakes in a learner's file, and reports untouched stubs clearly."""
import importlib
import sys
from pathlib import Path

import pytest

pytest.importorskip("hypothesis")

from minisep.cli import main  # noqa: E402
from minisep.teach import exercises as E  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
import solutions  # noqa: E402

NEW = (4, 5, 6, 7, 8)


def module_of(number):
    return importlib.import_module(f"minisep.teach.exercises.{E.get(number).stub[:-3]}")


CASES = [(n, name) for n in NEW for name in module_of(n).MISTAKES]


@pytest.mark.parametrize("number,name", CASES, ids=[f"{n}-{v}" for n, v in CASES])
def test_every_known_mistake_is_rejected_with_its_hint(number, name):
    result = E.grade(E.get(number), module_of(number).wrong_learner(name))
    text = str(result)
    assert not result.passed
    assert "smallest failing configuration" in text and f"hint [{name}]" in text, text


def _solution_file(tmp_path, number, old, new):
    """The reference solutions with one line changed, as a learner's file for exercise `number`."""
    src = Path(solutions.__file__).read_text(encoding="utf-8")
    assert old in src
    path = tmp_path / E.get(number).stub
    path.write_text(src.replace(old, new), encoding="utf-8")
    return path


HAND_MADE = [
    (4, "gw[o, c, 0, 0] = np.sum(gy[:, o] * x[:, c])", "gw[o, c, 0, 0] = np.mean(gy[:, o] * x[:, c])",
     "gw-mean-not-sum"),
    (5, "dD[c * m + k, 0] += P[o, c * m + k, 0, 0] * dW[o, c]", "dD[c * m + k, 0] += P[o, c, 0, 0] * dW[o, c]",
     "wrong-index-c"),
    (6, "pads += [total // 2, total - total // 2]", "pads += [total - total // 2, total // 2]", "symmetric-same"),
    (7, "x[n, c, h, w] > best:", "x[n, c, h, w] >= best:", "last-max"),
    (8, " - xh * ggamma[None, :, None, None] / M)", ")", "no-xhat-term"),
]


@pytest.mark.parametrize("number,old,new,hint", HAND_MADE, ids=[h[3] for h in HAND_MADE])
def test_hand_made_mistake_named_then_fixed(tmp_path, capsys, number, old, new, hint):
    path = _solution_file(tmp_path, number, old, new)
    assert main(["exercise", "check", str(number), str(path)]) == 1
    out = capsys.readouterr().out
    assert f"hint [{hint}]" in out and "wrong at X" in out, out
    path.write_text(Path(solutions.__file__).read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["exercise", "check", str(number), str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "PASSED" in out and E.get(number).solution.split(":")[0] in out


def test_untouched_stubs_fail_clearly(tmp_path, capsys):
    for number in NEW:
        assert main(["exercise", "start", str(number), str(tmp_path)]) == 0
        assert main(["exercise", "check", str(number), str(tmp_path)]) == 1
        out = capsys.readouterr().out
        assert "NotImplementedError" in out and "Traceback" not in out
    assert main(["exercise", "list"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listing] == [str(n) for n in range(1, 9)]


def test_error_maps_of_each_kind():
    # values (ex6): got vs minisep per name; matrix (ex4 gw) and vector (ex8) maps are marked too
    text = str(E.grade(E.get(6), module_of(6).wrong_learner("floor-output")))
    assert "yours" in text and "minisep" in text
    text = str(E.grade(E.get(8), module_of(8).wrong_learner("ggamma-uses-x")))
    assert "ggamma wrong at X, per (c,)" in text
