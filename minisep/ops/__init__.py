"""Differentiable ops: one Function per op, its math in the docstring."""

from . import elementwise, linalg, loss, reduce, shape  # noqa: F401
from . import conv, pool  # noqa: F401
from .elementwise import where  # noqa: F401
from .loss import cross_entropy, dropout  # noqa: F401
from .shape import cat, concatenate, pad, stack  # noqa: F401
