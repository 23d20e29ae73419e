"""Viewer responsiveness: live sim:// camera at 40 kHz, real-time file playback, scrubbing a 250 MB file.

Runs the real window offscreen (QT_QPA_PLATFORM=offscreen) in this process.
Figures: displayed frames per second (target >= 60), camera frames dropped
(target 0 over 60 s), CPU use of the process (% of one core), and the latency
of random jumps on a 250 MB .dat (target < 100 ms), compared with computing
the same TFP image directly with spikevision.recon in the same run.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("SPIKEVISION_VIEWER_NO_DIALOGS", "1")


@contextlib.contextmanager
def _app_window():
    """(app, window) shown offscreen; the window is shut down (threads joined) on exit."""
    from spikevision.viewer.app import application
    from spikevision.viewer.window import ViewerWindow

    app = application()
    win = ViewerWindow(settings=None)
    win.resize(1400, 860)
    win.show()
    app.processEvents()
    try:
        yield app, win
    finally:
        win.shutdown()
        win.deleteLater()
        app.processEvents()


def _spin(app, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.001)


def _cpu():
    import psutil

    proc = psutil.Process()
    proc.cpu_percent(None)
    return proc


def _live_rows(seconds: float) -> list[dict]:
    with _app_window() as (app, win):
        win.set_mode("tfp", 41)
        live = win.open_camera("sim://?height=250&width=400&fps=40000")
        t0 = time.monotonic()
        while live.status().state == "connecting" and time.monotonic() - t0 < 120:
            _spin(app, 0.05)
        _spin(app, 1.0)  # warm-up: first renders compile kernels
        s0 = live.status().camera
        draws0 = win.draw_count
        proc = _cpu()
        t = time.monotonic()
        _spin(app, seconds)
        dt = time.monotonic() - t
        cpu = proc.cpu_percent(None)
        st = live.status()
        s1 = st.camera
        fps = (win.draw_count - draws0) / dt
        frames = s1.frames - s0.frames
        dropped = s1.dropped_frames - s0.dropped_frames
        case = f"sim:// 250x400 at 40 kHz, TFP 41, {seconds:g} s"
        return [
            {"benchmark": "viewer live display", "case": case, "ours": fps, "reference": "60 fps target",
             "ref": 60.0, "unit": "fps", "ratio": fps / 60.0, "target": ">= 60 fps"},
            {"benchmark": "viewer live camera rate", "case": case, "ours": frames / dt / 1e3,
             "reference": "nominal rate", "ref": 40.0, "unit": "kframe/s", "ratio": frames / dt / 40000.0,
             "target": ">= 1.0x"},
            {"benchmark": "viewer live dropped frames", "case": case, "ours": float(dropped), "reference": "",
             "ref": None, "unit": "frames", "ratio": None, "target": "0"},
            {"benchmark": "viewer live ring high-water", "case": case, "ours": float(s1.ring_high_water),
             "reference": "ring capacity", "ref": float(s1.ring_capacity), "unit": "blocks", "ratio": None,
             "target": "< 80% of capacity"},
            {"benchmark": "viewer live CPU", "case": case + f", {os.cpu_count()} cores", "ours": cpu,
             "reference": "", "ref": None, "unit": "% of one core", "ratio": None, "target": ""},
        ]


def _make_dat(path: Path, frames: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    with open(path, "wb") as f:
        for a in range(0, frames, 1000):
            n = min(1000, frames - a)
            f.write(rng.integers(0, 256, (n, 12500), dtype=np.uint8).tobytes())


def _file_rows(path: Path, frames: int, jumps: int, play_seconds: float) -> list[dict]:
    import spikevision as sv
    from spikevision import recon

    rows = []
    with _app_window() as (app, win):
        t = time.perf_counter()
        win.open_file(path, height=250, width=400)
        open_s = time.perf_counter() - t
        rows.append({"benchmark": "viewer open", "case": f"{path.stat().st_size / 1e6:.0f} MB .dat",
                     "ours": open_s * 1e3, "reference": "", "ref": None, "unit": "ms", "ratio": None,
                     "target": "instant (lazy)"})
        win.set_mode("tfp", 41)
        _spin(app, 0.5)
        rng = np.random.default_rng(1)
        idx = rng.integers(0, frames, jumps)
        lat = []
        for i in idx:
            t = time.perf_counter()
            win.set_frame(int(i))
            want = win.current_key()
            while win.shown is None or win.shown.key != want:
                app.processEvents()
                time.sleep(0.0005)
            lat.append(time.perf_counter() - t)
        s = sv.open(path, height=250, width=400)
        ref = []
        for i in rng.integers(0, frames, jumps):
            t = time.perf_counter()
            recon.tfp(s, at=int(i), window=41)
            ref.append(time.perf_counter() - t)
        ours, base = float(np.median(lat)) * 1e3, float(np.median(ref)) * 1e3
        case = f"{path.stat().st_size / 1e6:.0f} MB .dat, {jumps} random jumps, TFP 41"
        rows.append({"benchmark": "viewer scrub latency (median)", "case": case, "ours": ours,
                     "reference": "recon.tfp at that frame", "ref": base, "unit": "ms", "ratio": base / ours,
                     "target": "< 100 ms"})
        rows.append({"benchmark": "viewer scrub latency (max)", "case": case, "ours": max(lat) * 1e3,
                     "reference": "recon.tfp at that frame", "ref": max(ref) * 1e3, "unit": "ms",
                     "ratio": max(ref) / max(lat), "target": "< 100 ms"})
        # real-time playback: the clock runs at the recording's rate, frames are skipped when behind
        win.set_frame(0)
        win.transport.loop.setChecked(True)
        win.set_speed(20000.0)
        _spin(app, 0.3)
        draws0 = win.draw_count
        proc = _cpu()
        win.set_playing(True)
        t = time.monotonic()
        _spin(app, play_seconds)
        dt = time.monotonic() - t
        cpu = proc.cpu_percent(None)
        win.set_playing(False)
        fps = (win.draw_count - draws0) / dt
        rows.append({"benchmark": "viewer file playback display", "case": f"250x400 at 1x real time (20 kHz), TFP 41, "
                     f"CPU {cpu:.0f}% of one core", "ours": fps, "reference": "60 fps target", "ref": 60.0,
                     "unit": "fps", "ratio": fps / 60.0, "target": ">= 60 fps"})
    return rows


def run(quick: bool = False) -> list[dict]:
    rows = _live_rows(5.0 if quick else 60.0)
    frames = 2000 if quick else 20000  # 20,000 frames of 250x400 = 250 MB
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "big.dat"
        _make_dat(path, frames)
        rows += _file_rows(path, frames, 10 if quick else 40, 3.0 if quick else 10.0)
    return rows


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=1))
