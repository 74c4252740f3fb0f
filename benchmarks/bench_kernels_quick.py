"""Quick timing of minisep's kernels against their *_reference twins and PyTorch (if installed).

    python benchmarks/bench_kernels_quick.py [--repeat 20] [--no-reference] [--threads N] [--cpu-time]

float32, medians in milliseconds. "fwd+bwd" = forward + backward_input + backward_weight (for torch:
forward and .backward() computing both gradients). The implementations take turns in blocks of
5 calls, so a slow spell of the machine hits all of them alike. Padding is 'same'.
"""
from __future__ import annotations

import argparse
import os
import time

import numba
import numpy as np

import minisep.kernels as K

try:
    import torch
except ImportError:  # torch is an optional reference
    torch = None

CASES = [  # name, N, C, O, H, k
    ("depthwise", 64, 32, 32, 28, 3),
    ("pointwise", 128, 128, 128, 14, 1),
    ("conv2d", 64, 32, 32, 28, 3),
]


def passes(name, x, w, gy, g):
    """{implementation: (forward, forward+backward)} callables for one case."""
    if name == "depthwise":
        fwd, bi, bw = K.depthwise_forward, K.depthwise_backward_input, K.depthwise_backward_weight
        rf, rbi, rbw = (K.depthwise_forward_reference, K.depthwise_backward_input_reference,
                        K.depthwise_backward_weight_reference)
    elif name == "conv2d":
        fwd, bi, bw = K.conv2d_forward, K.conv2d_backward_input, K.conv2d_backward_weight
        rf, rbi, rbw = K.conv2d_forward_reference, K.conv2d_backward_input_reference, K.conv2d_backward_weight_reference
    else:
        pw = (K.pointwise_forward, K.pointwise_backward_input, K.pointwise_backward_weight,
              K.pointwise_forward_reference, K.pointwise_backward_input_reference,
              K.pointwise_backward_weight_reference)
        fwd, bi, bw, rf, rbi, rbw = [lambda a, b, _g, f=f: f(a, b) for f in pw]

    def both(f, b_in, b_w):
        return (lambda: f(x, w, g), lambda: (f(x, w, g), b_in(gy, w, g), b_w(x, gy, g)))

    impls = {"minisep": both(fwd, bi, bw), "reference": both(rf, rbi, rbw)}
    if torch is not None:
        xt, wt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(w).requires_grad_()
        gyt, pt, pb, pl, pr = torch.from_numpy(gy), *g.padding
        groups = x.shape[1] if name == "depthwise" else 1

        def t_fwd():
            return torch.nn.functional.conv2d(torch.nn.functional.pad(xt, (pl, pr, pt, pb)), wt, groups=groups)

        def t_both():
            xt.grad = wt.grad = None
            t_fwd().backward(gyt)

        impls["torch"] = (lambda: t_fwd().detach(), t_both)
    return impls


def median_ms(fns, repeat, block=5, clock=time.perf_counter):
    """{key: median ms}: blocks of `block` consecutive calls per implementation, cycled until each
    has `repeat` calls, so each runs with warm caches yet a slow spell of the machine hits all alike."""
    times = {key: [] for key in fns}
    for key, fn in fns.items():  # warm up (JIT compile, caches, torch's first-call setup)
        fn()
    while min(len(t) for t in times.values()) < repeat:
        for key, fn in fns.items():
            for _ in range(min(block, repeat - len(times[key]))):
                start = clock()
                fn()
                times[key].append(clock() - start)
    return {key: 1e3 * float(np.median(t)) for key, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--no-reference", action="store_true", help="skip the (slow) reference kernels")
    parser.add_argument("--threads", type=int, default=0, help="threads for numba and torch (default: all cores)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time with the process CPU clock: steadier on a shared machine, use with --threads 1")
    args = parser.parse_args()
    clock = time.process_time if args.cpu_time else time.perf_counter
    if args.threads:
        numba.set_num_threads(args.threads)
        if torch is not None:
            torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: load average {load:.1f} before starting: other processes share the cores")
    print(f"float32, {numba.get_num_threads()} threads, {'CPU' if args.cpu_time else 'wall'} time, "
          f"median of {args.repeat} calls "
          f"(reference: of {max(1, args.repeat // 10)}), ms")
    print("| kernel | N,C->O,H,k | pass | minisep | reference | torch | minisep / torch |")
    print("|---|---|---|---|---|---|---|")
    for name, N, C, O, H, k in CASES:
        g = K.conv_geometry(name, (H, H), k, 1, "same")
        x = rng.standard_normal((N, C, H, H), dtype=np.float32)
        w = rng.standard_normal((C, 1, k, k) if name == "depthwise" else (O, C, k, k), dtype=np.float32)
        gy = rng.standard_normal((N, O, H, H), dtype=np.float32)
        impls = passes(name, x, w, gy, g)
        reference = impls.pop("reference")
        for p, label in enumerate(("fwd", "fwd+bwd")):
            ms = median_ms({key: fns[p] for key, fns in impls.items()}, args.repeat, clock=clock)
            ref = "-"
            if not args.no_reference:
                ref = f"{median_ms({'r': reference[p]}, max(1, args.repeat // 10), clock=clock)['r']:.1f}"
            t = ms.get("torch")
            cells = [name, f"{N},{C}->{O},{H},{k}", label, f"{ms['minisep']:.1f}", ref,
                     f"{t:.1f}" if t else "-", f"{ms['minisep'] / t:.2f}x" if t else "-"]
            print("| " + " | ".join(cells) + " |")

if __name__ == "__main__":
    main()
