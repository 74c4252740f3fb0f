"""The wide-canvas machinery behind the fast convolution kernels: a first reader can skip this folder.

The op files one level up (depthwise.py, pointwise.py, conv.py) hold each op's formula, its fast
kernel, its loop twin and its einsum reference; the fast kernels call the two correlations here:

    layout.py   Grid (an A×B plane on a flat canvas: entry (a, b) at lead + a·ra + b·rb), the Canvas
                of a ConvGeometry (where x, y and gy sit on it), `place` and the span sizes
    grouped.py  grouped_corr / grouped_wgrad: one canvas per (sample, channel) plane (depthwise)
    dense.py    corr_dense / wgrad_dense: one canvas per sample, small images stacked (pointwise, standard)

Nothing here knows about Tensors; the thread pool and the "how many threads" rule are ../threads.py.
"""
