"""minisep: a teaching autograd framework for backpropagation through separable convolution.

>>> import minisep as ms
>>> x = ms.tensor([1.0, 2.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
array([2., 4.], dtype=float32)
"""

import os as _os
import sys as _sys

if "numpy" not in _sys.modules:
    # OpenBLAS worker threads busy-wait after each matmul and starve numba's kernel threads
    # (measured on 2 cores: a training step ~1.5x slower). minisep's heavy work runs in numba,
    # so keep BLAS single-threaded unless the user chose otherwise. Only possible before numpy loads.
    _os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# minisep's kernels run on threads of their own (minisep/kernels/threads.py), not on numba's OpenMP
# pool, so nothing here changes how OpenMP threads wait (that would also slow torch in the process).

from . import _numba_cache  # noqa: F401  (before any kernel module: numba picks its cache folder at import)
from . import nn, ops, optim
from .autograd import Function, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .creation import arange, from_numpy, full, ones, ones_like, rand, randn, zeros, zeros_like
from .teach.gradcheck import GradcheckError, GradcheckReport, gradcheck
from .ops import cat, concatenate, cross_entropy, dropout, pad, stack, where
from .random import manual_seed
from .tensor import Tensor, as_tensor, tensor

# dtype names as torch spells them (minisep.float32 is numpy's float32)
import numpy as _np  # noqa: E402  (already loaded by the imports above)

float32, float64, int64, bool_ = _np.float32, _np.float64, _np.int64, _np.bool_

__version__ = "0.1.0"

__all__ = [
    "Tensor", "tensor", "as_tensor", "Function", "no_grad", "enable_grad", "set_grad_enabled",
    "is_grad_enabled", "gradcheck", "GradcheckError", "GradcheckReport", "concatenate", "stack",
    "pad", "cross_entropy", "dropout", "ops", "nn", "optim", "cat", "where", "manual_seed",
    "zeros", "ones", "full", "randn", "rand", "arange", "from_numpy", "zeros_like", "ones_like",
    "float32", "float64", "int64", "bool_",
]
