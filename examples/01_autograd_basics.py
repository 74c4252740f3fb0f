"""Autograd basics with minisep: tensors, ops, backward, fan-out, intermediate gradients, no_grad,
gradcheck and the graph table, each printed with a short explanation.

    python examples/01_autograd_basics.py          (--quick is accepted and changes nothing: it is fast)

Next: examples/02_separable_backprop_walkthrough.py, then docs/backprop-separable-conv.md.
"""
from __future__ import annotations

import argparse

import numpy as np

import minisep as ms
from minisep import Function
from minisep.teach import viz


def section(title: str) -> None:
    print(f"\n{'=' * 78}\n{title}\n{'=' * 78}")


def tensors() -> None:
    section("1. Tensors: an ndarray plus what autograd needs")
    a = ms.tensor([[1, 2], [3, 4]])
    print("ms.tensor([[1, 2], [3, 4]])        ->", repr(a), " (Python numbers become float32)")
    b = ms.tensor(np.array([1.0, 2.0]), requires_grad=True)
    print("ms.tensor(float64 array, requires_grad=True) ->", repr(b), " (an ndarray keeps its dtype)")
    print("a.shape, a.ndim, a.dtype:", a.shape, a.ndim, a.dtype, "| b.is_leaf:", b.is_leaf)


class Square(Function):
    """y = a².   ga = gy · 2a."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    @staticmethod
    def backward(ctx, gy):
        (a,) = ctx.saved
        return (gy * 2 * a,)


class BrokenSquare(Square):
    """y = a², with a deliberately wrong backward (forgets the factor 2)."""

    @staticmethod
    def backward(ctx, gy):
        (a,) = ctx.saved
        return (gy * a,)


def ops_and_backward() -> None:
    section("2. Ops record a graph; backward() walks it in reverse")
    x = ms.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = ms.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = (x * w).sum()
    print("y = (x * w).sum() =", y.item())
    print("y.grad_fn:", y.grad_fn, "<- the op that made y; its input came from",
          y.grad_fn.inputs[0].grad_fn)
    print("Each op keeps its math in its docstring; y.grad_fn.formula() prints it:")
    print("   ", y.grad_fn.formula().splitlines()[0])
    y.backward()
    print("dy/dx = w:", x.grad, "   dy/dw = x:", w.grad)

    print("\nA Function of your own: forward and backward side by side (see Square in this file).")
    s = Square.apply(x).sum()
    x.zero_grad()
    s.backward()
    print("d/dx Σx² = 2x:", x.grad)


def fan_out_and_broadcasting() -> None:
    section("3. Fan-out: a tensor used twice gets the SUM of both gradients")
    x = ms.tensor([1.0, -2.0], requires_grad=True)
    z = (x * x + 3.0 * x).sum()  # x feeds the Mul twice and the second Mul once
    z.backward()
    print("z = Σ x·x + 3x;  dz/dx = 2x + 3 =", 2 * x.data + 3, " autograd:", x.grad)

    print("\nBroadcasting is undone in backward: b (3,) was added to every row of a (2, 3),")
    print("so its gradient is summed over the rows.")
    a = ms.tensor(np.ones((2, 3)), requires_grad=True)
    b = ms.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    ((a + b) * (a + b)).sum().backward()
    print("d/db Σ(a+b)² = Σ_rows 2(a+b) =", b.grad, "(shape", b.grad.shape, ")")

    print("\nGradients ACCUMULATE across backward calls until you zero them (as PyTorch):")
    w = ms.tensor([1.0], requires_grad=True)
    for _ in range(2):
        (w * 5.0).sum().backward()
    print("two backward passes of 5w: w.grad =", w.grad, "-> call w.zero_grad() (or opt.zero_grad())")


def intermediate_gradients() -> None:
    section("4. Seeing dL/d(every node): retain_grad() and retain_all=True")
    x = ms.tensor(np.array([0.5, -1.0]), requires_grad=True)
    h = x.tanh()
    h.retain_grad()  # ask to keep this non-leaf's gradient
    loss = (h * h).sum()
    loss.backward()
    print("h = tanh(x), L = Σh².  dL/dh = 2h =", 2 * h.data, " h.grad:", h.grad)
    print("dL/dx = 2h·(1 - h²) =", 2 * h.data * (1 - h.data ** 2), " x.grad:", x.grad)

    x2 = ms.tensor(np.array([0.5, -1.0]), requires_grad=True)
    u = x2 * 3.0
    v = u.sigmoid()
    loss2 = v.sum()
    loss2.backward(retain_all=True)  # every tensor of the graph keeps its gradient
    for name, t in [("loss", loss2), ("v = sigmoid(u)", v), ("u = 3x", u), ("x", x2)]:
        print(f"  dL/d({name}) = {t.grad}")


def no_grad_and_errors() -> None:
    section("5. no_grad: evaluation without recording a graph")
    w = ms.tensor([2.0], requires_grad=True)
    with ms.no_grad():
        y = w * 3.0
    print("inside `with ms.no_grad():`  (w * 3).requires_grad =", y.requires_grad, " grad_fn =", y.grad_fn)

    @ms.no_grad()
    def predict(t):
        return t * 3.0

    print("as a decorator, @ms.no_grad():  predict(w).requires_grad =", predict(w).requires_grad)

    print("\nA graph's saved arrays are freed after backward, so a second backward raises:")
    loss = (w * w).sum()
    loss.backward()
    try:
        loss.backward()
    except RuntimeError as e:
        print("  RuntimeError:", e)
    print("  (pass retain_graph=True to the first call to backward twice)")

    print("\nA non-scalar output needs the gradient dL/dy to start from:")
    v = w * np.array([1.0, 2.0])
    try:
        v.backward()
    except RuntimeError as e:
        print("  RuntimeError:", e)


def gradcheck_demo() -> None:
    section("6. gradcheck: analytic gradients against central finite differences (float64)")
    rng = np.random.default_rng(0)
    a = ms.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = ms.tensor(rng.standard_normal((4, 2)), requires_grad=True)
    report = ms.gradcheck(lambda a, b: (a @ b).tanh(), [a, b], names=["a", "b"])
    print("every element of a and b perturbed by ±eps; passes when |analytic - numeric| <= atol + rtol·|numeric|")
    print(report)

    print("\nThe same check CATCHES a wrong backward (BrokenSquare forgets the 2 in 2a):")
    x = ms.tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    report = ms.gradcheck(lambda x: BrokenSquare.apply(x), [x], names=["x"], raise_exception=False)
    print(report)
    print("passed:", report.passed, "(without raise_exception=False it raises GradcheckError)")


def graph_table() -> None:
    section("7. The graph of a forward pass, op by op (minisep.teach.viz)")
    rng = np.random.default_rng(1)
    x = ms.tensor(rng.standard_normal((4, 3)))
    w1 = ms.tensor(rng.standard_normal((3, 5)), requires_grad=True)
    w2 = ms.tensor(rng.standard_normal((5, 2)), requires_grad=True)
    loss = ms.cross_entropy((x @ w1).relu() @ w2, np.array([0, 1, 1, 0]))
    loss.backward(retain_graph=True, retain_all=True)  # keep saved arrays and every |dL/dy|
    print(viz.graph_table(loss))
    dot = viz.to_dot(loss)
    print(f"\nviz.to_dot(loss) gives Graphviz text ({len(dot.splitlines())} lines); save it and run")
    print("`dot -Tpng graph.dot -o graph.png` to draw it. Its first lines:")
    print("\n".join(dot.splitlines()[:5]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="accepted for the test suite; this example is already fast")
    parser.parse_args(argv)
    np.set_printoptions(precision=4, suppress=True)
    tensors()
    ops_and_backward()
    fan_out_and_broadcasting()
    intermediate_gradients()
    no_grad_and_errors()
    gradcheck_demo()
    graph_table()
    print("\nNext: python examples/02_separable_backprop_walkthrough.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
