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

from . import nn, ops, optim
from .autograd import Function, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .teach.gradcheck import GradcheckError, GradcheckReport, gradcheck
from .ops import concatenate, cross_entropy, dropout, pad, stack
from .tensor import Tensor, as_tensor, tensor

__version__ = "0.1.0"

__all__ = [
    "Tensor", "tensor", "as_tensor", "Function", "no_grad", "enable_grad", "set_grad_enabled",
    "is_grad_enabled", "gradcheck", "GradcheckError", "GradcheckReport", "concatenate", "stack",
    "pad", "cross_entropy", "dropout", "ops", "nn", "optim",
]
