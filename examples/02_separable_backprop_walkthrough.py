"""Every number of one tiny separable block, forward and backward, each gradient next to its
finite-difference estimate, and the depthwise weight gradient once more by hand from the formula.

The block (Keras SeparableConv2D semantics; minisep's F.separable_conv2d builds the same graph):

    x  (1, 2, 4, 4)   input
    h = depthwise_conv2d(x, D)       D (2, 1, 3, 3)  one 3x3 filter per channel, padding 1 ('same')
    y = pointwise_conv2d(h, P) + b   P (3, 2, 1, 1)  mixes 2 channels into 3, one bias b (3,)
    L = ½ · Σ (y − t)²               t (1, 3, 4, 4)  a fixed target, so dL/dy = y − t

    python examples/02_separable_backprop_walkthrough.py [--padding 1|same] [--seed 0]

(--quick is accepted and changes nothing: the whole walkthrough takes a few seconds.)
The formulas are derived in docs/backprop-separable-conv.md.
"""
from __future__ import annotations

import argparse

import numpy as np

import minisep as ms
import minisep.nn.functional as F
from minisep.kernels import conv_geometry

EPS = 1e-6  # central differences in float64: error ~ eps² for the smooth loss, ~1e-10 for rounding


def central_differences(loss, a: np.ndarray) -> np.ndarray:
    """(loss(a + eps·e) - loss(a - eps·e)) / (2·eps) for every element e of a (a is perturbed in place)."""
    grad, flat = np.empty(a.size), a.reshape(-1)  # flat is a view: writing it perturbs a
    for e in range(a.size):
        orig = flat[e]
        flat[e] = orig + EPS
        up = loss()
        flat[e] = orig - EPS
        down = loss()
        flat[e] = orig
        grad[e] = (up - down) / (2 * EPS)
    return grad.reshape(a.shape)


def matrix_lines(m: np.ndarray) -> list[str]:
    return ["[" + " ".join(f"{v:9.4f}" for v in row) + " ]" for row in np.atleast_2d(m)]


def show(name: str, a: np.ndarray, labels=None) -> None:
    """Print a (1, C, H, W) / (C, 1, kh, kw) array channel by channel, or a matrix / vector."""
    print(f"\n{name}  shape {a.shape}")
    if a.ndim == 4 and a.shape[2:] != (1, 1):
        channels = a[0] if a.shape[0] == 1 and a.shape[1] > 1 else a[:, 0]  # (C, H, W)
        for c, plane in enumerate(channels):
            head = labels[c] if labels else f"channel {c}"
            for k, line in enumerate(matrix_lines(plane)):
                print(f"  {head if k == 0 else '':<12}{line}")
    else:
        for line in matrix_lines(a.reshape(a.shape[0], -1) if a.ndim > 1 else a):
            print(f"  {'':<12}{line}")


def compare(name: str, analytic: np.ndarray, numeric: np.ndarray, formula: str,
            labels=("autograd (backward)", "finite differences")) -> float:
    """Print two gradients side by side (left: analytic); return the max abs difference."""
    diff = float(np.abs(analytic - numeric).max())
    print(f"\n{name}  shape {analytic.shape}    {formula}".rstrip())
    print(f"  {'':<12}{labels[0]:<48}{labels[1]}")
    if analytic.ndim == 4 and analytic.shape[2:] != (1, 1):
        pairs = zip(analytic[0], numeric[0]) if analytic.shape[0] == 1 and analytic.shape[1] > 1 \
            else zip(analytic[:, 0], numeric[:, 0])
        for c, (pa, pn) in enumerate(pairs):
            for k, (la, ln) in enumerate(zip(matrix_lines(pa), matrix_lines(pn))):
                print(f"  {f'channel {c}' if k == 0 else '':<12}{la:<48}{ln}")
    else:
        shape2 = (analytic.shape[0], -1) if analytic.ndim > 1 else (1, -1)
        for la, ln in zip(matrix_lines(analytic.reshape(shape2)), matrix_lines(numeric.reshape(shape2))):
            print(f"  {'':<12}{la:<48}{ln}")
    print(f"  max |{labels[0].split(' (')[0]} − {labels[1]}| = {diff:.1e}")
    return diff


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--padding", choices=["1", "same"], default="1",
                        help="1 or 'same' (identical here: stride 1 and a 3x3 kernel pad one pixel all round)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="accepted for the test suite; already fast")
    args = parser.parse_args(argv)
    padding = 1 if args.padding == "1" else "same"
    np.set_printoptions(precision=4, suppress=True, linewidth=150)
    rng = np.random.default_rng(args.seed)

    # ---- the leaves: float64, so finite differences are accurate ----------------------------------------
    x = ms.tensor(rng.uniform(-1, 1, (1, 2, 4, 4)), requires_grad=True)
    D = ms.tensor(rng.uniform(-1, 1, (2, 1, 3, 3)), requires_grad=True)
    P = ms.tensor(rng.uniform(-1, 1, (3, 2, 1, 1)), requires_grad=True)
    b = ms.tensor(rng.uniform(-0.5, 0.5, 3), requires_grad=True)
    t = rng.uniform(-1, 1, (1, 3, 4, 4))

    print("=" * 100)
    print(f"FORWARD   (padding={padding!r}, stride 1, dilation 1, depth multiplier 1, seed {args.seed})")
    print("=" * 100)
    show("x: the input", x.data)
    show("D: the depthwise filters, one 3x3 per input channel", D.data)
    show("P: the pointwise weights, P[o, c] (3 outputs x 2 inputs)", P.data)
    show("b: one bias per output channel", b.data)

    h = F.depthwise_conv2d(x, D, padding=padding)  # (1, 2, 4, 4)
    h.retain_grad()  # keep dL/dh, the gradient of the intermediate, after backward
    y = F.pointwise_conv2d(h, P, b)  # (1, 3, 4, 4)
    y.retain_grad()
    loss = ((y - t) * (y - t)).sum() * 0.5
    assert np.allclose(y.data, F.separable_conv2d(x, D, P, b, padding=padding).data)  # the same block

    show("h = depthwise(x, D):  h[n,c,p,q] = Σ_ij D[c,0,i,j]·xp[n,c,p+i,q+j]", h.data)
    show("y = pointwise(h, P) + b:  y[n,o,p,q] = Σ_c P[o,c]·h[n,c,p,q] + b[o]", y.data)
    show("t: the target", t)
    print(f"\nL = ½·Σ(y − t)² = {loss.item():.6f}")

    loss.backward()

    # ---- finite differences: the loss recomputed from perturbed copies, with no graph -------------------
    def loss_from_y():
        return 0.5 * float(((y_arr - t) ** 2).sum())

    def loss_from_h():
        with ms.no_grad():
            yy = F.pointwise_conv2d(h_arr, P.data, b.data).data
        return 0.5 * float(((yy - t) ** 2).sum())

    def loss_from_leaves():
        with ms.no_grad():
            yy = F.separable_conv2d(x.data, D.data, P.data, b.data, padding=padding).data
        return 0.5 * float(((yy - t) ** 2).sum())

    y_arr, h_arr = y.data.copy(), h.data.copy()
    numeric = {
        "dY": central_differences(loss_from_y, y_arr),
        "dH": central_differences(loss_from_h, h_arr),
        "dX": central_differences(loss_from_leaves, x.data),
        "dD": central_differences(loss_from_leaves, D.data),
        "dP": central_differences(loss_from_leaves, P.data),
        "db": central_differences(loss_from_leaves, b.data),
    }

    print("\n" + "=" * 100)
    print("BACKWARD   every gradient from loss.backward(), next to central finite differences (eps = 1e-6)")
    print("=" * 100)
    worst = max([
        compare("dY = dL/dy", y.grad, numeric["dY"], "= y − t   (from L = ½Σ(y − t)²)"),
        compare("db = dL/db", b.grad, numeric["db"], "db[o] = Σ_npq dY[n,o,p,q]   (bias_backward)"),
        compare("dP = dL/dP", P.grad, numeric["dP"],
                "dP[o,c] = Σ_npq dY[n,o,p,q]·h[n,c,p,q]   (pointwise_backward_weight)"),
        compare("dH = dL/dh  (the intermediate)", h.grad, numeric["dH"],
                "dH[n,c,p,q] = Σ_o P[o,c]·dY[n,o,p,q]   (pointwise_backward_input)"),
        compare("dD = dL/dD", D.grad, numeric["dD"],
                "dD[c,0,i,j] = Σ_npq dH[n,c,p,q]·xp[n,c,p+i,q+j]   (depthwise_backward_weight)"),
        compare("dX = dL/dx", x.grad, numeric["dX"],
                "dX[n,c,h,w] = Σ_{p,q,i,j: p+i-pt=h, q+j-pl=w} D[c,0,i,j]·dH[n,c,p,q]   (depthwise_backward_input)"),
    ])

    # ---- the depthwise weight gradient once more, by hand, with plain loops -------------------------------
    print("\n" + "=" * 100)
    print("BY HAND   dD[c,0,i,j] = Σ_{n,p,q} dH[n,c,p,q] · xp[n,c,p·s+i·d, q·s+j·d]   (s = d = 1 here)")
    print("=" * 100)
    N, C, H, W = x.shape
    kh, kw = D.shape[2:]
    g = conv_geometry("walkthrough", (H, W), (kh, kw), stride=1, padding=padding, dilation=1)
    pt, pb, pl, pr = g.padding  # (1, 1, 1, 1) for padding 1, and for 'same' with stride 1 and a 3x3 kernel
    xp = np.zeros((N, C, H + pt + pb, W + pl + pr))  # (N,C,H,W) --pad--> (N,C,H+pt+pb,W+pl+pr)
    xp[:, :, pt:pt + H, pl:pl + W] = x.data
    dH = h.grad
    P_out, Q_out = dH.shape[2:]
    dD_hand = np.zeros_like(D.data)
    for c in range(C):
        for i in range(kh):
            for j in range(kw):
                total = 0.0
                for n in range(N):
                    for p in range(P_out):
                        for q in range(Q_out):
                            total += dH[n, c, p, q] * xp[n, c, p + i, q + j]
                dD_hand[c, 0, i, j] = total
    hand_diff = compare("dD by hand", dD_hand, D.grad, "", labels=("by hand (the loops above)", "autograd"))
    print("  The filter gradient is the input patch each tap saw, weighted by how much the loss cared")
    print("  about the output it helped make (dH), summed over every output position.")

    # ---- and dP by hand: one dot product per (o, c) -------------------------------------------------------
    dP_hand = np.array([[np.sum(y.grad[:, o] * h.data[:, c]) for c in range(C)] for o in range(P.shape[0])])
    assert np.allclose(dP_hand, P.grad[:, :, 0, 0])

    # ---- the library's own check: minisep.teach.gradcheck with a random weighting of the output -----------------
    report = ms.gradcheck(lambda x, d, p, b: F.separable_conv2d(x, d, p, b, padding=padding),
                          [ms.tensor(a.data, requires_grad=True) for a in (x, D, P, b)],
                          names=["dX", "dD", "dP", "db"], raise_exception=False)
    print("\nminisep.gradcheck on the same block (all elements, float64):")
    print(report)

    ok = worst < 1e-6 and hand_diff < 1e-12 and report.passed
    print(f"\nlargest difference autograd vs finite differences: {worst:.1e};  by hand vs autograd: {hand_diff:.1e}")
    print("ALL GRADIENTS AGREE" if ok else "MISMATCH: see the tables above")
    print("Derivations: docs/backprop-separable-conv.md.  Any layer shape: minisep gradcheck --help")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
