"""Validation of the learned reconstruction on the benchmark's recon scenes, against the classical methods.

Scenes: :func:`spikevision.models.data.validation_scenes` (the svbench-1 "recon", "flow" and "objects"
scenes, a static texture and a low-light drift), sensors "clean" and "noisy" (the calibrated model),
frames 0, T // 2 and T - 1. PSNR against the expected rate with the scene's data range (as
``benchmarks/bench_recon_quality.py``), SSIM with the same range.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .data import simulate_scene, validation_scenes

__all__ = ["evaluate", "table", "METHODS"]

#: column name -> (method, options) of spikevision.recon.reconstruct
METHODS = {"learned": None, "best": ("best", {}), "tfp41": ("tfp", {"window": 41}), "tfi": ("tfi", {})}


def evaluate(model: Any, height: int = 96, width: int = 128, frames: int = 300, sensors=("clean", "noisy"),
             seed_offset: int = 0) -> list[dict]:
    """One row per (scene, sensor, frame): PSNR and SSIM of every method of :data:`METHODS`."""
    from ..metrics import psnr, ssim
    from ..recon import reconstruct
    from .infer import learned_images

    rows = []
    positions = {"first": 0, "middle": frames // 2, "last": frames - 1}
    for name, scene, seed, gain, dr in validation_scenes(height, width, frames, seed_offset):
        for kind in sensors:
            spikes = simulate_scene(scene, seed, gain, kind, frames)
            learned = learned_images(spikes, list(positions.values()), model=model)
            for i, (pos, t) in enumerate(positions.items()):
                gt = scene.rate(float(t), theta=2.0, gain=gain)
                row: dict[str, Any] = {"scene": name, "sensor": kind, "frame": pos}
                for col, spec in METHODS.items():
                    img = learned[i] if spec is None else reconstruct(spikes, spec[0], at=t, **spec[1])
                    img = np.asarray(img, np.float32)
                    row[col] = float(psnr(img, gt, dr))
                    row[col + "_ssim"] = float(ssim(img, gt, dr))
                rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    """Markdown table of :func:`evaluate` rows, with the mean of each sensor."""
    cols = list(METHODS)
    head = "| scene | sensor | frame | " + " | ".join(f"{c} dB / SSIM" for c in cols) + " | learned - best |"
    lines = [head, "|" + "---|" * (len(cols) + 4)]
    for r in rows:
        cells = " | ".join(f"{r[c]:.2f} / {r[c + '_ssim']:.3f}" for c in cols)
        lines.append(f"| {r['scene']} | {r['sensor']} | {r['frame']} | {cells} | {r['learned'] - r['best']:+.2f} |")
    for kind in sorted({r["sensor"] for r in rows}):
        sel = [r for r in rows if r["sensor"] == kind]
        cells = " | ".join(f"{np.mean([r[c] for r in sel]):.2f} / {np.mean([r[c + '_ssim'] for r in sel]):.3f}"
                           for c in cols)
        d = np.mean([r["learned"] - r["best"] for r in sel])
        lines.append(f"| **mean** | {kind} | all | {cells} | {d:+.2f} |")
    return "\n".join(lines)
