"""Run every kernel under NUMBA_BOUNDSCHECK=1 over edge configurations; exit 1 on any failure.

Started in a subprocess by test_kernels_boundscheck.py. Two numba facts shape it:
- an IndexError raised inside a prange body is silently dropped (the iteration just stops), and
- cache=True would load machine code compiled without the checks.
So every jitted kernel is recompiled from its Python source, serial (prange runs as range) and
uncached, with boundscheck=True; the public wrappers, which look kernels up at call time, then use
those. Each result is also compared with its reference, since a wrapped-around negative index is
"in bounds" for numba.
"""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout, installed or not

import numpy as np  # noqa: E402
from numba import njit  # noqa: E402
from numba.core.registry import CPUDispatcher  # noqa: E402

import minisep.kernels as K  # noqa: E402
from minisep.kernels import conv, depthwise, pointwise, pool  # noqa: E402
from minisep.kernels.canvas import dense, grouped, layout  # noqa: E402

assert os.environ.get("NUMBA_BOUNDSCHECK") == "1", "run with NUMBA_BOUNDSCHECK=1"


def rejit(module):
    for name, fn in list(vars(module).items()):
        if isinstance(fn, CPUDispatcher):
            fastmath = fn.targetoptions.get("fastmath", False)
            setattr(module, name, njit(boundscheck=True, fastmath=fastmath)(fn.py_func))


def must_raise_index_error(call, what):
    try:
        call()
    except IndexError:
        return
    sys.exit(f"bounds checking is off: {what} did not raise IndexError")


must_raise_index_error(lambda: njit(lambda a: a[2])(np.zeros(2)), "a canary kernel")
for module in (layout, dense, grouped, pool, depthwise, conv, pointwise):  # fast kernels and loop twins
    rejit(module)
must_raise_index_error(lambda: layout.put_plane(np.zeros(3), 0, np.ones((2, 2)), layout.Grid(0, 2, 1, 2, 2)),
                       "layout.put_plane")

CONV_EDGES = [  # N, C, H, W, m (= O for conv), kernel, stride, padding, dilation
    (1, 2, 3, 3, 2, 3, 1, 0, 1),  # kernel == input
    (1, 1, 2, 2, 1, 3, 1, 5, 1),  # huge padding
    (2, 2, 7, 6, 3, 2, 3, 0, 1),  # stride > kernel
    (1, 2, 7, 7, 2, 3, 1, 0, 3),  # dilation 3, the kernel spans the whole input
    (1, 2, 5, 8, 1, 3, 2, 2, 3),  # dilation 3 with padding and stride
    (2, 3, 1, 1, 2, 1, 1, 0, 1),  # 1x1 image, 1x1 kernel
    (1, 2, 1, 1, 2, 3, 1, "same", 1),  # 1x1 image, 'same'
    (1, 2, 7, 5, 2, 3, 3, "same", 1),  # 'same' with stride 3
    (1, 2, 8, 4, 3, 3, 3, "same", 2),  # 'same' with stride 3 and dilation 2
    (1, 1, 4, 9, 2, (2, 3), (3, 2), (0, 2, 1, 0), (2, 1)),  # asymmetric everything
    (1, 2, 1, 6, 1, 1, 3, (4, 0, 0, 0), 1),  # the canvas ends inside the top padding
    (1, 5, 6, 6, 7, 3, 1, 1, 1),  # channel and tap counts not multiples of 3 or 4
    (0, 2, 4, 4, 2, 3, 1, 1, 1),  # empty batch
    (1, 2, 50, 47, 2, 3, 1, 1, 1),  # several spans of output rows per plane
    (1, 2, 50, 47, 1, 3, 2, "same", 2),
    (1, 2, 5, 600, 2, 3, 2, 1, 1),  # long rows with stride 2: one span per output row
    (20, 3, 6, 5, 2, 3, 1, 1, 1),  # small images stacked on one canvas, several per weight-gradient chunk
    (5, 2, 20, 20, 3, 3, 2, "same", 1),  # stacked samples, the last canvas holding fewer
]
POOL_EDGES = [  # H, W, kernel, stride, padding
    (3, 3, 3, None, 0), (1, 1, 1, None, 0), (1, 1, 3, 1, "same"), (7, 5, 3, 3, "same"), (7, 6, 2, 3, 1),
    (5, 4, (3, 2), (1, 2), (1, 0)), (6, 6, 3, 2, "same"), (8, 3, 3, 1, (1, 1, 0, 1)),
]
failures, checked = [], 0


def same(name, ours, reference):
    global checked
    checked += 1
    if ours.shape != reference.shape or not np.allclose(ours, reference, rtol=1e-10, atol=1e-12):
        failures.append(name)


rng = np.random.default_rng(0)
for N, C, H, W, m, k, s, pad, d in CONV_EDGES:
    tag = f"{(N, C, H, W)} m={m} k={k} s={s} pad={pad} d={d}"
    g = K.conv_geometry("boundscheck", (H, W), k, s, pad, d)
    x = rng.standard_normal((N, C, H, W))
    wd = rng.standard_normal((C * m, 1) + g.kernel_hw)
    wc = rng.standard_normal((m, C) + g.kernel_hw)
    gyd = rng.standard_normal((N, C * m) + g.out_hw)
    gyc = gyd[:, :m].copy()
    same(f"depthwise_forward {tag}", K.depthwise_forward(x, wd, g), K.depthwise_forward_reference(x, wd, g))
    same(f"depthwise_backward_input {tag}", K.depthwise_backward_input(gyd, wd, g, C),
         K.depthwise_backward_input_reference(gyd, wd, g, C))
    same(f"depthwise_backward_weight {tag}", K.depthwise_backward_weight(x, gyd, g),
         K.depthwise_backward_weight_reference(x, gyd, g))
    same(f"conv2d_forward {tag}", K.conv2d_forward(x, wc, g), K.conv2d_forward_reference(x, wc, g))
    same(f"conv2d_backward_input {tag}", K.conv2d_backward_input(gyc, wc, g),
         K.conv2d_backward_input_reference(gyc, wc, g))
    same(f"conv2d_backward_weight {tag}", K.conv2d_backward_weight(x, gyc, g),
         K.conv2d_backward_weight_reference(x, gyc, g))
    wp, gyp = wc[:, :, :1, :1].copy(), rng.standard_normal((N, m, H, W))
    same(f"pointwise_forward {tag}", K.pointwise_forward(x, wp), K.pointwise_forward_reference(x, wp))
    same(f"pointwise_backward_input {tag}", K.pointwise_backward_input(gyp, wp),
         K.pointwise_backward_input_reference(gyp, wp))
    same(f"pointwise_backward_weight {tag}", K.pointwise_backward_weight(x, gyp),
         K.pointwise_backward_weight_reference(x, gyp))
    # the loop twins: the formulas verbatim, with a bounds test per tap
    same(f"depthwise_forward_loops {tag}", depthwise.depthwise_forward_loops(x, wd, g),
         K.depthwise_forward_reference(x, wd, g))
    same(f"depthwise_backward_input_loops {tag}", depthwise.depthwise_backward_input_loops(gyd, wd, g, C),
         K.depthwise_backward_input_reference(gyd, wd, g, C))
    same(f"depthwise_backward_weight_loops {tag}", depthwise.depthwise_backward_weight_loops(x, gyd, g),
         K.depthwise_backward_weight_reference(x, gyd, g))
    same(f"conv2d_forward_loops {tag}", conv.conv2d_forward_loops(x, wc, g), K.conv2d_forward_reference(x, wc, g))
    same(f"conv2d_backward_input_loops {tag}", conv.conv2d_backward_input_loops(gyc, wc, g),
         K.conv2d_backward_input_reference(gyc, wc, g))
    same(f"conv2d_backward_weight_loops {tag}", conv.conv2d_backward_weight_loops(x, gyc, g),
         K.conv2d_backward_weight_reference(x, gyc, g))
    same(f"pointwise_forward_loops {tag}", pointwise.pointwise_forward_loops(x, wp),
         K.pointwise_forward_reference(x, wp))
    same(f"pointwise_backward_input_loops {tag}", pointwise.pointwise_backward_input_loops(gyp, wp),
         K.pointwise_backward_input_reference(gyp, wp))
    same(f"pointwise_backward_weight_loops {tag}", pointwise.pointwise_backward_weight_loops(x, gyp),
         K.pointwise_backward_weight_reference(x, gyp))

for H, W, k, s, pad in POOL_EDGES:
    tag = f"{(H, W)} k={k} s={s} pad={pad}"
    g = K.pool_geometry("boundscheck", (H, W), k, s, pad)
    x = rng.permutation(2 * 3 * H * W).reshape(2, 3, H, W).astype(np.float64)
    gy = rng.standard_normal((2, 3) + g.out_hw)
    y, argmax = K.max_pool2d_forward(x, g)
    y_ref, argmax_ref = K.max_pool2d_forward_reference(x, g)
    same(f"max_pool2d_forward {tag}", y, y_ref)
    same(f"max_pool2d_forward argmax {tag}", argmax, argmax_ref)
    same(f"max_pool2d_backward {tag}", K.max_pool2d_backward(gy, argmax, g),
         K.max_pool2d_backward_reference(gy, argmax, g))
    for include in (True, False):
        same(f"avg_pool2d_forward {tag} {include}", K.avg_pool2d_forward(x, g, include),
             K.avg_pool2d_forward_reference(x, g, include))
        same(f"avg_pool2d_backward {tag} {include}", K.avg_pool2d_backward(gy, g, include),
             K.avg_pool2d_backward_reference(gy, g, include))


# ---- ReLU and BatchNorm kernels (activation.py, batchnorm.py) ----
from minisep.kernels import activation, batchnorm  # noqa: E402
from minisep.kernels.threads import SERIAL_WORK, VALUE_WORK  # noqa: E402

rejit(activation)
rejit(batchnorm)
must_raise_index_error(lambda: batchnorm._channel_stats(np.ones((1, 1, 2)), 3), "batchnorm._channel_stats")
PARALLEL = SERIAL_WORK // VALUE_WORK  # values from which the elementwise kernels run on the threads
for L in (0, 1, activation.BLK - 1, activation.BLK + 1, PARALLEL, PARALLEL + 7):
    x = rng.standard_normal(L)
    y = activation.relu_forward(x)
    same(f"relu_forward L={L}", y, activation.relu_forward_reference(x))
    gy = rng.standard_normal(L)
    same(f"relu_backward L={L}", activation.relu_backward(gy, y), activation.relu_backward_reference(gy, y))
for shape in [(1, 1, 1, 1), (2, 3, 1, 1), (3, 2, 5, 7), (0, 2, 3, 3), (2, 1, 4, 4), (2, 4, 100, 90)]:
    x, gy = rng.standard_normal(shape), rng.standard_normal(shape)
    gamma, beta = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    if shape[0]:
        for ours, ref in zip(batchnorm.bn_stats(x), batchnorm.bn_stats_reference(x)):
            same(f"bn_stats {shape}", ours, ref)
    mean, inv = rng.standard_normal(shape[1]), rng.uniform(0.5, 2.0, shape[1])
    same(f"bn_forward {shape}", batchnorm.bn_forward(x, mean, inv, gamma, beta),
         batchnorm.bn_forward_reference(x, mean, inv, gamma, beta))
    for stats in (True, False):
        for ours, ref in zip(batchnorm.bn_backward(gy, x, mean, inv, gamma, stats),
                             batchnorm.bn_backward_reference(gy, x, mean, inv, gamma, stats)):
            same(f"bn_backward {shape} batch_stats={stats}", ours, ref)

if failures:
    sys.exit("differ from the reference:\n" + "\n".join(failures))
print(f"checked {checked} kernel results under NUMBA_BOUNDSCHECK=1, all in bounds and equal to the references")
