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


def pointwise_forward(x, w):
    N, C, H, W = x.shape
    O = w.shape[0]
    y = np.zeros((N, O, H, W))
    for o in range(O):
        for c in range(C):
            y[:, o] += w[o, c, 0, 0] * x[:, c]
    return y


def pointwise_backward(gy, x, w):
    O, C = w.shape[:2]
    gx, gw = np.zeros(x.shape), np.zeros(w.shape)
    for o in range(O):
        for c in range(C):
            gx[:, c] += w[o, c, 0, 0] * gy[:, o]
            gw[o, c, 0, 0] = np.sum(gy[:, o] * x[:, c])
    return gx, gw


def separable_chain_rule(dW, D, P):
    O, C, kh, kw = dW.shape
    m = D.shape[0] // C
    dD, dP = np.zeros(D.shape), np.zeros(P.shape)
    for c in range(C):
        for k in range(m):
            for o in range(O):
                dD[c * m + k, 0] += P[o, c * m + k, 0, 0] * dW[o, c]
                dP[o, c * m + k, 0, 0] = np.sum(D[c * m + k, 0] * dW[o, c])
    return dD, dP


def same_padding(in_hw, kernel_hw, stride, dilation):
    pads, out = [], []
    for n, k, s, d in zip(in_hw, kernel_hw, stride, dilation):
        P = -(-n // s)
        total = max((P - 1) * s + (k - 1) * d + 1 - n, 0)
        pads += [total // 2, total - total // 2]
        out.append(P)
    return tuple(pads), tuple(out)


def max_pool_backward(x, gy, kernel, stride, padding):
    N, C, H, W = x.shape
    P, Q = gy.shape[2:]
    gx = np.zeros(x.shape)
    for n in range(N):
        for c in range(C):
            for p in range(P):
                for q in range(Q):
                    best, where = -np.inf, None
                    for i in range(kernel):
                        for j in range(kernel):
                            h, w = p * stride - padding + i, q * stride - padding + j
                            if 0 <= h < H and 0 <= w < W and x[n, c, h, w] > best:
                                best, where = x[n, c, h, w], (h, w)
                    gx[n, c, where[0], where[1]] += gy[n, c, p, q]
    return gx


def batchnorm_backward(gy, x, gamma, eps):
    M = x.shape[0] * x.shape[2] * x.shape[3]
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = ((x - mean) ** 2).mean(axis=(0, 2, 3), keepdims=True)
    inv = 1.0 / np.sqrt(var + eps)
    xh = (x - mean) * inv
    gbeta = gy.sum(axis=(0, 2, 3))
    ggamma = (gy * xh).sum(axis=(0, 2, 3))
    gx = gamma[None, :, None, None] * inv * (gy - gbeta[None, :, None, None] / M - xh * ggamma[None, :, None, None] / M)
    return gx, ggamma, gbeta
