"""Every number of one tiny separable block, forward and backward, each gradient next to its
finite-difference estimate, and the gradients once more by hand from the formulas.

Part 1, the plain case (Keras SeparableConv2D semantics; minisep's F.separable_conv2d builds the same graph):

    x  (1, 2, 4, 4)   input
    h = depthwise_conv2d(x, D)       D (2, 1, 3, 3)  one 3x3 filter per channel, padding 1 ('same')
    y = pointwise_conv2d(h, P) + b   P (3, 2, 1, 1)  mixes 2 channels into 3, one bias b (3,)
    L = ½ · Σ (y − t)²               t (1, 3, 4, 4)  a fixed target, so dL/dy = y − t

Part 2, the hard cases on small INTEGERS, so any entry can be checked with a pencil: stride 2 with
'same' padding on a 6x6 input (the odd extra row and column at the bottom/right), dilation 2 and
depth multiplier m = 2 (output channel c·m + k of the depthwise half reads input channel c, k < m).
The loss is L = Σ y·t, so dL/dy = t and every gradient is an integer. It prints xp (the padded input),
gy placed on the stride grid, the flipped kernel, and dX, dD and dP computed by explicit loops next
to autograd and finite differences.

    python examples/02_separable_backprop_walkthrough.py [--part 1|2] [--padding 1|same] [--seed 0]

(--quick is accepted and changes nothing: the whole walkthrough takes a few seconds.)
The formulas are derived in docs/backprop-separable-conv.md; `minisep draw` pictures the index maps.
"""
from __future__ import annotations

import argparse

import numpy as np

import minisep as ms
import minisep.nn.functional as F
from minisep.kernels import conv_geometry

# Central differences in float64. Perturbing ONE element moves these losses along a quadratic (part 1:
# y is linear in each leaf, L = ½Σ(y − t)²) or a line (part 2: L = Σ y·t), and central differences are
# exact for a polynomial of degree 2: no truncation error at all, only rounding, ~1e-10 here.
EPS = 1e-6


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
            for r, line in enumerate(matrix_lines(plane)):
                print(f"  {head if r == 0 else '':<12}{line}")
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
            for r, (la, ln) in enumerate(zip(matrix_lines(pa), matrix_lines(pn))):
                print(f"  {f'channel {c}' if r == 0 else '':<12}{la:<48}{ln}")
    else:
        shape2 = (analytic.shape[0], -1) if analytic.ndim > 1 else (1, -1)
        for la, ln in zip(matrix_lines(analytic.reshape(shape2)), matrix_lines(numeric.reshape(shape2))):
            print(f"  {'':<12}{la:<48}{ln}")
    print(f"  max |{labels[0].split(' (')[0]} − {labels[1]}| = {diff:.1e}")
    return diff


def part1(args) -> bool:
    """Stride 1, dilation 1, m = 1, random floats: every gradient next to finite differences."""
    padding = 1 if args.padding == "1" else "same"
    rng = np.random.default_rng(args.seed)

    # ---- the leaves: float64, so finite differences are accurate ----------------------------------------
    x = ms.tensor(rng.uniform(-1, 1, (1, 2, 4, 4)), requires_grad=True)
    D = ms.tensor(rng.uniform(-1, 1, (2, 1, 3, 3)), requires_grad=True)
    P = ms.tensor(rng.uniform(-1, 1, (3, 2, 1, 1)), requires_grad=True)
    b = ms.tensor(rng.uniform(-0.5, 0.5, 3), requires_grad=True)
    t = rng.uniform(-1, 1, (1, 3, 4, 4))

    print("=" * 100)
    print(f"PART 1  FORWARD   (padding={padding!r}, stride 1, dilation 1, depth multiplier 1, seed {args.seed})")
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
    print("PART 1: ALL GRADIENTS AGREE" if ok else "PART 1: MISMATCH: see the tables above")
    return ok


# ---- part 2: stride 2 'same', dilation 2, depth multiplier 2, on integers ---------------------------------

def int_lines(a: np.ndarray, width: int = 4) -> list[str]:
    return ["".join(f"{v:{width}.0f}" if float(v).is_integer() else f"{v:{width}.2f}" for v in row)
            for row in np.atleast_2d(a)]


def show_planes(title: str, planes: dict, width: int = 4) -> None:
    """Print named 2-D integer arrays side by side: {label: array}."""
    print(f"\n{title}")
    blocks = [(label, int_lines(a, width)) for label, a in planes.items()]
    cols = [max(len(label), max(len(s) for s in lines)) + 3 for label, lines in blocks]
    print("  " + "".join(f"{label:<{c}}" for (label, _), c in zip(blocks, cols)))
    for r in range(max(len(lines) for _, lines in blocks)):
        print("  " + "".join(f"{(lines[r] if r < len(lines) else ''):<{c}}" for (_, lines), c in zip(blocks, cols)))


def part2(args) -> bool:
    """2a: stride 2 'same' on 6x6, pads (0, 1, 0, 1): the odd extra row/column at the bottom/right;
    2b: dilation 2 (stride 1). Both with m = 2, on integers, L = Σ y·t."""
    a = hard_case(args, "2a", stride=2, dilation=1)
    b = hard_case(args, "2b", stride=1, dilation=2)
    return a and b


def hard_case(args, tag: str, stride: int, dilation: int) -> bool:
    """One separable block on integers; dX, dD and dP by hand next to autograd and finite differences."""
    rng = np.random.default_rng(args.seed + 1)
    N, C, m, H, W, kh, kw, s, d, O = 1, 2, 2, 6, 6, 3, 3, stride, dilation, 2   # k is the index below m
    x = ms.tensor(rng.integers(-2, 3, (N, C, H, W)).astype(np.float64), requires_grad=True)
    D = ms.tensor(rng.integers(-2, 3, (C * m, 1, kh, kw)).astype(np.float64), requires_grad=True)
    P = ms.tensor(rng.integers(-2, 3, (O, C * m, 1, 1)).astype(np.float64), requires_grad=True)
    g = conv_geometry("walkthrough", (H, W), (kh, kw), stride=s, padding="same", dilation=d)
    t = rng.integers(-2, 3, (N, O) + g.out_hw).astype(np.float64)  # L = Σ y·t, so dL/dy = t
    pt, pb, pl, pr = g.padding
    Po, Qo = g.out_hw

    print("\n" + "=" * 100)
    print(f"PART {tag}  stride {s}, padding 'same', dilation {d}, depth multiplier m = {m}; integers (seed {args.seed})")
    print("=" * 100)
    side = ("the odd extra row goes to the BOTTOM and the odd column to the RIGHT" if pb > pt
            else "an even total, so the padding is symmetric")
    print(f"'same' at stride {s}: P = ceil(H / s) = ceil({H} / {s}) = {Po}; the dilated kernel spans (kh - 1)·d + 1 = "
          f"{(kh - 1) * d + 1} pixels;\n  total = (P - 1)·s + {(kh - 1) * d + 1} - H = {(Po - 1) * s + (kh - 1) * d + 1 - H}, "
          f"pt = total // 2 = {pt}, pb = total - pt = {pb}: {side}; (pt, pb, pl, pr) = {g.padding}")
    xp = np.pad(x.data, ((0, 0), (0, 0), (pt, pb), (pl, pr)))  # (N,C,H,W) -> (N,C,H+pt+pb,W+pl+pr)
    show_planes(f"x (N, C, H, W) = {x.shape}, and xp: x zero-padded by (pt, pb, pl, pr) = {g.padding}",
                {**{f"x[0,{c}]": x.data[0, c] for c in range(C)}, **{f"xp[0,{c}]": xp[0, c] for c in range(C)}})
    show_planes(f"D (C·m, 1, kh, kw) = {D.shape}: filter c·m+k reads input channel c",
                {f"D[{c}·{m}+{kk}={c * m + kk}]": D.data[c * m + kk, 0] for c in range(C) for kk in range(m)})
    show_planes("P (O, C·m, 1, 1): P[o, c·m+k] mixes the 4 depthwise channels into 2", {"P[o, :]": P.data[:, :, 0, 0]})
    show_planes("t: the fixed weighting of L = Σ y·t (so dY = t)", {f"t[0,{o}]": t[0, o] for o in range(O)})

    h = F.depthwise_conv2d(x, D, stride=s, padding="same", dilation=d)
    h.retain_grad()
    y = F.pointwise_conv2d(h, P)
    loss = (y * ms.tensor(t)).sum()
    loss.backward()

    # ---- the forward by hand: one entry with a pencil ----------------------------------------------------
    c, kk, p, q = 0, 1, Po - 1, Qo - 1
    o_ch = c * m + kk
    terms = [(i, j, D.data[o_ch, 0, i, j], xp[0, c, p * s + i * d, q * s + j * d]) for i in range(kh) for j in range(kw)]
    print(f"\nh[0, {o_ch}, {p}, {q}] (channel c·m+k = {c}·{m}+{kk}) = Σ_ij D[{o_ch},0,i,j]·xp[0,{c}, {p}·{s}+i·{d}, "
          f"{q}·{s}+j·{d}] =\n    " + " + ".join(f"({a:.0f})({v:.0f})" for _i, _j, a, v in terms)
          + f" = {sum(a * v for *_, a, v in terms):.0f}    (autograd's forward: {h.data[0, o_ch, p, q]:.0f}; xp rows "
          f"{p * s}, {p * s + d}, {p * s + 2 * d}; rows {H + pt} and on are the bottom padding)")

    # ---- dH = Σ_o P[o, c·m+k]·dY[o], by hand ------------------------------------------------------------
    dY = t
    dH = np.zeros(h.shape)
    for ch in range(C * m):
        for o in range(O):
            dH[0, ch] += P.data[o, ch, 0, 0] * dY[0, o]
    show_planes("dH = dL/dh: dH[n, c·m+k] = Σ_o P[o, c·m+k]·dY[n, o] (by hand; autograd agrees: "
                f"{np.array_equal(dH, h.grad)})", {f"dH[0,{ch}]": dH[0, ch] for ch in range(C * m)})

    # ---- dX by hand, as the transposed conv: stride grid, flipped kernel, m-sum, crop --------------------
    Hg, Wg = (Po - 1) * s + 1, (Qo - 1) * s + 1
    grid = np.zeros((N, C * m, Hg, Wg))
    grid[:, :, ::s, ::s] = dH  # 1. gy on the stride grid: s - 1 zeros between neighbours
    show_planes(f"1. dH placed on the stride grid: dH[p, q] at (p·{s}, q·{s}), s - 1 = {s - 1} zero(s) between neighbours",
                {f"grid[0,{ch}]": grid[0, ch] for ch in range(C * m)})
    flipped = D.data[:, 0, ::-1, ::-1]  # 2. the flipped kernel wf[i, j] = D[kh-1-i, kw-1-j]
    show_planes("2. the flipped kernels wf[c·m+k, i, j] = D[c·m+k, 0, kh-1-i, kw-1-j]",
                {f"wf[{ch}]": flipped[ch] for ch in range(C * m)})
    e = (kh - 1) * d  # 3. pad the grid by the dilated extent - 1, correlate with wf (taps d apart)
    Hx, Wx = H + pt + pb, W + pl + pr
    gpad = np.zeros((N, C * m, Hx + e, Wx + e))
    gpad[:, :, e:e + Hg, e:e + Wg] = grid
    dXp = np.zeros((N, C, Hx, Wx))
    for ch in range(C):
        for kk2 in range(m):  # 4. the m-sum: channel c collects from its m filters c·m + k
            o_ch2 = ch * m + kk2
            for a in range(Hx):
                for b in range(Wx):
                    for i in range(kh):
                        for j in range(kw):
                            dXp[0, ch, a, b] += flipped[o_ch2, i, j] * gpad[0, o_ch2, a + i * d, b + j * d]
    dX_hand = dXp[:, :, pt:pt + H, pl:pl + W]  # 5. crop the padding off: x[h] is xp[h + pt]
    show_planes(f"3-5. dXp = (grid padded by (kh-1)·d = {e}) correlated with wf (taps {d} apart), summed over the "
                f"m = {m} filters of each channel; dX = dXp[{pt}:{pt + H}, {pl}:{pl + W}]",
                {f"dXp[0,{ch}]": dXp[0, ch] for ch in range(C)})

    # ---- finite differences of the same loss, no graph ---------------------------------------------------
    def loss_from_leaves():
        with ms.no_grad():
            yy = F.separable_conv2d(x.data, D.data, P.data, stride=s, padding="same", dilation=d).data
        return float(np.sum(yy * t))

    numeric = {name: central_differences(loss_from_leaves, leaf.data) for name, leaf in
               (("dX", x), ("dD", D), ("dP", P))}

    # ---- dD and dP by hand -------------------------------------------------------------------------------
    dD_hand = np.zeros(D.shape)
    for ch in range(C):
        for kk2 in range(m):
            for i in range(kh):
                for j in range(kw):
                    for pp in range(Po):
                        for qq in range(Qo):
                            dD_hand[ch * m + kk2, 0, i, j] += dH[0, ch * m + kk2, pp, qq] * xp[0, ch, pp * s + i * d,
                                                                                                 qq * s + j * d]
    dP_hand = np.zeros(P.shape)
    for o in range(O):
        for ch in range(C * m):
            for pp in range(Po):
                for qq in range(Qo):
                    dP_hand[o, ch, 0, 0] += dY[0, o, pp, qq] * h.data[0, ch, pp, qq]

    worst = 0.0
    for name, hand, auto, planes in (
            ("dX", dX_hand, x.grad, [(f"[0,{ch}]", (0, ch)) for ch in range(C)]),
            ("dD", dD_hand, D.grad, [(f"[{ch}]", (ch, 0)) for ch in range(C * m)]),
            ("dP", dP_hand[:, :, 0, 0], P.grad[:, :, 0, 0], [("[o, c·m+k]", ())])):
        num = numeric[name] if name != "dP" else numeric[name][:, :, 0, 0]
        for lab, ix in planes:
            show_planes(f"{name}{lab}: by hand | autograd | finite differences (rounded to 1e-6)",
                        {"by hand": hand[ix], "autograd": auto[ix], "finite differences": np.round(num[ix], 6) + 0.0})
        worst = max(worst, float(np.abs(hand - auto).max()), float(np.abs(num - auto).max()))

    # ---- one dX entry with a pencil: the bottom-right pixel, next to the odd padding row ------------------
    hh, ww = H - 1, W - 1
    pencil = []
    for ch_k in range(m):
        o_ch2 = 0 * m + ch_k
        for i in range(kh):
            for j in range(kw):
                a, b = hh + pt - i * d, ww + pl - j * d
                if a >= 0 and b >= 0 and a % s == 0 and b % s == 0 and a // s < Po and b // s < Qo:
                    pencil.append((o_ch2, i, j, a // s, b // s))
    value = sum(D.data[o2, 0, i, j] * dH[0, o2, pp, qq] for o2, i, j, pp, qq in pencil)
    print(f"\nWith a pencil: dX[0, 0, {hh}, {ww}] = Σ_k Σ_{{p,q,i,j : p·{s}+i·{d}-{pt} = {hh}, q·{s}+j·{d}-{pl} = {ww}}} "
          f"D[0·{m}+k, 0, i, j]·dH[0, 0·{m}+k, p, q] =")
    products = [f"D[{o2},0,{i},{j}]·dH[{o2},{pp},{qq}] = ({D.data[o2, 0, i, j]:.0f})({dH[0, o2, pp, qq]:.0f})"
                for o2, i, j, pp, qq in pencil]
    for r in range(0, len(products), 3):
        print("      " + " + ".join(products[r:r + 3]) + (" +" if r + 3 < len(products) else ""))
    print(f"    = {value:.0f}   (autograd: {x.grad[0, 0, hh, ww]:.0f})")
    print(f"  (only taps whose row p·{s} + i·{d} - {pt} lands on {hh} AND whose p is on the stride grid count: that is "
          f"the zero-inserted grid above)")

    ok = worst < 1e-6 and value == x.grad[0, 0, hh, ww]
    print(f"\nlargest difference (by hand or finite differences vs autograd): {worst:.1e}")
    print(f"PART {tag}: ALL GRADIENTS AGREE" if ok else f"PART {tag}: MISMATCH: see the tables above")
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["1", "2", "both"], default="both",
                        help="1: the plain case; 2: stride 2 'same', dilation 2, m = 2 on integers (default: both)")
    parser.add_argument("--padding", choices=["1", "same"], default="1",
                        help="part 1: 1 or 'same' (identical there: stride 1 and a 3x3 kernel pad one pixel all round)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="accepted for the test suite; already fast")
    args = parser.parse_args(argv)
    np.set_printoptions(precision=4, suppress=True, linewidth=150)
    ok = True
    if args.part in ("1", "both"):
        ok &= part1(args)
    if args.part in ("2", "both"):
        ok &= part2(args)
    print("\nDerivations: docs/backprop-separable-conv.md.  Pictures: minisep draw --help.  "
          "Any layer shape: minisep gradcheck --help")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
