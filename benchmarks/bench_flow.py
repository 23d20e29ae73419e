"""Flow speed: StreamingFlow ingesting packed spikes, and one ``estimate`` on a 1000x1000 stream.

Cases (one run, this machine's cores):
- ``StreamingFlow`` at 250x400 emitting a dt = 20 field every 80 frames (500 fields per second at
  40 kHz real time): spike frames ingested per second for "dis" (DIS preset medium, the default, and
  ultrafast), "spike" and "best";
- ``estimate`` of one dt = 20 field on a 1000x1000 stream: "dis", "spike" (= "best").
A second figure per streaming case, frames per CPU-second (process time, all threads), is what one
idle core sustains: wall-clock figures on a machine shared with other busy processes understate it.
Reference, in the same run: the baseline a user writes today: NumPy TFP-41 images of frames t and
t + dt from unpacked spikes and ``cv2.DISOpticalFlow_create(PRESET_MEDIUM)``, per field (ratio =
reference seconds / ours: above 1 means faster than the baseline). Input: the benchmark's
translating texture (simulated once, 250x400, tiled for 1000x1000).

    python benchmarks/bench_flow.py [--quick]
"""

from __future__ import annotations

import time

import cv2
import numpy as np
from _common import best_time

from spikevision import _bits
from spikevision.flow import StreamingFlow, estimate
from spikevision.recon import tfp

DT, EVERY = 20, 80


def _spikes(h: int, w: int, frames: int) -> np.ndarray:
    from spikevision.sim import Simulator, TextureMotion

    sh, sw = min(h, 250), min(w, 400)
    scene = TextureMotion(sh, sw, frames, seed=1, velocity=(0.08, -0.03))
    s = Simulator(scene, n_frames=frames, theta=2.0, reset="subtract", init="uniform", full_well=2.0, seed=1).run()
    s = s.unpack()
    reps = (1, -(-h // sh), -(-w // sw))
    return np.ascontiguousarray(np.tile(s, reps)[:, :h, :w])


def _baseline_field(spikes: np.ndarray, t: int) -> np.ndarray:
    a, b = tfp(spikes, at=t, window=41), tfp(spikes, at=t + DT, window=41)
    lo, hi = np.percentile(a, [0.5, 99.5])
    u8 = [np.clip((x - lo) / max(hi - lo, 1e-6) * 255, 0, 255).astype(np.uint8) for x in (a, b)]
    return cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(u8[0], u8[1], None)


def _baseline_stream(spikes: np.ndarray) -> int:
    n = 0
    for t in range(0, len(spikes) - DT - 20, EVERY):
        _baseline_field(spikes, t)
        n += 1
    return n


def _stream(packed: np.ndarray, h: int, w: int, method: str, **kw) -> int:
    sf = StreamingFlow(h, w, DT, emit_every=EVERY, method=method, **kw)
    n = 0
    for a in range(0, len(packed), 1024):
        for _ in sf.iter_packed(packed[a : a + 1024]):
            n += 1
    return n


def _cpu(fn) -> float:
    """Process CPU seconds (all threads) of one call."""
    c = time.process_time()
    fn()
    return time.process_time() - c


def run(quick: bool = False) -> list[dict]:
    h, w, frames = (96, 128, 400) if quick else (250, 400, 1200)
    spikes = _spikes(h, w, frames)
    packed = _bits.pack_frames(spikes)
    rows = []
    t_ref = best_time(lambda: _baseline_stream(spikes), repeat=2)
    c_ref = _cpu(lambda: _baseline_stream(spikes))
    cases = [("dis", {}), ("dis", {"preset": "ultrafast"}), ("spike", {}), ("best", {})]
    for method, kw in cases:
        _stream(packed[:300], h, w, method, **kw)   # compile and warm up
        t = best_time(lambda method=method, kw=kw: _stream(packed, h, w, method, **kw), repeat=2)
        label = method + (f" {kw['preset']}" if kw else "")
        rows.append({"benchmark": "StreamingFlow frames/s", "case": f"{label} {h}x{w} dt={DT} every {EVERY}",
                     "ours": frames / t, "reference": "TFP-41 + DIS medium per field", "ref": frames / t_ref,
                     "unit": "frames/s", "ratio": t_ref / t,
                     "target": ">= 40,000 frames/s" if method == "dis" else "reported"})
        c_ours = _cpu(lambda method=method, kw=kw: _stream(packed, h, w, method, **kw))
        rows.append({"benchmark": "StreamingFlow frames per CPU-second", "case": f"{label} {h}x{w}",
                     "ours": frames / c_ours, "reference": "TFP-41 + DIS medium per field", "ref": frames / c_ref,
                     "unit": "frames/cpu-s", "ratio": c_ref / c_ours, "target": "reported"})
    big = (256, 256, 260) if quick else (1000, 1000, 260)
    s_big = _spikes(*big)
    t0 = (big[2] - DT) // 2
    t_ref = best_time(lambda: _baseline_field(s_big, t0), repeat=2)
    for method in ("dis", "spike"):
        t = best_time(lambda method=method: estimate(s_big, t0, DT, method=method), repeat=2)
        rows.append({"benchmark": "flow.estimate seconds per field", "case": f"{method} {big[0]}x{big[1]} dt={DT}",
                     "ours": t, "reference": "TFP-41 + DIS medium", "ref": t_ref, "unit": "s", "ratio": t_ref / t,
                     "target": "reported"})
    return rows


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="96x128 and 256x256 inputs")
    args = ap.parse_args()
    for r in run(args.quick):
        print(f"{r['benchmark']:34s} {r['case']:38s} ours {r['ours']:12,.4g} {r['unit']:9s} ref {r['ref']:12,.4g} "
              f"ratio {r['ratio']:.2f}x")
