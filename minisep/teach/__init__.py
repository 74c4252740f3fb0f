"""Teaching tools: gradient checks, per-layer checks, graph views, cost summaries.

They look at the core (tensors, Functions, kernels) and never change it.
"""
