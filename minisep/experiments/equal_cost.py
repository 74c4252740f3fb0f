"""Equal architecture, equal parameters, equal mult-adds, depth multipliers, variants, and a width sweep.

Every run is one (model, width, seed) trained with the same budget; seed s fixes the initial weights
(seed s) and the batch order (seed s + 1) for every model, so differences are paired by seed. The
reference of every row is 'standard' at the base width, on the same seeds.

    (a) equal architecture     standard, separable (Keras: nothing between depthwise and pointwise)
    (b) equal cost             separable widened to the standard's parameters, and to its mult-adds
    (d) depth multiplier       separable with m = 1, 2, 4
    (e) between the two convs  nothing, ReLU (Xception §4.7), BN+ReLU (MobileNet), pointwise first (BSConv-U)
    width sweep                standard and separable at every width of cfg["widths"]
"""

from __future__ import annotations

import numpy as np

from ..teach.summary import cost
from .runner import train_run
from .variants import make_model

WIDTH_GRID = tuple(float(w) for w in np.round(np.arange(0.25, 6.001, 0.05), 2))


def matched_widths(targets: tuple[int, int], variant: str, input_shape, widths=WIDTH_GRID) -> tuple[float, float]:
    """The width multipliers of ``widths`` (a 0.05 grid) at which ``variant`` has (parameters, mult-adds)
    closest to ``targets`` = (parameters, mult-adds); of equally close widths, the smallest. Channel
    counts are rounded (round(c · width)), so the match is to within one channel per layer."""
    costs = {w: cost(make_model(variant, input_shape, 0, w), input_shape) for w in widths}
    return tuple(float(min(widths, key=lambda w: (abs(costs[w][i] - targets[i]), w))) for i in (0, 1))


def equal_cost_layout(input_shape, width: float) -> dict:
    """The table rows {section, label, model, width}; the width of (b) is searched, not given."""
    p_std, m_std = cost(make_model("standard", input_shape, 0, width), input_shape)
    w_p, w_m = matched_widths((p_std, m_std), "separable", input_shape)
    rows = [("a", "standard", "standard", width), ("a", "separable", "separable", width),
            ("b", "separable, widened to the standard's params", "separable", w_p),
            ("b", "separable, widened to the standard's mult-adds", "separable", w_m),
            ("d", "separable m=1", "separable", width), ("d", "separable m=2", "separable_m2", width),
            ("d", "separable m=4", "separable_m4", width),
            ("e", "nothing between (Keras)", "separable", width),
            ("e", "ReLU between (Xception §4.7)", "separable_relu", width),
            ("e", "BN+ReLU between (MobileNet)", "separable_bn_relu", width),
            ("e", "pointwise then depthwise (BSConv-U)", "bsconv_u", width)]
    return {"kind": "equal_cost", "reference": {"model": "standard", "width": width},
            "rows": [dict(section=s, label=label, model=m, width=w) for s, label, m, w in rows]}


def width_sweep_layout(widths) -> dict:
    return {"kind": "width_sweep",
            "rows": [dict(section=f"x{w:g}", label=m, model=m, width=float(w)) for w in widths
                     for m in ("standard", "separable")]}


def run_key(model: str, width: float, seed: int) -> str:
    return f"{model}|width={width:g}|seed={seed}"


def plan(lay: dict, seeds) -> list[tuple[str, dict]]:
    """Every distinct (model, width, seed) of the layout as (key, arguments of train_run), in table order."""
    runs, seen = [], set()
    for row in lay["rows"]:
        for seed in seeds:
            key = run_key(row["model"], row["width"], seed)
            if key not in seen:
                seen.add(key)
                runs.append((key, dict(variant=row["model"], width=row["width"], seed=seed)))
    return runs


def run_plan(result, lay: dict, train, test, *, dataset: str, seeds, epochs: int, lr=None, log=print) -> None:
    result.extra.update(lay)
    last = None
    for key, args in plan(lay, seeds):
        result.get(key, lambda: train_run(train=train, test=test, epochs=epochs, lr=lr, dataset=dataset, **args))
        if (args["variant"], args["width"]) != last:
            last = (args["variant"], args["width"])
            log(f"  {result.name}: {args['variant']} x{args['width']:g}")
