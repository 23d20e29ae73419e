"""Simulator throughput (spike frames per second) at 250x400: numba kernels vs the NumPy reference.

Both run in the same process on the same input (two keyframes, linear
interpolation every tick). Targets: noise-free >= 20,000 frames/s, full noise
>= 4,000 frames/s on 2 cores. The case column records the 1-minute load
average, since other processes on a shared machine take cores from the
parallel kernels; a second row per case converts the kernels' CPU time into
the rate they reach with the cores to themselves (frames per CPU-second times
the number of cores), the figure to compare with the targets on a busy machine.
"""

from __future__ import annotations

import os
import resource
import time

import numpy as np
from _common import best_time

from spikevision.sim import NoiseModel
from spikevision.sim.engine import Engine


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _fps(backend: str, noise, n: int, repeats: int) -> tuple[float, float]:
    """(frames per wall-clock second, frames per CPU second) of the best of ``repeats`` runs."""
    h, w = 250, 400
    rng = np.random.default_rng(0)
    e = Engine(h, w, noise=noise, seed=1, backend=backend)
    frames = np.stack([rng.random((h, w)), rng.random((h, w))]).astype(np.float32)
    charges = e.planes(np.stack([e.charge(f) for f in frames]))
    k0, k1 = np.zeros(n, np.int64), np.ones(n, np.int64)
    w8 = (np.arange(n) / n).astype(np.float32)
    out = np.empty((n, e.nbytes), np.uint8)
    e.run(charges, k0[:2], k1[:2], w8[:2], out[:2])  # compile / warm up
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeats):
        t, c = time.perf_counter(), _cpu()
        e.run(charges, k0, k1, w8, out)
        best, best_cpu = min(best, time.perf_counter() - t), min(best_cpu, _cpu() - c)
    return n / best, n / max(best_cpu, 1e-9)


def _scene_fps(n: int, repeats: int) -> float:
    """Frames per second of the sample scene, rendering included (each repeat renders new frames)."""
    from spikevision.sim import Simulator, sample_scene

    sim = Simulator(sample_scene(250, 400, repeats * n + 64), seed=0)
    sim.fill(np.empty((64, sim.frame_nbytes), np.uint8))  # compile / warm up
    out = np.empty((n, sim.frame_nbytes), np.uint8)
    return n / best_time(lambda: sim.fill(out), repeats)


def run(quick: bool = False) -> list[dict]:
    n = 1024 if quick else 8192
    n_ref = 32 if quick else 128
    load = os.getloadavg()[0]
    rows = []
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    for label, noise, target in (("noise-free", None, 20000), ("full noise", NoiseModel(), 4000)):
        ours, ours_cpu = _fps("numba", noise, n, 1 if quick else 3)
        ref, _ = _fps("numpy", noise, n_ref, 1)
        rows.append({"benchmark": f"sim {label}", "case": f"250x400, {n} frames, load {load:.1f}",
                     "ours": ours, "reference": "NumPy reference (same draws)", "ref": ref, "unit": "frame/s",
                     "ratio": ours / ref, "target": f">= {target:,} frame/s"})
        # what the kernels would do with the cores to themselves: frames per CPU-second times the cores
        rows.append({"benchmark": f"sim {label} (CPU time x {cores} cores)", "case": f"250x400, {n} frames",
                     "ours": ours_cpu * cores, "reference": "", "ref": None, "unit": "frame/s", "ratio": None,
                     "target": f">= {target:,} frame/s"})
    rows.append({"benchmark": "sim scene end-to-end", "case": f"sample scene 250x400, {n} frames (render + IF)",
                 "ours": _scene_fps(n, 1 if quick else 3), "reference": "", "ref": None, "unit": "frame/s",
                 "ratio": None, "target": ""})
    return rows


if __name__ == "__main__":
    for r in run():
        print(r)
