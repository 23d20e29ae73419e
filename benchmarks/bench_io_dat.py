"""Vidar .dat I/O: decode speed vs np.unpackbits, constant-memory iteration, `info` on a 250 MB file."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import best_time

import spikevision as sv


def _make_dat(path: Path, t: int, h: int, w: int, p: float = 0.15, seed: int = 0) -> None:
    """Random spikes written block by block (the content does not change decode speed)."""
    rng = np.random.default_rng(seed)
    fb = h * w // 8
    with open(path, "wb") as f:
        for a in range(0, t, 512):
            n = min(512, t - a)
            f.write(np.packbits(rng.random((n, h * w), dtype=np.float32) < p, axis=1, bitorder="little").tobytes())
    assert path.stat().st_size == t * fb


def _decode_rows(path: Path, t: int, h: int, w: int, label: str) -> list[dict]:
    s = sv.open(path, height=h, width=w)
    s.unpack()  # warm the page cache and the compiled kernel

    def ref():
        raw = np.fromfile(path, np.uint8).reshape(t, -1)
        return np.unpackbits(raw, axis=1, bitorder="little").reshape(t, h, w)[:, ::-1]

    assert (ref() == s.unpack()).all()
    repeat = 3 if t * h * w < 5e8 else 1
    t_ref = best_time(ref, repeat)
    t_ours = best_time(s.unpack, repeat)
    out = np.empty((t, h, w), np.uint8)
    s.unpack(out=out)
    t_pre = best_time(lambda: s.unpack(out=out), repeat)
    mpx = t * h * w / 1e6
    return [
        {"benchmark": "io.dat decode", "case": label, "ours": mpx / t_ours, "reference": "np.unpackbits+flip",
         "ref": mpx / t_ref, "unit": "Mpixel/s", "ratio": t_ref / t_ours, "target": ">= 1.0x"},
        {"benchmark": "io.dat decode (reused out=)", "case": label, "ours": mpx / t_pre,
         "reference": "np.unpackbits+flip", "ref": mpx / t_ref, "unit": "Mpixel/s", "ratio": t_ref / t_pre,
         "target": ">= 1.0x"},
    ]


_PEAK_SCRIPT = r"""
import json, resource, sys, time
import numpy as np
import spikevision as sv
path, block = sys.argv[1], int(sys.argv[2])
s = sv.open(path, height=250, width=400)
for b in s[:block].iter_blocks(block):  # compile kernels before measuring
    pass
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.perf_counter()
total = 0
for b in s.iter_blocks(block):
    total += int(b[:, 0, 0].sum())
dt = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"base_mb": base, "peak_mb": peak, "seconds": dt, "frames": len(s)}))
"""


def _peak_memory(path: Path, block: int) -> dict:
    out = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT, str(path), str(block)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


def run(quick: bool = False) -> list[dict]:
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="sv-bench-") as d:
        d = Path(d)
        cases = [(301, 250, 400), (2000 if quick else 20000, 250, 400), (200 if quick else 2000, 1000, 1000)]
        for t, h, w in cases:
            p = d / f"x_{t}_{h}x{w}.dat"
            _make_dat(p, t, h, w)
            rows += _decode_rows(p, t, h, w, f"{w}x{h}, {t:,} frames")
            p.unlink()
        n = 2000 if quick else 20000  # 20,000 frames of 250x400 = 250 MB
        big = d / "big.dat"
        _make_dat(big, n, 250, 400)
        size_mb = big.stat().st_size / 1e6
        block = 256
        m = _peak_memory(big, block)
        block_mb = block * 250 * 400 / 2**20
        rows.append({"benchmark": "io.dat iter_blocks peak RSS growth", "case": f"{size_mb:.0f} MB file, "
                     f"block {block} frames ({block_mb:.0f} MiB)", "ours": m["peak_mb"] - m["base_mb"],
                     "reference": "file size", "ref": size_mb, "unit": "MB", "ratio": None,
                     "target": f"< 64 MB + one block ({64 + block_mb:.0f} MB)"})
        rows.append({"benchmark": "io.dat iter_blocks throughput", "case": f"{size_mb:.0f} MB file",
                     "ours": m["frames"] / m["seconds"], "reference": "", "ref": None, "unit": "frame/s",
                     "ratio": None, "target": ""})
        from spikevision._cli.info import describe

        t = time.perf_counter()
        s = sv.open(big, height=250, width=400)
        facts = describe(s, stats=False)
        t_header = time.perf_counter() - t
        describe(s[:1000], stats=True, show_progress=False)  # compile
        t = time.perf_counter()
        facts = describe(s, stats=True, show_progress=False)
        t_stats = time.perf_counter() - t
        t = time.perf_counter()
        s.unpack(out=np.empty(s.shape, np.uint8)) if quick else [None for _ in s.iter_blocks(1024)]
        t_decode = time.perf_counter() - t
        rows.append({"benchmark": "info header facts", "case": f"{size_mb:.0f} MB file", "ours": t_header * 1e3,
                     "reference": "", "ref": None, "unit": "ms", "ratio": None, "target": "instant"})
        rows.append({"benchmark": "info firing-rate pass", "case": f"{size_mb:.0f} MB file",
                     "ours": size_mb / t_stats, "reference": "decode (iter_blocks)", "ref": size_mb / t_decode,
                     "unit": "MB/s", "ratio": t_decode / t_stats, "target": ">= decode speed"})
        assert facts["frames"] == n
    return rows


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(r)
