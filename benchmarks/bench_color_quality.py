"""Colour reconstruction quality: CPSNR of a simulated Bayer stream against the linear ground truth.

Scenes (250x400, theta = 2, noise-free sensor): ``TextureMotion(color=True)`` static and drifting
(0.005 px/tick), each through every Bayer pattern. Reconstruction: TFP-201 and the best method
on the raw mosaic plane, then each demosaicing method. Ground truth: the expected rate of the
linear RGB radiance; CPSNR (data range 1) over the pixels 2 or more from the edge.
Reference: the same mosaic demosaiced by OpenCV's ``COLOR_Bayer*2RGB`` on 16-bit codes.

    python benchmarks/bench_color_quality.py [--quick]
"""

from __future__ import annotations

import cv2
import numpy as np

from spikevision import recon
from spikevision.color import CFA_PATTERNS, demosaic, opencv_code
from spikevision.metrics import cpsnr
from spikevision.sim import TextureMotion, expected_rate, simulate


def evaluate(h: int = 250, w: int = 400, frames: int = 600) -> list[dict]:
    rows = []
    for name, vel in (("static", (0.0, 0.0)), ("drift", (0.005, 0.0))):
        sc = TextureMotion(h, w, frames, seed=4, velocity=vel, color=True, low=0.1, high=0.9)
        at = frames // 2
        truth = expected_rate(sc.radiance(float(at)), 2.0)
        for cfa in CFA_PATTERNS:
            stream = simulate(sc, cfa=cfa)
            for method, kw in (("tfp", {"window": 201}), ("best", {})):
                mosaic = recon.reconstruct(stream, method, at=at, color=False, **kw)
                codes = np.rint(np.clip(mosaic, 0, 1) * 65535).astype(np.uint16)
                ref = cv2.cvtColor(codes, opencv_code(cfa)).astype(np.float32) / 65535
                row = {"scene": name, "cfa": cfa, "recon": method,
                       "opencv": cpsnr(ref, truth, border=2)}
                for dm in ("bilinear", "edge_aware", "vng"):
                    row[dm] = cpsnr(demosaic(mosaic, cfa, method=dm), truth, border=2)
                rows.append(row)
    return rows


def run(quick: bool = False) -> list[dict]:
    rows = evaluate(96, 128, 400) if quick else evaluate()
    return [{"benchmark": "colour CPSNR", "case": f"{r['scene']} {r['cfa']} {r['recon']} {dm}", "ours": r[dm],
             "reference": "OpenCV bilinear", "ref": r["opencv"], "unit": "dB", "ratio": None, "target": ""}
            for r in rows for dm in ("bilinear", "edge_aware", "vng")]


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="96x128 frames")
    args = ap.parse_args()
    rows = evaluate(96, 128, 400) if args.quick else evaluate()
    print("| scene | cfa | recon | OpenCV bilinear | bilinear | edge_aware | vng |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['scene']} | {r['cfa']} | {r['recon']} | {r['opencv']:.2f} | {r['bilinear']:.2f} | "
              f"{r['edge_aware']:.2f} | {r['vng']:.2f} |")
