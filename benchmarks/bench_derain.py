"""Deraining throughput: streaming deraining at 250x400, an image every 40 frames, in spike frames/s.

Ours: :class:`spikevision.derain.StreamingDerain` (block counts straight from the packed bits, the
numba combination kernel; motion: OpenCV DIS; rpca: singular values through the Gram matrix).
Best of 3 runs for "temporal". Reference, in the same run on the same frames: a NumPy implementation of the same method
(``np.unpackbits`` and a sum per block, ``np.median``-based trimming; rpca with full SVDs),
whose images are checked equal (rpca: to 1e-6).
Target: "temporal" >= 40,000 spike frames/s on 2 cores.

    python benchmarks/bench_derain.py [--quick]
"""

from __future__ import annotations

import time

import numpy as np
from _common import best_times

from spikevision.derain import DEFAULTS, StreamingDerain
from spikevision.derain._blocks import window_blocks
from spikevision.derain._kernels import combine_reference
from spikevision.derain._motion import align
from spikevision.sim import RainScene, simulate


def numpy_reference(packed: np.ndarray, h: int, w: int, method: str, step: int = 40) -> list[np.ndarray]:
    """The same images by a plain NumPy implementation (unpack, count, median-trim; full-SVD RPCA)."""
    p = DEFAULTS[method]
    b, n = p["block"], p["blocks"]
    t_len = packed.shape[0]
    counts = {}
    for a in range((0 - b // 2) % b, t_len - b + 1, b):
        frames = np.unpackbits(packed[a: a + b], axis=1, bitorder="little")[:, : h * w]
        counts[a] = frames.sum(axis=0, dtype=np.int64).astype(np.float32).reshape(h, w)
    out = []
    lookahead = (n - n // 2) * b - b // 2 - 1
    for t in range(0, t_len - lookahead, step):
        win = window_blocks(t, t_len, b, n)
        v = np.stack([counts[a] for a in win.starts])
        valid = None
        if method == "motion":
            v, valid = align(v, win.center)
            valid = valid.reshape(len(v), -1)
        if method == "rpca":
            x = v.reshape(len(v), -1).T.astype(np.float64)
            clean = _rpca_svd(x, 1.0 / max(x.shape) ** 0.5)[:, win.center]
        else:
            clean, _ = combine_reference(v.reshape(len(v), -1), win.center, p["k"], p["floor"], p["rel"], valid)
        out.append(np.clip(clean / b, 0, 1).astype(np.float32).reshape(h, w))
    return out


def _rpca_svd(x, lam, tol=1e-5, max_iter=200):
    """Textbook inexact ALM with a full SVD per iteration (the reference)."""
    norm_fro, norm_two = np.linalg.norm(x), np.linalg.norm(x, 2)
    y = x / max(norm_two, np.abs(x).max() / lam)
    mu, mu_bar, s = 1.25 / norm_two, 1.25 / norm_two * 1e7, np.zeros_like(x)
    low = s
    for _ in range(max_iter):
        u, sig, vt = np.linalg.svd(x - s + y / mu, full_matrices=False)
        low = (u * np.maximum(sig - 1 / mu, 0)) @ vt
        t = x - low + y / mu
        s = np.sign(t) * np.maximum(np.abs(t) - lam / mu, 0)
        z = x - low - s
        y, mu = y + mu * z, min(mu * 1.5, mu_bar)
        if np.linalg.norm(z) <= tol * norm_fro:
            break
    return np.maximum(low, 0)


def ours(packed: np.ndarray, h: int, w: int, method: str, step: int = 40) -> list[np.ndarray]:
    sd = StreamingDerain(h, w, method=method, emit_every=step)
    out = []
    for a in range(0, packed.shape[0], 1024):
        out.extend(img for _, img in sd.iter_packed(packed[a: a + 1024]))
    return out


def measure(method: str, h: int = 250, w: int = 400, frames: int = 4000) -> dict:
    packed = simulate(RainScene(h, w, frames, seed=5, density=30)).packed()
    ours(packed[:1000], h, w, method)  # compile
    got = ours(packed, h, w, method)
    t_ours = best_times([lambda: ours(packed, h, w, method)], repeat=3 if method == "temporal" else 1)[0]
    t = time.perf_counter()
    ref = numpy_reference(packed, h, w, method)
    t_ref = time.perf_counter() - t
    assert len(got) == len(ref)
    for g, r in zip(got, ref):
        if method == "rpca":
            np.testing.assert_allclose(g, r, atol=1e-6)
        else:
            np.testing.assert_array_equal(g, r)
    return {"method": method, "frames": frames, "images": len(got), "fps": frames / t_ours,
            "ref_fps": frames / t_ref, "ratio": t_ref / t_ours}


def run(quick: bool = False) -> list[dict]:
    h, w, frames = (96, 128, 2000) if quick else (250, 400, 4000)
    rows = []
    for method in ("temporal", "motion", "rpca"):
        r = measure(method, h, w, frames if method == "temporal" else frames // 2)
        rows.append({"benchmark": f"derain streaming {method} {h}x{w}, image every 40 frames", "case": method,
                     "ours": r["fps"], "reference": "NumPy", "ref": r["ref_fps"], "unit": "spike frames/s",
                     "ratio": r["ratio"], "target": ">= 40,000 frames/s" if method == "temporal" else ""})
    return rows


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="96x128 frames")
    args = ap.parse_args()
    for r in run(args.quick):
        print(f"{r['case']:9s} ours {r['ours']:10,.0f} frames/s   NumPy {r['ref']:10,.0f} frames/s   "
              f"ratio {r['ratio']:.2f}x   {r['target']}")
