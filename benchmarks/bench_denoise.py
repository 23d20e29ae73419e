"""Denoising and calibration speed at 250x400, straight from packed bytes.

Cases:
- streaming denoise ("best" with a calibration, and "fpn"): spike frames per second through
  ``StreamingDenoiser.push_packed`` in blocks of 1024 frames (target: >= 40,000 frames/s, real time at
  40 kHz); reference: the NumPy implementation of the same method (``engine="reference"``) in the same run;
- calibration of 20,000 frames (a dark-like stream at 0.005 spikes per tick and a flat-like one at 0.25):
  ``pixel_rates`` (the pass ``calibrate`` makes per recording) against reading the same frames with
  ``iter_blocks`` (target: at most 1.5x the read).
Input: Bernoulli spikes packed in memory (no file I/O in either figure).

    python benchmarks/bench_denoise.py [--quick]
"""

from __future__ import annotations

import numpy as np
from _common import best_time, best_times

import spikevision as sv
from spikevision import _bits
from spikevision.denoise import Calibration, StreamingDenoiser
from spikevision.denoise.calibration import pixel_rates

H, W = 250, 400
BLOCK = 1024


def _packed(n: int, lo: float, hi: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rates = rng.uniform(lo, hi, size=(H, W)).astype(np.float32)
    out = np.empty((n, _bits.frame_nbytes(H, W)), np.uint8)
    for a in range(0, n, 512):
        b = min(n, a + 512)
        out[a:b] = _bits.pack_frames(rng.random((b - a, H, W), dtype=np.float32) < rates)
    return out


def _calibration() -> Calibration:
    rng = np.random.default_rng(1)
    c = Calibration.identity(H, W)
    c.dark_rate[:] = rng.uniform(0.002, 0.008, (H, W))
    c.gain[:] = rng.normal(1.0, 0.07, (H, W))
    c.hot[rng.random((H, W)) < 0.002] = True
    return c


def _run(den: StreamingDenoiser, packed: np.ndarray) -> None:
    den.reset()
    for a in range(0, len(packed), BLOCK):
        den.push_packed(packed[a : a + BLOCK])


def run(quick: bool = False) -> list[dict]:
    rows = []
    cal = _calibration()
    n_fast, n_ref = (4096, 64) if quick else (16384, 256)
    packed = _packed(n_fast, 0.0, 0.5)
    for method in ("best", "fpn"):
        fast = StreamingDenoiser(H, W, calibration=cal, method=method)
        ref = StreamingDenoiser(H, W, calibration=cal, method=method, engine="reference")
        _run(fast, packed[:BLOCK])   # compile
        t_fast = best_time(lambda f=fast: _run(f, packed), repeat=3)
        t_ref = best_time(lambda r=ref: _run(r, packed[:n_ref]), repeat=1)
        fps, fps_ref = n_fast / t_fast, n_ref / t_ref
        rows.append({"benchmark": "denoise streaming 250x400", "case": method, "ours": fps,
                     "reference": "NumPy reference", "ref": fps_ref, "unit": "frames/s", "ratio": fps / fps_ref,
                     "target": ">= 40,000 frames/s"})
    n_cal = 4000 if quick else 20000
    for name, lo, hi in (("dark-like 0.005", 0.004, 0.006), ("flat-like 0.25", 0.2, 0.3)):
        s = sv.from_packed(_packed(n_cal, lo, hi, seed=2), H, W)
        pixel_rates(s[:64])   # compile

        def read(s=s):
            for _ in s.iter_blocks(2048):
                pass

        t_read, t_cal = best_times([read, lambda s=s: pixel_rates(s)], repeat=3)
        rows.append({"benchmark": f"calibration pass, {n_cal:,} frames 250x400", "case": name, "ours": t_cal,
                     "reference": "iter_blocks read", "ref": t_read, "unit": "s", "ratio": t_read / t_cal,
                     "target": "ours <= 1.5x the read"})
    return rows


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    for r in run(args.quick):
        print(f"{r['benchmark']} | {r['case']} | ours {r['ours']:,.4g} {r['unit']} | {r['reference']} "
              f"{r['ref']:,.4g} | ratio {r['ratio']:.2f}x | target {r['target']}")
