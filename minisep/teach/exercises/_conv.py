"""What the exercises share: for the three depthwise ones the configurations, the cases and the wrong
variants; for all of them the float64 finite-difference check (fd_check)."""
from __future__ import annotations

import numpy as np

from ...kernels import conv_geometry
from .. import bugs


def configs():
    from hypothesis import assume, strategies as st

    @st.composite
    def config(draw):
        cfg = dict(N=draw(st.integers(1, 2)), C=draw(st.integers(1, 2)), m=draw(st.integers(1, 2)),
                   H=draw(st.integers(1, 6)), W=draw(st.integers(1, 6)), kernel=draw(st.integers(1, 3)),
                   stride=draw(st.integers(1, 2)), dilation=draw(st.integers(1, 2)),
                   padding=draw(st.sampled_from(["valid", "same", 1])), seed=draw(st.integers(0, 3)))
        try:
            geometry(cfg)
        except ValueError:
            assume(False)
        return cfg
    return config()


def geometry(cfg):
    return conv_geometry("exercise", (cfg["H"], cfg["W"]), (cfg["kernel"], cfg["kernel"]), cfg["stride"], cfg["padding"],
                         cfg["dilation"])


def make_case(cfg):
    g = geometry(cfg)
    rng = np.random.default_rng(cfg["seed"])
    N, C, m, kh = cfg["N"], cfg["C"], cfg["m"], cfg["kernel"]
    # small integers: every sum is exact, and a learner can follow one entry by hand
    return dict(cfg=cfg, g=g, x=rng.integers(-3, 4, (N, C, cfg["H"], cfg["W"])).astype(np.float64),
                w=rng.integers(-3, 4, (C * m, 1, kh, kh)).astype(np.float64),
                gy=rng.integers(-3, 4, (N, C * m) + g.out_hw).astype(np.float64))


def geo_args(case):
    cfg = case["cfg"]
    return dict(stride=cfg["stride"], padding=case["g"].padding, dilation=cfg["dilation"])


def variants(kind: str, extra=None) -> dict:
    """name -> (case -> wrong output, hint) for the bugs that break `kind` ('dX', 'dD' or 'y')."""
    table = dict(extra or {})
    for bug in bugs.DEPTHWISE_BUGS.values():
        if kind == "y" and bug.name in ("no-m-sum", "no-batch-sum", "no-flip"):
            continue
        if kind != "y" and kind not in bug.breaks:
            continue
        table[bug.name] = (_runner(kind, bug.knobs), bug.hint)
    return table


def _runner(kind, kn):
    if kind == "dX":
        return lambda c: bugs.depthwise_input(c["gy"], c["w"], c["g"], c["x"].shape[1], kn)
    if kind == "dD":
        return lambda c: bugs.depthwise_weight(c["x"], c["gy"], c["g"], kn)
    return lambda c: bugs.depthwise_forward(c["x"], c["w"], c["g"], kn)


def finite_differences(f, a, eps=1e-6):
    """(f(a + eps·e) - f(a - eps·e)) / (2·eps) for every element e of a float64 array a."""
    out, flat = np.empty(a.size), a.reshape(-1)
    for e in range(a.size):
        orig = flat[e]
        flat[e] = orig + eps
        up = f()
        flat[e] = orig - eps
        down = f()
        flat[e] = orig
        out[e] = (up - down) / (2 * eps)
    return out.reshape(a.shape)


FD_CFG = dict(N=2, C=2, m=2, H=5, W=4, kernel=3, stride=2, dilation=1, padding="same", seed=7)


def fd_check(what: str, cfg: dict, loss, grads: dict) -> tuple[bool, str]:
    """(ok, message): each analytic gradient, grads[name] = (analytic, a), against the central differences
    of loss() with respect to the float64 array a (perturbed in place and restored)."""
    errors = {name: float(np.abs(np.asarray(g, dtype=np.float64) - finite_differences(loss, a)).max())
              for name, (g, a) in grads.items()}
    ok = max(errors.values()) < 1e-5
    detail = ", ".join(f"{e:.1e}" + (f" ({name})" if len(errors) > 1 else "") for name, e in errors.items())
    return ok, f"{what} on {cfg}: max abs error {detail} ({'ok' if ok else 'WRONG'})"
