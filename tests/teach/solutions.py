"""Reference solutions of the exercises, written as a learner would (plain loops over xp)."""
import numpy as np


def _pad(x, padding):
    pt, pb, pl, pr = padding
    return np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))


def depthwise_forward(x, w, stride, padding, dilation):
    N, C, H, W = x.shape
    m, k = w.shape[0] // C, w.shape[2]
    xp = _pad(x, padding)
    s, d = stride, dilation
    P, Q = (xp.shape[2] - (k - 1) * d - 1) // s + 1, (xp.shape[3] - (k - 1) * d - 1) // s + 1
    y = np.zeros((N, C * m, P, Q))
    for c in range(C):
        for r in range(m):
            for p in range(P):
                for q in range(Q):
                    for i in range(k):
                        for j in range(k):
                            y[:, c * m + r, p, q] += w[c * m + r, 0, i, j] * xp[:, c, p * s + i * d, q * s + j * d]
    return y


def depthwise_backward_input(gy, w, x_shape, stride, padding, dilation):
    N, C, H, W = x_shape
    pt, pb, pl, pr = padding
    m, k, (P, Q) = w.shape[0] // C, w.shape[2], gy.shape[2:]
    gxp = np.zeros((N, C, H + pt + pb, W + pl + pr))
    s, d = stride, dilation
    for c in range(C):
        for r in range(m):
            for p in range(P):
                for q in range(Q):
                    for i in range(k):
                        for j in range(k):
                            gxp[:, c, p * s + i * d, q * s + j * d] += w[c * m + r, 0, i, j] * gy[:, c * m + r, p, q]
    return gxp[:, :, pt:pt + H, pl:pl + W]


def depthwise_backward_weight(x, gy, w_shape, stride, padding, dilation):
    C, k = x.shape[1], w_shape[2]
    m, (P, Q) = w_shape[0] // C, gy.shape[2:]
    xp = _pad(x, padding)
    s, d = stride, dilation
    gw = np.zeros(w_shape)
    for c in range(C):
        for r in range(m):
            for i in range(k):
                for j in range(k):
                    for p in range(P):
                        for q in range(Q):
                            gw[c * m + r, 0, i, j] += np.sum(gy[:, c * m + r, p, q] * xp[:, c, p * s + i * d, q * s + j * d])
    return gw
