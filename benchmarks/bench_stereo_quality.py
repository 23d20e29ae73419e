"""Stereo quality: every method against OpenCV SGBM on two TFP-41 reconstructions, on the svbench-1 stereo scenes.

Scenes: the benchmark set's ``stereo_static`` and ``stereo_moving`` (textured planes at 0.8-6 m seen by a
rig with f = 289.74 px, B = 0.08 m; objects sliding at 0.03 px/tick in the moving one), simulated exactly
as ``spikevision benchmark-data`` does (theta 2, subtract reset, uniform initial charge, the right camera's
sensor seeded apart), clean and through the calibrated noise model. Maps at frames ``T/2`` and ``T - 1``
(the spike matcher is causal and reads the frames before t; the reconstructions are centred on t, clipped
at the end), scored against the exact disparity at the same frame: EPE, >1 px, >3 px, KITTI D1 on all and
on non-occluded pixels, depth AbsRel, and the EPE of two regions: low texture (the quarter of pixels with
the lowest 9x9 local contrast of the true radiance) and moving (pixels whose true radiance changes by more
than 0.05 over the 200 ticks before t; moving scene only).

Target: "best" has at least 30 % lower EPE than the baseline on every scene, and lower EPE in the low-texture
and moving regions.

    python benchmarks/bench_stereo_quality.py [--quick] [--frames N] [--seed-offset N] [--size HxW]

``--seed-offset`` re-draws every scene and sensor (a check on data that is not the benchmark's).
"""

from __future__ import annotations

import numpy as np

METHODS = [("best", {"method": "best"}), ("sgbm (best recon)", {"method": "sgbm"}),
           ("baseline sgbm tfp41", {"method": "sgbm", "recon": "tfp", "window": 41})]
SENSORS = ("clean", "noisy")


def _views(scene, seed: int, noisy: bool):
    from spikevision.sim import NoiseModel, Simulator
    from spikevision.sim.benchmark import RIGHT_SEED, THETA

    opts = dict(fps=scene.fps, theta=THETA, reset="subtract", init="uniform", full_well=2.0,
                noise=NoiseModel() if noisy else None)
    return [Simulator(scene.view(side), seed=s, **opts).run()
            for side, s in (("left", seed), ("right", seed + RIGHT_SEED))]


def _regions(scene, t: int) -> dict[str, np.ndarray]:
    import cv2

    rad = scene.radiance(float(t)).astype(np.float64)
    mean = cv2.blur(rad, (9, 9))
    std = np.sqrt(np.maximum(cv2.blur(rad * rad, (9, 9)) - mean * mean, 0))
    out = {"low texture": std <= np.percentile(std, 25)}
    if scene.speed > 0:
        out["moving"] = np.abs(rad - scene.radiance(float(max(0, t - 200)))) > 0.05
    return out


def evaluate(height: int = 250, width: int = 400, frames: int = 1000, seed_offset: int = 0,
             sensors=SENSORS) -> list[dict]:
    """One row per (scene, sensor, frame, method) with every metric."""
    import spikevision.stereo as st
    from spikevision.metrics import depth_metrics, disparity_metrics
    from spikevision.sim.benchmark import benchmark_entries

    rows = []
    for e in benchmark_entries(height, width, frames, seed=seed_offset, tasks=("stereo",)):
        sc = e.scene
        for sensor in sensors:
            left, right = _views(sc, e.seed, sensor == "noisy")
            for t in (frames // 2, frames - 1):
                gt, occ = sc.disparity(float(t)), sc.occlusion(float(t))
                regions = _regions(sc, t)
                for name, kw in METHODS:
                    d = st.disparity(left, right, t, max_disparity=64, **kw)
                    r = {"scene": e.id, "sensor": sensor, "frame": t, "method": name}
                    r.update(disparity_metrics(d, gt))
                    r.update({f"{k}_noc": v for k, v in disparity_metrics(d, gt, ~occ).items()})
                    r["absrel"] = depth_metrics(st.depth(d, sc.focal, sc.baseline), sc.depth(float(t)))["absrel"]
                    for reg, m in regions.items():
                        r[f"epe {reg}"] = float(np.abs(d - gt)[m].mean())
                    rows.append(r)
    return rows


def table(rows: list[dict]) -> str:
    cols = ["scene", "sensor", "frame", "method", "epe", "bad1", "bad3", "d1", "epe_noc", "bad1_noc", "bad3_noc",
            "d1_noc", "absrel", "epe low texture", "epe moving"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = [f"{r[c]:.3f}" if isinstance(r.get(c), float) else str(r.get(c, "")) for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ratios(rows: list[dict]) -> list[dict]:
    """Per (scene, sensor, frame): best's EPE (all and per region) over the baseline's."""
    out = []
    keys = sorted({(r["scene"], r["sensor"], r["frame"]) for r in rows})
    for k in keys:
        sel = {r["method"]: r for r in rows if (r["scene"], r["sensor"], r["frame"]) == k}
        b, base = sel["best"], sel["baseline sgbm tfp41"]
        row = {"case": " ".join(map(str, k)), "best": b["epe"], "baseline": base["epe"],
               "reduction": 1 - b["epe"] / base["epe"]}
        for reg in ("low texture", "moving"):
            if f"epe {reg}" in b:
                row[reg] = (b[f"epe {reg}"], base[f"epe {reg}"])
        out.append(row)
    return out


def run(quick: bool = False) -> list[dict]:
    rows = evaluate(96, 160, 400, sensors=("noisy",)) if quick else evaluate()
    out = []
    for r in ratios(rows):
        out.append({"benchmark": "stereo EPE, best vs SGBM on TFP-41", "case": r["case"], "ours": r["best"],
                    "reference": "SGBM on TFP-41", "ref": r["baseline"], "unit": "px",
                    "ratio": r["best"] / r["baseline"], "target": "<= 0.70x"})
        for reg in ("low texture", "moving"):
            if reg in r:
                out.append({"benchmark": f"stereo EPE ({reg}), best vs SGBM on TFP-41", "case": r["case"],
                            "ours": r[reg][0], "reference": "SGBM on TFP-41", "ref": r[reg][1], "unit": "px",
                            "ratio": r[reg][0] / r[reg][1], "target": "< 1x"})
    return out


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="96x160, 400 frames, noisy only")
    ap.add_argument("--frames", type=int, default=1000, help="spike frames per scene (default 1000)")
    ap.add_argument("--seed-offset", type=int, default=0, help="re-draw every scene and sensor")
    ap.add_argument("--size", default=None, help="HxW (default 250x400)")
    args = ap.parse_args()
    h, w = (96, 160) if args.quick else (250, 400)
    if args.size:
        h, w = (int(v) for v in args.size.split("x"))
    res = evaluate(h, w, 400 if args.quick else args.frames, args.seed_offset,
                   sensors=("noisy",) if args.quick else SENSORS)
    print(table(res))
    print()
    for r in ratios(res):
        extra = "  ".join(f"{k}: {v[0]:.3f} vs {v[1]:.3f}" for k, v in r.items() if isinstance(v, tuple))
        print(f"{r['case']}: best EPE {r['best']:.3f} vs baseline {r['baseline']:.3f} "
              f"({100 * r['reduction']:.0f} % lower)  {extra}")
