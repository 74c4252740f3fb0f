"""Check analytic gradients against finite differences.

mode='full':      for every element x_e of every input that requires grad,
                  numeric_e = (L(x + eps·e) - L(x - eps·e)) / (2·eps),   L(x) = Σ v·fn(x),
                  with v a fixed random weighting of the output; analytic = backward of L.
mode='direction': for a random direction u per input, compare the numeric directional
                  derivative (L(x + eps·u) - L(x - eps·u)) / (2·eps) = <J u, v> with the
                  analytic <u, Jᵀ v> = <u, grad>. O(1) evaluations, for inputs too large for 'full'.

An element passes when |analytic - numeric| <= atol + rtol·|numeric|.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor


@dataclass
class InputCheck:
    """The result for one input: errors and the worst element."""

    index: int
    shape: tuple
    max_abs_error: float
    max_rel_error: float
    worst_index: tuple
    analytic_at_worst: float
    numeric_at_worst: float
    passed: bool
    analytic: np.ndarray | None = field(default=None, repr=False)
    numeric: np.ndarray | None = field(default=None, repr=False)
    name: str = ""

    @property
    def abs_error(self) -> np.ndarray | None:
        """|analytic - numeric| per element ('full' mode only)."""
        if self.analytic is None or self.numeric is None:
            return None
        return np.abs(self.analytic - self.numeric)


@dataclass
class GradcheckReport:
    mode: str
    eps: float
    atol: float
    rtol: float
    inputs: list[InputCheck]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.inputs)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        head = f"gradcheck mode={self.mode} eps={self.eps:g} atol={self.atol:g} rtol={self.rtol:g}"
        cols = f"{'input':<10}{'shape':<18}{'max abs err':>12}{'max rel err':>12}  {'worst index':<16}{'analytic':>13}{'numeric':>13}  ok"
        rows = [head, cols, "-" * len(cols)]
        for c in self.inputs:
            label = c.name or f"#{c.index}"
            rows.append(
                f"{label:<10}{str(c.shape):<18}{c.max_abs_error:>12.3e}{c.max_rel_error:>12.3e}  "
                f"{str(c.worst_index):<16}{c.analytic_at_worst:>13.6g}{c.numeric_at_worst:>13.6g}  "
                f"{'yes' if c.passed else 'NO'}"
            )
        return "\n".join(rows)


class GradcheckError(AssertionError):
    """Raised when analytic and numeric gradients disagree; ``.report`` holds the details."""

    def __init__(self, report: GradcheckReport):
        super().__init__("gradient check failed\n" + str(report))
        self.report = report


def _weighted_output(fn, inputs, v):
    with no_grad():
        y = fn(*inputs)
    return float(np.sum(np.asarray(y.data, dtype=np.float64) * v))


def _checked_inputs(inputs) -> tuple[list, list[int]]:
    """(inputs as Tensors, indices of those that require grad); each of those must be float64."""
    inputs = [t if isinstance(t, Tensor) else Tensor(np.asarray(t, dtype=np.float64)) for t in inputs]
    checked = [k for k, t in enumerate(inputs) if t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad; create them with requires_grad=True")
    for k in checked:
        if inputs[k].dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {k} has dtype {inputs[k].dtype}; finite differences need float64 "
                "(convert with Tensor(x.data.astype(np.float64), requires_grad=True))"
            )
    return inputs, checked


def _full_check(fn, inputs, k: int, v, analytic, eps, atol, rtol, name) -> InputCheck:
    """Every element e of input k: numeric[e] = (L(x + eps·1_e) − L(x − eps·1_e)) / 2eps, L = Σ v·fn."""
    x = inputs[k]
    flat = x.data.reshape(-1)  # a view: perturbations write into x.data
    numeric = np.empty(x.data.size)
    for e in range(flat.size):
        orig = flat[e]
        flat[e] = orig + eps
        up = _weighted_output(fn, inputs, v)
        flat[e] = orig - eps
        down = _weighted_output(fn, inputs, v)
        flat[e] = orig
        numeric[e] = (up - down) / (2 * eps)
    numeric = numeric.reshape(x.shape)
    abs_err = np.abs(analytic - numeric)
    rel_err = abs_err / np.maximum(np.abs(numeric), 1e-12)
    bad = abs_err - (atol + rtol * np.abs(numeric))
    worst = np.unravel_index(int(np.argmax(bad)), x.shape) if x.data.size else ()
    return InputCheck(
        k, x.shape, float(abs_err.max(initial=0)), float(rel_err.max(initial=0)), tuple(int(i) for i in worst),
        float(analytic[worst]) if x.data.size else 0.0, float(numeric[worst]) if x.data.size else 0.0,
        bool((bad <= 0).all()), analytic.copy(), numeric, name)


def _direction_check(fn, inputs, k: int, v, analytic, eps, atol, rtol, name, rng) -> InputCheck:
    """One random direction u: (L(x + eps·u) − L(x − eps·u)) / 2eps against Σ u·analytic."""
    x = inputs[k]
    u = rng.standard_normal(x.shape)
    orig = x.data.copy()
    x.data[...] = orig + eps * u
    up = _weighted_output(fn, inputs, v)
    x.data[...] = orig - eps * u
    down = _weighted_output(fn, inputs, v)
    x.data[...] = orig
    numeric_dd = (up - down) / (2 * eps)
    analytic_dd = float(np.sum(u * analytic))
    abs_err = abs(analytic_dd - numeric_dd)
    return InputCheck(k, x.shape, abs_err, abs_err / max(abs(numeric_dd), 1e-12), (), analytic_dd, numeric_dd,
                      abs_err <= atol + rtol * abs(numeric_dd), name=name)


def gradcheck(fn, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-4,
              mode: str = "full", rng: np.random.Generator | None = None, names=None,
              raise_exception: bool = True) -> GradcheckReport:
    """Compare ``fn``'s backward with central finite differences; see the module docstring.

    ``fn(*inputs)`` must return a Tensor. Inputs that require grad must be float64.
    Returns a GradcheckReport; raises GradcheckError when it fails (unless raise_exception=False).
    """
    if mode not in ("full", "direction"):
        raise ValueError(f"gradcheck: mode must be 'full' or 'direction', got {mode!r}")
    rng = np.random.default_rng(0) if rng is None else rng
    inputs, checked = _checked_inputs(inputs)
    names = list(names) if names is not None else [""] * len(inputs)

    y = fn(*inputs)  # the analytic side: backward of L = Σ v·y, v a fixed random cotangent
    if not isinstance(y, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(y).__name__}")
    v = rng.standard_normal(y.shape)
    for t in inputs:
        t.grad = None
    if y.requires_grad:
        y.backward(gradient=v.astype(y.dtype))

    results = []
    for k in checked:
        x = inputs[k]
        if not x.data.flags.c_contiguous:
            x.data = np.ascontiguousarray(x.data)  # so that reshape(-1) in _full_check is a view
        analytic = x.grad if x.grad is not None else np.zeros_like(x.data)
        if mode == "full":
            results.append(_full_check(fn, inputs, k, v, analytic, eps, atol, rtol, names[k]))
        else:
            results.append(_direction_check(fn, inputs, k, v, analytic, eps, atol, rtol, names[k], rng))
    report = GradcheckReport(mode, eps, atol, rtol, results)
    if raise_exception and not report.passed:
        raise GradcheckError(report)
    return report
