"""Reproducible experiments behind docs/when-to-use-separable-conv.md: seeds, confidence intervals, stamps.

    python -m minisep.experiments.when_to_use --budget quick --out docs/results/
"""
