"""Every checker accepts the reference solution, rejects every known wrong variant with the right hint,
and reports an untouched stub clearly; the CLI verbs start and check behave (exit codes 0/1/2)."""
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("hypothesis")

from minisep.cli import main  # noqa: E402
from minisep.kernels.geometry import ConvGeometry  # noqa: E402
from minisep.teach import bugs  # noqa: E402
from minisep.teach import exercises as E  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
import solutions  # noqa: E402


def _geometry(x_hw, k, stride, padding, dilation, out_hw=None):
    pt, pb, pl, pr = padding
    if out_hw is None:
        out_hw = tuple((n + a + b - (k - 1) * dilation - 1) // stride + 1 for n, a, b in ((x_hw[0], pt, pb), (x_hw[1], pl, pr)))
    return ConvGeometry(tuple(x_hw), (k, k), (stride, stride), (dilation, dilation), tuple(padding), tuple(out_hw))


def wrong_solution(number, knobs):
    """The learner function of exercise `number` with the mistake `knobs`."""
    if number == 1:
        return lambda x, w, stride, padding, dilation: bugs.depthwise_forward(
            x, w, _geometry(x.shape[2:], w.shape[2], stride, padding, dilation), knobs)
    if number == 2:
        return lambda gy, w, x_shape, stride, padding, dilation: bugs.depthwise_input(
            gy, w, _geometry(x_shape[2:], w.shape[2], stride, padding, dilation, gy.shape[2:]), x_shape[1], knobs)
    return lambda x, gy, w_shape, stride, padding, dilation: bugs.depthwise_weight(
        x, gy, _geometry(x.shape[2:], w_shape[2], stride, padding, dilation, gy.shape[2:]), knobs)


def reference_learner(ex):
    """The reference solution of `ex` as `check` would load it (a namespace when it has several functions)."""
    if isinstance(ex.function, str):
        return getattr(solutions, ex.function)
    return SimpleNamespace(**{name: getattr(solutions, name) for name in ex.functions})


@pytest.mark.parametrize("number", sorted(E.EXERCISES))
def test_reference_solution_passes(number):
    ex = E.get(number)
    result = E.grade(ex, reference_learner(ex))
    assert result.passed, str(result)
    assert ex.solution.split(":")[0] in str(result) and "docs/" in str(result)


# exercises 1-3: the wrong variants are minisep.teach.bugs' knobs (4-8: tests/teach/test_exercises_4_8.py)
CASES = [(n, name) for n in (1, 2, 3) for name in E.get(n).variants]


@pytest.mark.parametrize("number,name", CASES, ids=[f"{n}-{v}" for n, v in CASES])
def test_every_known_mistake_is_rejected_with_its_hint(number, name):
    knobs = bugs.Knobs(flip=False) if name == "flipped-kernel" else bugs.DEPTHWISE_BUGS[name].knobs
    result = E.grade(E.get(number), wrong_solution(number, knobs))
    text = str(result)
    assert not result.passed
    assert "smallest failing configuration" in text and f"hint [{name}]" in text, text
    assert "X" in text  # the error map marks where it is wrong


def test_untouched_stub_fails_clearly_and_start_refuses_to_overwrite(tmp_path, capsys):
    folder = tmp_path / "mywork"
    assert main(["exercise", "start", "3", str(folder)]) == 0
    assert main(["exercise", "check", "3", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "NotImplementedError" in out and "Traceback" not in out
    assert main(["exercise", "start", "3", str(folder)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_filled_in_wrong_then_fixed(tmp_path, capsys):
    src = Path(solutions.__file__).read_text()
    wrong = tmp_path / "ex3_depthwise_backward_weight.py"
    wrong.write_text(src.replace("xp[:, c, p * s + i * d, q * s + j * d])", "xp[:, c, p * s + i, q * s + j])"))
    assert main(["exercise", "check", "3", str(wrong)]) == 1
    assert "hint [no-dilation]" in capsys.readouterr().out
    wrong.write_text(src)
    assert main(["exercise", "check", "3", str(tmp_path)]) == 0


def test_usage_errors_exit_2(tmp_path, capsys):
    assert main(["exercise", "check", "99"]) == 2
    assert main(["exercise", "show"]) == 2
    assert main(["exercise", "check", "1", str(tmp_path)]) == 2   # no file there yet
    assert "minisep exercise: error:" in capsys.readouterr().err
    assert main(["exercise", "list"]) == 0 and main(["exercise", "show", "2"]) == 0
    assert "depthwise_backward_input" in capsys.readouterr().out
