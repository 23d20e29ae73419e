"""Learned reconstruction quality: PSNR/SSIM of "learned" against "best", TFP-41 and TFI.

Scenes: the benchmark's recon scenes (svbench-1 "recon", "flow", "objects"), a static texture and a low-light
drift (gain 0.1); sensors clean and noisy (the calibrated noise model); frames 0, T // 2 and T - 1.
Ground truth: the expected firing rate; PSNR with the scene's data range (see
``spikevision.models.evaluate``). The default size is small (96x128) to fit a laptop; ``--size 250x400``
is the full benchmark size.

    python benchmarks/bench_models_quality.py [--quick] [--size HxW] [--frames N] [--seed-offset N]
"""

from __future__ import annotations

import numpy as np

from spikevision.models import load_model
from spikevision.models.evaluate import evaluate, table


def run(quick: bool = False) -> list[dict]:
    h, w = (64, 96) if quick else (96, 128)
    rows = evaluate(load_model(), h, w, 200 if quick else 300)
    out = []
    for kind in ("clean", "noisy"):
        sel = [r for r in rows if r["sensor"] == kind]
        for ref in ("best", "tfp41", "tfi"):
            out.append({"benchmark": "learned recon mean PSNR", "case": f"{h}x{w} {kind} ({len(sel)} images)",
                        "ours": float(np.mean([r["learned"] for r in sel])), "reference": ref,
                        "ref": float(np.mean([r[ref] for r in sel])), "unit": "dB", "ratio": None,
                        "target": "+3 dB over best (noisy)" if ref == "best" and kind == "noisy" else ""})
    return out


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="96x128")
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--seed-offset", type=int, default=0)
    a = ap.parse_args()
    h, w = (int(v) for v in a.size.split("x"))
    print(table(evaluate(load_model(), h, w, a.frames, seed_offset=a.seed_offset)))
