"""Exercise 6: Keras 'same' padding with stride > 1.  Check with: minisep exercise check 6 THIS-FOLDER

'same' (Keras / TensorFlow, also minisep) means: the output has P = ceil(H / s) rows, whatever the
kernel; the input is padded just enough for that. Per dimension (rows shown; columns likewise with
W, kw, sw, rw and (pl, pr)):

    P     = ceil(H / sh)
    total = max((P - 1)·sh + (kh - 1)·rh + 1 - H, 0)     # (kh - 1)·rh + 1: the dilated kernel's extent
    pt    = total // 2,   pb = total - pt                 # an odd total: the extra row at the BOTTOM

Check one by hand: H = 6, kh = 3, sh = 2, rh = 1 gives P = 3, total = 1, (pt, pb) = (0, 1).
All arguments are (h, w) pairs of ints.
"""


def same_padding(in_hw, kernel_hw, stride, dilation):
    """((pt, pb, pl, pr), (P, Q))."""
    raise NotImplementedError("fill in same_padding")
