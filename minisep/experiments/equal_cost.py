"""Equal architecture, equal parameters, equal mult-adds, a width sweep, depth multipliers and variants.

Every run is one (model, width, seed) trained with the same budget; seed s fixes the initial weights
(seed s) and the batch order (seed s + 1) for every model, so differences are paired by seed.
"""

from __future__ import annotations

import numpy as np

from ..teach.summary import cost
from .runner import train_run
from .variants import make_model

ARCH_MODELS = ("standard", "separable", "separable_relu", "separable_bn_relu", "separable_m2", "separable_m4",
               "bsconv_u")


def matched_width(target: int, which: int, variant: str, input_shape, widths=None) -> float:
    """The width multiplier (grid of 0.05) at which ``variant`` has cost[which] closest to ``target``
    (which = 0: parameters, 1: mult-adds)."""
    widths = widths if widths is not None else np.round(np.arange(0.5, 6.01, 0.05), 2)
    best = min(widths, key=lambda w: abs(cost(make_model(variant, input_shape, 0, float(w)), input_shape)[which]
                                         - target))
    return float(best)


def run_equal_cost(result, train, test, *, dataset: str, seeds, epochs: int, width: float, lr=None, log=print):
    """(a) the models of ARCH_MODELS at ``width``; (b) 'separable' widened to the standard's params and
    mult-adds. Returns the list of (label, model, width) it trained."""
    shape = tuple(train[0].shape[1:])
    p_std, m_std = cost(make_model("standard", shape, 0, width), shape)
    entries = [(name, name, width) for name in ARCH_MODELS]
    entries += [("separable @ standard's params", "separable", matched_width(p_std, 0, "separable", shape)),
                ("separable @ standard's mult-adds", "separable", matched_width(m_std, 1, "separable", shape))]
    for label, model, w in entries:
        for seed in seeds:
            key = f"{label}|{w:g}|{seed}"
            result.get(key, lambda: dict(train_run(model, train, test, seed=seed, epochs=epochs, width=w, lr=lr,
                                                   dataset=dataset), label=label))
        log(f"  {dataset}: {label} (width {w:g}) done")
    return entries


def run_width_sweep(result, train, test, *, dataset: str, seeds, epochs: int, widths, lr=None, log=print):
    """standard and separable at every width: accuracy vs mult-adds and vs measured training time."""
    for w in widths:
        for model in ("standard", "separable"):
            for seed in seeds:
                key = f"{model}|{w:g}|{seed}"
                result.get(key, lambda: dict(train_run(model, train, test, seed=seed, epochs=epochs, width=w, lr=lr,
                                                       dataset=dataset), label=model))
            log(f"  {dataset}: width sweep {model} x{w:g} done")
