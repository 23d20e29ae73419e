"""Reconstruction quality on the simulator benchmark scenes: PSNR/SSIM against the clean expected rate.

Scenes: the "recon", "flow" and "objects" entries of spikevision.sim.benchmark_entries
(slowly drifting texture, faster translation, rotation + zoom, moving objects) plus a static
texture, each simulated clean and with the full calibrated noise model (theta = 2, subtract
reset, uniform initial charge, the benchmark's seeds). Ground truth: the expected firing rate
``scene.rate(t)`` (spikes per tick) of the noise-free scene at the reconstructed frame.
Every image is in spikes per tick (rate=1); PSNR/SSIM use data_range = 0.5, the brightest
rate of these scenes (radiance 1 / theta 2), i.e. the scores of images normalised to [0, 1].

Methods: TFP (windows 21/41/65), TFI (spikevision, Spike-Zoo and SpikeCV conventions),
TFSTP (spikevision decoding) and the best method (spike-anchored adaptive windows).
Rows give each method's PSNR with the best TFP window of the same scene as reference.
"""

from __future__ import annotations

import numpy as np

from spikevision.metrics import psnr, ssim
from spikevision.recon import iter_reconstruct

DATA_RANGE = 0.5
CEILING = "mean of all frames (static only)"

METHODS = [
    ("TFP w21", "tfp", dict(window=21)),
    ("TFP w41", "tfp", dict(window=41)),
    ("TFP w65", "tfp", dict(window=65)),
    ("TFI", "tfi", {}),
    ("TFI spikezoo", "tfi", dict(convention="spikezoo")),
    ("TFI spikecv", "tfi", dict(convention="spikecv")),
    ("TFSTP", "tfstp", {}),
    ("best", "best", {}),
]


def scenes(height: int, width: int, frames: int):
    from spikevision.sim import TextureMotion
    from spikevision.sim.benchmark import benchmark_entries

    out = [("static", TextureMotion(height, width, frames, seed=11, velocity=(0.0, 0.0)), 11)]
    for e in benchmark_entries(height, width, frames, tasks=("recon", "flow", "objects")):
        out.append((e.id, e.scene, e.seed))
    return out


def evaluate(height: int = 250, width: int = 400, frames: int = 600, times=(200, 300, 400)) -> list[dict]:
    """One dict per (scene, noise, method) with mean PSNR and SSIM over ``times``."""
    from spikevision.sim import NoiseModel, Simulator

    results = []
    for name, scene, seed in scenes(height, width, frames):
        gts = [scene.rate(float(t), theta=2.0) for t in times]
        for noisy in (False, True):
            sim = Simulator(scene, n_frames=frames, theta=2.0, reset="subtract", init="uniform", full_well=2.0,
                            noise=NoiseModel() if noisy else None, seed=seed)
            spikes = sim.run().unpack()
            step = times[1] - times[0] if len(times) > 1 else 1
            for label, method, params in METHODS:
                got = dict(iter_reconstruct(spikes, method, start=times[0], stop=times[-1] + 1, step=step, **params))
                imgs = [got[t] for t in times]       # times must be evenly spaced
                pairs = list(zip(imgs, gts, strict=True))
                results.append({"scene": name, "noisy": noisy, "method": label,
                                "psnr": float(np.mean([psnr(i, g, DATA_RANGE) for i, g in pairs])),
                                "ssim": float(np.mean([ssim(i, g, DATA_RANGE) for i, g in pairs]))})
            if name == "static":
                # the ceiling of any temporal estimator: the mean of every frame (fixed-pattern noise remains)
                img = spikes.mean(axis=0, dtype=np.float64).astype(np.float32)
                results.append({"scene": name, "noisy": noisy, "method": CEILING, "psnr": psnr(img, gts[0], DATA_RANGE),
                                "ssim": ssim(img, gts[0], DATA_RANGE)})
    return results


def run(quick: bool = False) -> list[dict]:
    res = evaluate(96, 128, 300, (150,)) if quick else evaluate()
    rows = []
    for (scene, noisy) in dict.fromkeys((r["scene"], r["noisy"]) for r in res):
        group = [r for r in res if r["scene"] == scene and r["noisy"] == noisy]
        tfps = [r for r in group if r["method"].startswith("TFP")]
        group = [r for r in group if r["method"] != CEILING] + [r for r in group if r["method"] == CEILING]
        best_tfp = max(tfps, key=lambda r: r["psnr"])
        case = f"{scene} {'noisy' if noisy else 'clean'}"
        for r in group:
            target = ""
            if r["method"] == "best":
                target = ">= best TFP" if scene == "static" else ">= best TFP + 2 dB"
            for metric, unit in (("psnr", "dB"), ("ssim", "")):
                rows.append({"benchmark": f"recon quality {metric.upper()}", "case": f"{case}: {r['method']}",
                             "ours": r[metric], "reference": f"best TFP ({best_tfp['method']})",
                             "ref": best_tfp[metric], "unit": unit or "SSIM", "ratio": None,
                             "target": target if metric == "psnr" else ""})
    return rows


def table(res: list[dict]) -> str:
    """Markdown table: one row per method, one column per scene (PSNR/SSIM)."""
    cols = list(dict.fromkeys((r["scene"], r["noisy"]) for r in res))
    head = "| method | " + " | ".join(f"{s} {'noisy' if n else 'clean'}" for s, n in cols) + " |"
    lines = [head, "|" + "---|" * (len(cols) + 1)]
    for label in [m[0] for m in METHODS] + [CEILING]:
        cells = []
        for s, n in cols:
            r = next((x for x in res if x["scene"] == s and x["noisy"] == n and x["method"] == label), None)
            cells.append(f"{r['psnr']:.2f} / {r['ssim']:.3f}" if r else "-")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    quick = "--quick" in sys.argv
    print(table(evaluate(96, 128, 300, (150,)) if quick else evaluate()))
