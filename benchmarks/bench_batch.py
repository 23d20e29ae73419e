"""Batch throughput: files/s and spike frames/s per executor and worker count against the serial run,
the overhead per task, and ``to_dask`` reductions against ``iter_blocks`` on the same file.

Recordings: 250 x 400 vidar-sized ``.dat`` files of random spikes (20 % ones); pipeline
``recon:tfp:step=40`` (an image every 40 frames with the compiled TFP). Overhead per task: the
same executors on tiny files (8 x 8, 10 frames, pipeline ``info``), whose compute is negligible:
(wall time / files) minus the serial time per file. Worker start-up (the process pool, the
LocalCluster) is inside the timed run: it is what a user waits for. On a shared 2-core machine
2 workers can at best double the serial rate.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

import spikevision as sv
from spikevision import batch

H, W = 250, 400


def _files(d: Path, n: int, t: int, h: int = H, w: int = W) -> list[Path]:
    rng = np.random.default_rng(0)
    out = []
    for k in range(n):
        p = d / f"rec{k:03d}.dat"
        sv.save(p, (rng.random((t, h, w)) < 0.2).astype(np.uint8))
        out.append(p)
    return out


def _time(files, pipeline, out: Path, **kw) -> float:
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    rep = batch.run(files, pipeline, out, **kw)
    dt = time.perf_counter() - t
    assert rep.ok and rep.count("done") == len(files), rep.table()
    return dt


def _configs():
    cfg = [("serial", 1), ("process", 1), ("process", 2)]
    try:
        import distributed  # noqa: F401

        cfg += [("dask", 1), ("dask", 2)]
    except ImportError:
        pass
    return cfg


def run(quick: bool = False) -> list[dict]:
    n, t = (6, 400) if quick else (16, 1000)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="sv-bench-batch-") as d:
        d = Path(d)
        (d / "in").mkdir()
        files = _files(d / "in", n, t)
        pipe = "recon:tfp:step=40"
        batch.run(files[:1], pipe, d / "warm")  # compile the kernels once, outside the timings
        times = {cfg: _time(files, pipe, d / "out", executor=cfg[0], workers=cfg[1]) for cfg in _configs()}
        ref = times[("serial", 1)]
        case = f"{n} files x {t:,} frames {W}x{H}, {pipe}"
        for (ex, k), dt in times.items():
            rows.append({"benchmark": f"batch {ex} x{k}", "case": case, "ours": n / dt, "reference": "serial",
                         "ref": n / ref, "unit": "files/s", "ratio": ref / dt, "target": ""})
            rows.append({"benchmark": f"batch {ex} x{k}", "case": case, "ours": n * t / dt, "reference": "serial",
                         "ref": n * t / ref, "unit": "spike frames/s", "ratio": ref / dt,
                         "target": "<= 2x on 2 cores"})
        (d / "tiny").mkdir()
        m = 8 if quick else 24
        tiny = _files(d / "tiny", m, 10, 8, 8)
        tt = {cfg: _time(tiny, "info", d / "tout", executor=cfg[0], workers=cfg[1]) for cfg in _configs()}
        per = tt[("serial", 1)] / m
        for (ex, k), dt in tt.items():
            if ex != "serial":
                rows.append({"benchmark": f"batch overhead {ex} x{k}", "case": f"{m} tiny files (info)",
                             "ours": (dt / m - per) * 1e3, "reference": "serial per file", "ref": per * 1e3,
                             "unit": "ms/task (incl. start-up)", "ratio": None, "target": ""})
        # to_dask reductions vs iter_blocks on one file
        long_t = 2000 if quick else 8000
        p = _files(d, 1, long_t)[0]
        s = sv.open(p)
        arr = s.to_dask(chunk_frames=1024)
        t0 = time.perf_counter()
        rate_dask = arr.mean(axis=0, dtype=np.float64).compute()
        t_dask = time.perf_counter() - t0
        t0 = time.perf_counter()
        acc = np.zeros((H, W), np.int64)
        for b in s.iter_blocks(1024):
            acc += b.sum(axis=0, dtype=np.int64)
        t_iter = time.perf_counter() - t0
        t0 = time.perf_counter()
        counts = s.spike_counts()
        t_counts = time.perf_counter() - t0
        assert np.allclose(rate_dask, acc / long_t) and np.array_equal(acc, counts)
        case = f"{long_t:,} frames {W}x{H}, mean over time"
        rows.append({"benchmark": "to_dask mean (threads)", "case": case, "ours": long_t / t_dask,
                     "reference": "iter_blocks sum", "ref": long_t / t_iter, "unit": "frame/s",
                     "ratio": t_iter / t_dask, "target": ""})
        rows.append({"benchmark": "to_dask mean (threads)", "case": case, "ours": long_t / t_dask,
                     "reference": "spike_counts (packed popcount)", "ref": long_t / t_counts, "unit": "frame/s",
                     "ratio": t_counts / t_dask, "target": ""})
    return rows


if __name__ == "__main__":
    import sys

    for r in run(quick="--quick" in sys.argv):
        print(r)
