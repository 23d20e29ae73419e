"""Camera path benchmarks: framing throughput, end-to-end sim:// and replay:// at 40 kHz while recording.

Rows:
- vidar framing (RowFramer, 1 MiB transfers with carry-over) in MB/s of wire bytes, against the
  obvious NumPy decoder (unpackbits, drop head columns, flip, packbits) in the same run; target
  >= 1000 MB/s (4x the ~250 MB/s of wire a 400x250 camera sends at 20 kHz, 2x at 40 kHz).
- m1 framing (io.raw LinePacketParser through LinePacketFramer) in MB/s, against a plain memcpy.
- end to end: sim:// and replay:// paced at 40 kHz (real time) for N seconds of stream, recorded
  to HDF5 by the writer thread: delivered frame rate vs the nominal 40,000 frames/s (ratio), dropped
  frames (target 0), and CPU use of the capture process (percent of one core).

The recording goes to ``$SPIKEVISION_BENCH_DIR`` (default: the system temp dir); 40 kHz at
250x400 is 500 MB/s, so the disk's own sequential write rate (measured in the same run) is the
reference for the recording row. Set ``SPIKEVISION_BENCH_DIR=/dev/shm`` to measure the software
path without the disk (60 s at 40 kHz is 30 GB: the quick mode's 5 s fits in memory).

Run: ``python benchmarks/run.py camera`` (60 s of stream per end-to-end case) or ``--quick`` (5 s).
"""

from __future__ import annotations

import os
import resource
import tempfile
import time

import numpy as np
from _common import best_time

from spikevision import _bits
from spikevision.camera import Recorder, open_camera
from spikevision.camera.framing import RowFramer, encode_rows, make_framer
from spikevision.camera.sim import scene_frames


def _naive_vidar(wire: np.ndarray, n: int) -> np.ndarray:
    bits = np.unpackbits(wire[: n * 13000].reshape(n, 13000), axis=1, bitorder="little").reshape(n, 250, 416)
    return np.packbits(bits[:, ::-1, :400].reshape(n, -1), axis=1, bitorder="little")


def _framing_rows(quick: bool) -> list[dict]:
    rows = []
    n = 80 if quick else 400
    base = scene_frames(250, 400, 200)
    frames = _bits.unpack_frames(base[np.arange(n) % 200], 250, 400)
    wire = encode_rows(frames)
    step = 1 << 20

    def ours():
        fr = RowFramer()
        for i in range(0, wire.size, step):
            fr.feed(wire[i:i + step])

    t_ours = best_time(ours, 3)
    t_ref = best_time(lambda: _naive_vidar(wire, n), 2)
    assert np.array_equal(RowFramer().feed(wire), _naive_vidar(wire, n))
    mb = wire.size / 1e6
    rows.append(dict(benchmark="camera framing", case=f"vidar 250x416 wire, {n} frames, 1 MiB transfers",
                     ours=mb / t_ours, reference="np.unpackbits+flip+packbits", ref=mb / t_ref, unit="MB/s",
                     ratio=t_ref / t_ours, target=">= 1000 MB/s"))
    try:
        from spikevision.io import raw
    except ImportError:
        return rows
    m = 16 if quick else 64
    mframes = (np.random.default_rng(0).random((m, 1000, 1000)) < 0.2).astype(np.uint8)
    mwire = np.ascontiguousarray(raw.encode_frames(mframes)).reshape(-1)

    def ours_m1():
        fr = make_framer("m1")
        for i in range(0, mwire.size, step):
            fr.feed(mwire[i:i + step])

    ours_m1()  # compile
    t_m1 = best_time(ours_m1, 3)
    t_cp = best_time(lambda: mwire.copy(), 5)
    rows.append(dict(benchmark="camera framing", case=f"m1 line packets, {m} frames, 1 MiB transfers",
                     ours=mwire.size / 1e6 / t_m1, reference="memcpy of the same bytes",
                     ref=mwire.size / 1e6 / t_cp, unit="MB/s", ratio=t_cp / t_m1, target=">= 1000 MB/s"))
    return rows


def _e2e(url: str, seconds: float, out: str) -> dict:
    cam = open_camera(url)
    cam.open()
    target = int(seconds * cam.info.fps)
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    rec = Recorder(out, cam.info, overwrite=True)
    n = 0
    with cam:
        for block in cam:
            if n + block.n_frames > target:
                break
            rec.write(block)
            n += block.n_frames
            if n >= target:
                break
        stats = cam.stats()
    rec.close()
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return dict(frames=n, wall=wall, fps=n / wall, dropped=stats.dropped_frames, cpu=100 * cpu / wall,
                written=rec.frames, commits=rec.commits, high_water=stats.ring_high_water)


def _disk_mb_s(d: str, nbytes: int = 1 << 30) -> float:
    """Sequential write + fsync every 50 MB of the same kind of bytes into ``d`` (the disk's own limit)."""
    buf = np.random.default_rng(1).integers(0, 256, 50 << 20, dtype=np.uint8)
    path = os.path.join(d, "disk.bin")
    t = time.perf_counter()
    with open(path, "wb") as f:
        for _ in range(nbytes // buf.size):
            f.write(buf.data)
            f.flush()
            os.fsync(f.fileno())
    dt = time.perf_counter() - t
    os.remove(path)
    return (nbytes // buf.size) * buf.size / dt / 1e6


def _e2e_rows(quick: bool) -> list[dict]:
    seconds = 5.0 if quick else 60.0
    rows = []
    with tempfile.TemporaryDirectory(dir=os.environ.get("SPIKEVISION_BENCH_DIR")) as d:
        disk = _disk_mb_s(d, (256 << 20) if quick else (2 << 30))
        src = os.path.join(d, "src.dat")
        import spikevision as sv

        sv.save(src, _bits.unpack_frames(scene_frames(250, 400, 2001), 250, 400))  # 2001: unambiguous size
        cases = [("sim://", "sim://?fps=40000&speed=1&loop_frames=2000"),
                 ("replay://", f"replay://{src}?fps=40000&speed=1&loop=1")]
        for name, url in cases:
            out = os.path.join(d, "rec.h5")
            r = _e2e(url, seconds, out)
            os.remove(out)
            case = f"{name} 250x400 @ 40 kHz, {seconds:g} s of stream -> HDF5"
            rows.append(dict(benchmark="camera end-to-end", case=case + " (frame rate)", ours=r["fps"],
                             reference="nominal 40 kHz", ref=40000.0, unit="frames/s", ratio=r["fps"] / 40000,
                             target=">= 1.0x, 0 dropped"))
            rows.append(dict(benchmark="camera end-to-end", case=case + " (dropped frames)", ours=r["dropped"],
                             reference="", ref=None, unit="frames", ratio=None, target="0"))
            rows.append(dict(benchmark="camera end-to-end", case=case + " (CPU, all threads)", ours=r["cpu"],
                             reference="", ref=None, unit="% of one core", ratio=None, target=""))
            mb = r["frames"] * 12500 / r["wall"] / 1e6
            rows.append(dict(benchmark="camera end-to-end", case=case + " (recording MB/s)", ours=mb,
                             reference="write+fsync to the same disk", ref=disk, unit="MB/s", ratio=mb / disk,
                             target="40 kHz needs 500 MB/s"))
    return rows


def run(quick: bool = False) -> list[dict]:
    return _framing_rows(quick) + _e2e_rows(quick)


if __name__ == "__main__":
    for row in run(quick=True):
        print(row)
