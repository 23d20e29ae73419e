"""HDF5 container: write/read throughput vs the .dat path and raw np.save/np.load; compressed size.

Stream: 250x400 frames, independent Bernoulli spikes whose rate follows a smooth
image between 0.05 and 0.3 (a realistic sparse scene; i.i.d. bits are the hard
case for compression). 2,000 distinct frames are tiled to the full length (the
period is longer than a chunk, so compression cannot exploit the repeat).
Files live in the page cache: these are the costs of the formats, not the disk.

``io.h5 open`` cases: the cost of opening safely. A file sealed by spikevision is
checked by the CRC32 of its metadata bytes (seal record) and parsed in-process; any
other file (a killed recording here) is parsed first in a child process with a
timeout: forked, or a fresh interpreter when other threads run (a GUI). The
reference is a bare ``h5py.File`` open that reads the attributes of ``/spikes``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from pathlib import Path

import h5py
import numpy as np
from _common import best_time, best_times

import spikevision as sv
from spikevision.io.h5 import H5Writer

H, W = 250, 400
FRAME = H * W // 8


def _stream_packed(t: int, unique: int = 2000, lo: float = 0.05, hi: float = 0.3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    scene = 0.5 + 0.5 * np.sin(xx / 37.0) * np.cos(yy / 23.0)  # smooth image in [0, 1]
    rate = (lo + (hi - lo) * scene).astype(np.float32).ravel()
    u = min(unique, t)
    base = np.empty((u, FRAME), np.uint8)
    for a in range(0, u, 256):
        n = min(256, u - a)
        base[a : a + n] = np.packbits(rng.random((n, H * W), dtype=np.float32) < rate, axis=1, bitorder="little")
    reps = -(-t // u)
    return np.tile(base, (reps, 1))[:t]


def _row(bench: str, case: str, ours_s: float, ref_name: str, ref_s: float, nbytes: int, frames: int,
         target: str = "") -> list[dict]:
    return [
        {"benchmark": bench, "case": case, "ours": frames / ours_s, "reference": ref_name, "ref": frames / ref_s,
         "unit": "frame/s", "ratio": ref_s / ours_s, "target": target},
        {"benchmark": bench, "case": case, "ours": nbytes / ours_s / 1e6, "reference": ref_name,
         "ref": nbytes / ref_s / 1e6, "unit": "MB/s (packed)", "ratio": ref_s / ours_s, "target": target},
    ]


def run(quick: bool = False) -> list[dict]:
    t = 2000 if quick else 20000
    repeat = 2 if quick else 1
    packed = _stream_packed(t)
    nbytes = packed.nbytes
    stream = sv.from_packed(packed, H, W, 20000)
    case = f"{W}x{H}, {t:,} frames ({nbytes / 1e6:.0f} MB packed)"
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="sv-bench-h5-") as d:
        d = Path(d)
        dat, npy = d / "x.dat", d / "x.npy"
        h5 = {c: d / f"x_{c or 'none'}.h5" for c in ("lzf", None, "gzip")}

        # --- write ---------------------------------------------------------
        t_npy = best_time(lambda: np.save(npy, packed), repeat)
        t_dat = best_time(lambda: sv.save(dat, stream), repeat)
        t_h5 = {c: best_time(lambda c=c, p=p: sv.save(p, stream, compression=c), repeat) for c, p in h5.items()}
        for c in h5:
            label = f"io.h5 write ({c or 'uncompressed'})"
            rows += _row(label, case, t_h5[c], "np.save raw packed", t_npy, nbytes, t, ">= 0.5x" if c is None else "")
            rows += _row(label, case, t_h5[c], ".dat (sv.save)", t_dat, nbytes, t)

        # --- recording: in-place writer, commit (two HDF5 flushes) every 1024 frames --------
        for c in (None, "lzf"):
            rec = d / "rec.h5"

            def record(c=c, rec=rec):
                with H5Writer(rec, H, W, 20000, compression=c, overwrite=True) as w:
                    for a in range(0, t, 1000):  # camera-sized blocks, flushed like camera.record does
                        w.append_packed(packed[a : a + 1000])
                        w.flush()

            t_rec = best_time(record, repeat)
            rate = t / t_rec
            rows.append({"benchmark": f"io.h5 record, flush per 1000 frames ({c or 'uncompressed'})", "case": case,
                         "ours": rate, "reference": "20 kHz camera", "ref": 20000.0, "unit": "frame/s",
                         "ratio": rate / 20000, "target": ">= 1.0x (real time)" if c is None else ""})
            rec.unlink()

        # --- read (sequential, packed and unpacked) -----------------------
        s_h5 = sv.open(h5["lzf"])
        s_dat = sv.open(dat, height=H, width=W)
        assert np.array_equal(s_h5[:50].packed(), packed[:50]) and np.array_equal(s_dat[-50:].packed(), packed[-50:])

        def read_h5(s=s_h5):
            for _ in s.iter_packed(1024):
                pass

        def read_dat():
            for _ in s_dat.iter_packed(1024):
                pass

        t_load = best_time(lambda: np.load(npy), repeat)
        t_rdat = best_time(read_dat, repeat)
        for c in h5:
            s = sv.open(h5[c])
            t_r = best_time(lambda s=s: read_h5(s), repeat)
            rows += _row(f"io.h5 read packed ({c or 'uncompressed'})", case, t_r, "np.load raw packed", t_load,
                         nbytes, t, ">= 0.5x" if c is None else "")
            rows += _row(f"io.h5 read packed ({c or 'uncompressed'})", case, t_r, ".dat iter_packed", t_rdat,
                         nbytes, t)
            s.close()

        def unpack_h5():
            for _ in s_h5.iter_blocks(1024):
                pass

        def unpack_dat():
            for _ in s_dat.iter_blocks(1024):
                pass

        unpack_h5(), unpack_dat()  # compile kernels
        rows += _row("io.h5 read unpacked (lzf)", case, best_time(unpack_h5, repeat), ".dat iter_blocks",
                     best_time(unpack_dat, repeat), nbytes, t)

        # --- random access: 16-frame windows --------------------------------
        rng = np.random.default_rng(1)
        starts = rng.integers(0, t - 16, 200)

        def windows(s):
            for a in starts:
                s.source.read_packed(int(a), int(a) + 16)

        windows(s_h5)
        t_win_h5 = best_time(lambda: windows(s_h5), repeat)
        t_win_dat = best_time(lambda: windows(s_dat), repeat)
        rows.append({"benchmark": "io.h5 random 16-frame windows (lzf)", "case": case,
                     "ours": len(starts) / t_win_h5, "reference": ".dat positioned reads",
                     "ref": len(starts) / t_win_dat, "unit": "window/s", "ratio": t_win_dat / t_win_h5,
                     "target": ""})
        s_h5.close()
        s_dat.close()

        # --- open: seal check / probe in a child ----------------------------
        rows += _open_rows(h5["lzf"], d, packed[:5000], 20 if quick else 100)

        # --- size ------------------------------------------------------------
        raw = dat.stat().st_size
        for c in h5:
            rows.append({"benchmark": f"io.h5 size ({c or 'uncompressed'})", "case": "rate 0.05-0.3 smooth scene",
                         "ours": raw / h5[c].stat().st_size, "reference": ".dat size", "ref": 1.0,
                         "unit": "compression x", "ratio": raw / h5[c].stat().st_size, "target": ""})
        for p in (0.05, 0.15, 0.3):
            x = sv.from_packed(_stream_packed(2000, lo=p, hi=p, seed=2), H, W)
            for c in ("lzf", "gzip"):
                f = d / f"p_{c}.h5"
                sv.save(f, x, compression=c)
                ratio = x.frame_nbytes * len(x) / f.stat().st_size
                rows.append({"benchmark": f"io.h5 size ({c})", "case": f"uniform rate {p}", "ours": ratio,
                             "reference": ".dat size", "ref": 1.0, "unit": "compression x", "ratio": ratio,
                             "target": ""})
    return rows


def _open_rows(sealed: Path, d: Path, packed: np.ndarray, repeat: int) -> list[dict]:
    killed, live = d / "killed.h5", d / "live.h5"
    with H5Writer(live, H, W, 20000, block_frames=1000, overwrite=True) as w:
        w.append_packed(packed[:4500])
        w.flush()  # 4000 frames in /spikes, 500 in a tail slot
        shutil.copyfile(live, killed)  # the bytes a kill leaves

    def bare(p):
        with h5py.File(p, "r") as f:
            dict(f["spikes"].attrs)

    def ours(p):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sv.open(p).close()

    rows = []
    for name, p, n in (("sealed file: seal CRC, in-process", sealed, repeat),
                       ("killed recording: probe in a forked child", killed, repeat)):
        t_ours, t_ref = best_times([lambda p=p: ours(p), lambda p=p: bare(p)], n)
        rows.append({"benchmark": "io.h5 open", "case": name, "ours": t_ours * 1e3, "reference": "bare h5py open",
                     "ref": t_ref * 1e3, "unit": "ms", "ratio": t_ref / t_ours, "target": ""})
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()  # another thread runs: forking is unsafe, the probe starts a fresh interpreter
    try:
        t_ours, t_ref = best_times([lambda: ours(killed), lambda: bare(sealed)], 3)
    finally:
        stop.set()
        t.join()
    rows.append({"benchmark": "io.h5 open", "case": "killed recording, other threads: probe in a new interpreter",
                 "ours": t_ours * 1e3, "reference": "bare h5py open", "ref": t_ref * 1e3, "unit": "ms",
                 "ratio": t_ref / t_ours, "target": ""})
    return rows


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(r)
