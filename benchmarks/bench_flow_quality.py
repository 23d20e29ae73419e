"""Flow quality: every method against OpenCV DIS (medium) on two TFP-41 reconstructions.

Scenes: the flow scenes of the synthetic benchmark (``spikevision.sim.benchmark_entries`` tasks
"flow" and "objects": translation, rotation + zoom, moving objects over a textured background),
250x400, theta = 2, subtract reset, uniform initial charge, clean and through the calibrated noise
model (the svbench-1 settings), ground truth ``scene.flow(t, dt)`` for dt = 10 and 20, at three
frames of a 600-frame stream. Baseline: what a user reaches for today: TFP-41 images at ``t`` and
``t + dt`` (the 0.5-99.5 % range of the first mapped to 0..255 for both) and
``cv2.DISOpticalFlow_create(PRESET_MEDIUM)``.

Targets: "best" EPE at least 30 % below the baseline on every scene and dt, and no worse than it
on the noisy scenes.

    python benchmarks/bench_flow_quality.py [--quick] [--seed-offset N]

``--seed-offset`` re-draws every scene and sensor (data other than the benchmark's).
"""

from __future__ import annotations

import cv2
import numpy as np

from spikevision.flow import estimate
from spikevision.metrics import flow_metrics
from spikevision.recon import tfp

THETA = 2.0
METHODS = ("best", "spike", "dis", "farneback")
DTS = (10, 20)


def baseline(spikes: np.ndarray, t: int, dt: int) -> np.ndarray:
    """OpenCV DIS (preset medium) on TFP-41 images of frames t and t + dt."""
    a, b = tfp(spikes, at=t, window=41), tfp(spikes, at=t + dt, window=41)
    lo, hi = np.percentile(a, [0.5, 99.5])
    u8 = [np.clip((x - lo) / max(hi - lo, 1e-6) * 255, 0, 255).astype(np.uint8) for x in (a, b)]
    return cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(u8[0], u8[1], None)


def scenes(height: int, width: int, frames: int, seed_offset: int = 0):
    from spikevision.sim.benchmark import benchmark_entries

    return [(e.id, e.scene, e.seed) for e in benchmark_entries(height, width, frames, seed=seed_offset,
                                                               tasks=("flow", "objects"))]


def simulate(scene, seed: int, noisy: bool, frames: int) -> np.ndarray:
    from spikevision.sim import NoiseModel, Simulator

    sim = Simulator(scene, n_frames=frames, theta=THETA, reset="subtract", init="uniform", full_well=THETA,
                    noise=NoiseModel() if noisy else None, seed=seed)
    return sim.run().unpack()


def evaluate(height: int = 250, width: int = 400, frames: int = 600, seed_offset: int = 0,
             methods=METHODS, times: tuple[int, ...] | None = None) -> list[dict]:
    """One dict per (scene, sensor, dt, method): metrics averaged over the evaluation frames."""
    times = times or (frames // 4, frames // 2, frames * 3 // 4)
    out = []
    for name, scene, seed in scenes(height, width, frames, seed_offset):
        for kind in ("clean", "noisy"):
            spikes = simulate(scene, seed, kind == "noisy", frames)
            for dt in DTS:
                gts = {t: scene.flow(float(t), float(dt)) for t in times}
                runs = {"baseline": lambda t, dt=dt, s=spikes: baseline(s, t, dt)}
                runs.update({m: (lambda t, dt=dt, m=m, s=spikes: estimate(s, t, dt, method=m)) for m in methods})
                for m, fn in runs.items():
                    ms = [flow_metrics(fn(t), gts[t]) for t in times]
                    out.append({"scene": name, "sensor": kind, "dt": dt, "method": m,
                                **{k: float(np.mean([x[k] for x in ms])) for k in ms[0]}})
    return out


def table(res: list[dict]) -> str:
    lines = ["| scene | sensor | dt | method | EPE px | AAE deg | Fl % | >1px % | >3px % | >5px % | EPE / baseline |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    base = {(r["scene"], r["sensor"], r["dt"]): r["epe"] for r in res if r["method"] == "baseline"}
    for r in res:
        ratio = r["epe"] / base[(r["scene"], r["sensor"], r["dt"])]
        lines.append(f"| {r['scene']} | {r['sensor']} | {r['dt']} | {r['method']} | {r['epe']:.4f} | "
                     f"{r['aae']:.3f} | {100 * r['fl']:.2f} | {100 * r['out1']:.2f} | {100 * r['out3']:.2f} | "
                     f"{100 * r['out5']:.2f} | {ratio:.2f} |")
    return "\n".join(lines)


def verdicts(res: list[dict]) -> list[tuple[str, float, bool]]:
    """(case, best EPE / baseline EPE, target met) per scene, sensor and dt."""
    base = {(r["scene"], r["sensor"], r["dt"]): r["epe"] for r in res if r["method"] == "baseline"}
    out = []
    for r in res:
        if r["method"] == "best":
            ratio = r["epe"] / base[(r["scene"], r["sensor"], r["dt"])]
            out.append((f"{r['scene']} {r['sensor']} dt={r['dt']}", ratio, ratio <= 0.7))
    return out


def run(quick: bool = False) -> list[dict]:
    res = evaluate(96, 128, 400, methods=("best",)) if quick else evaluate(methods=("best",))
    base = {(r["scene"], r["sensor"], r["dt"]): r["epe"] for r in res if r["method"] == "baseline"}
    return [{"benchmark": "flow quality EPE, best vs DIS on TFP-41", "case": f"{r['scene']} {r['sensor']} dt={r['dt']}",
             "ours": r["epe"], "reference": "DIS-medium on TFP-41", "ref": base[(r["scene"], r["sensor"], r["dt"])],
             "unit": "px", "ratio": None, "target": "<= 0.7 x baseline"} for r in res if r["method"] == "best"]


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="96x128, 400 frames")
    ap.add_argument("--seed-offset", type=int, default=0, help="re-draw every scene and sensor")
    ap.add_argument("--methods", default=",".join(METHODS), help="comma-separated methods besides the baseline")
    args = ap.parse_args()
    h, w, n = (96, 128, 400) if args.quick else (250, 400, 600)
    res = evaluate(h, w, n, args.seed_offset, methods=tuple(args.methods.split(",")))
    print(table(res))
    v = verdicts(res)
    for case, ratio, ok in v:
        print(f"{case}: best/baseline EPE {ratio:.2f} {'ok' if ok else 'MISSED'}")
    print(f"\n{sum(ok for *_, ok in v)}/{len(v)} cases meet the target (<= 0.7 x baseline EPE)")
