"""Learned reconstruction speed: images per second at 250x400, against "best" in the same run.

Cases: the shipped SpikeUNet (``method="learned"``, batches of 4 images) and the adaptive "best" method
(compiled streaming kernels), each reconstructing images every 40 frames of one simulated 250x400 stream
of Bernoulli spikes (rates 0-0.5), torch and numba on 2 threads; with a CUDA torch also the GPU (input
on the GPU as a torch tensor).

    python benchmarks/bench_models.py [--quick]
"""

from __future__ import annotations

import numpy as np
from _common import best_times

from spikevision.recon import iter_reconstruct

THREADS = 2


def _spikes(h: int, w: int, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rates = rng.uniform(0.0, 0.5, size=(h, w)).astype(np.float32)
    return (rng.random((n, h, w), dtype=np.float32) < rates).astype(np.uint8)


def _count(spikes, method: str, frames: range) -> int:
    n = 0
    for _ in iter_reconstruct(spikes, method, start=frames.start, stop=frames.stop, step=frames.step):
        n += 1
    return n


def run(quick: bool = False) -> list[dict]:
    import numba
    import torch

    torch.set_num_threads(THREADS)
    numba.set_num_threads(min(THREADS, numba.config.NUMBA_NUM_THREADS))
    h, w = 250, 400
    n_img = 8 if quick else 32
    s = _spikes(h, w, 40 * n_img + 41)
    frames = range(20, 20 + 40 * n_img, 40)
    _count(s, "learned", frames[:2])
    _count(s, "best", frames[:2])       # compile / warm up
    t_learned, t_best = best_times([lambda: _count(s, "learned", frames), lambda: _count(s, "best", frames)],
                                   repeat=2)
    case = f"{h}x{w}, {n_img} images, CPU {THREADS} threads"
    rows = [{"benchmark": "learned recon (SpikeUNet) images/s", "case": case, "ours": n_img / t_learned,
             "reference": "best (adaptive)", "ref": n_img / t_best, "unit": "image/s",
             "ratio": t_best / t_learned, "target": ""},
            {"benchmark": "learned recon ms per image", "case": case, "ours": 1000 * t_learned / n_img,
             "reference": "best (adaptive)", "ref": 1000 * t_best / n_img, "unit": "ms", "ratio": None,
             "target": ""}]
    if torch.cuda.is_available():
        g = torch.from_numpy(s).cuda()
        _count(g, "learned", frames[:2])

        def gpu():
            _count(g, "learned", frames)
            torch.cuda.synchronize()

        (t_gpu,) = best_times([gpu], repeat=3)
        rows.append({"benchmark": "learned recon (SpikeUNet) images/s", "case": f"{h}x{w}, {n_img} images, "
                     f"{torch.cuda.get_device_name()}", "ours": n_img / t_gpu, "reference": "best (adaptive), CPU",
                     "ref": n_img / t_best, "unit": "image/s", "ratio": t_best / t_gpu, "target": ""})
    return rows


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    for r in run(ap.parse_args().quick):
        ratio = f"  ({r['ratio']:.2f}x best)" if r["ratio"] else ""
        print(f"{r['benchmark']:40s} {r['case']:45s} {r['ours']:9.2f} {r['unit']}  best {r['ref']:9.2f}{ratio}")
