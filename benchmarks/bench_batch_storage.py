"""Storage at camera rate: HDF5 write/read MB/s and compression ratio per codec, dense and low-light streams.

Streams come from an integrate-and-fire sensor (threshold 1, subtract reset, uniform initial
charge, Gaussian jitter of the input) looking at a smooth texture, scaled to a mean spike density
of about 29 % (a bright, dense scene) and about 3 % (low light). Every codec writes the same
stream with ``sv.save(path, stream, compression=...)`` and reads it back with
``sv.open(path).packed()``, in one run; the reference is the uncompressed container. The
camera writes 500 MB/s packed at 40 kHz (250 x 400); the target column says whether a codec
keeps up. Files live in the page cache (the cost of the codec, not of the disk).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from _common import best_times

import spikevision as sv

H, W = 250, 400
CAMERA_MBPS = 40000 * H * W / 8 / 1e6  # 500 MB/s
CODECS = (None, "lzf", "gzip", "gzip:1", "blosc2-lz4", "blosc2-zstd")


def if_stream(t: int, density: float, seed: int = 0) -> np.ndarray:
    """(t, H*W/8) packed spikes of an integrate-and-fire sensor with mean firing rate ``density``."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    tex = 0.5 + 0.35 * np.sin(xx / 17.0 + np.cos(yy / 11.0)) * np.cos(yy / 29.0) + 0.15 * rng.random((H, W))
    rate = (tex / tex.mean() * density).astype(np.float32).ravel()
    charge = rng.random(H * W, dtype=np.float32)
    out = np.empty((t, H * W // 8), np.uint8)
    for i in range(t):
        charge += rate * (1 + 0.1 * rng.standard_normal(H * W, dtype=np.float32))
        fire = charge >= 1.0
        charge[fire] -= 1.0
        out[i] = np.packbits(fire, bitorder="little")
    return out


def run(quick: bool = False) -> list[dict]:
    t = 500 if quick else 2000
    repeat = 1 if quick else 2
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="sv-bench-store-") as d:
        for label, density in (("dense", 0.29), ("low light", 0.03)):
            packed = if_stream(t, density)
            stream = sv.from_packed(packed, H, W, 40000)
            nbytes = packed.nbytes
            ones = float(np.unpackbits(packed[: min(200, t)], bitorder="little").mean())
            case = f"{label}: {ones:.1%} ones, {t:,} frames ({nbytes / 1e6:.0f} MB packed)"
            paths = {c: Path(d) / f"{label[:3]}_{c or 'none'}.h5" for c in CODECS}
            writes = best_times([lambda c=c, p=paths, s=stream: sv.save(p[c], s, compression=c)
                                 for c in CODECS], repeat)
            reads = best_times([lambda c=c, p=paths: sv.open(p[c]).packed() for c in CODECS], repeat)
            for c in CODECS:  # bit-exact round trip before any figure is reported
                assert np.array_equal(sv.open(paths[c]).packed(), packed), c
            ref_w, ref_r = writes[0], reads[0]
            for c, tw, tr in zip(CODECS, writes, reads):
                name = c or "uncompressed"
                ratio = nbytes / os.path.getsize(paths[c])
                w_mbps, r_mbps = nbytes / tw / 1e6, nbytes / tr / 1e6
                keeps = "keeps up" if w_mbps >= CAMERA_MBPS else "too slow"
                rows.append({"benchmark": f"h5 write ({name})", "case": case, "ours": w_mbps,
                             "reference": "uncompressed", "ref": nbytes / ref_w / 1e6, "unit": "MB/s (packed)",
                             "ratio": ref_w / tw, "target": f">= {CAMERA_MBPS:.0f} MB/s: {keeps}"})
                rows.append({"benchmark": f"h5 read ({name})", "case": case, "ours": r_mbps,
                             "reference": "uncompressed", "ref": nbytes / ref_r / 1e6, "unit": "MB/s (packed)",
                             "ratio": ref_r / tr, "target": ""})
                rows.append({"benchmark": f"h5 size ({name})", "case": case, "ours": ratio,
                             "reference": "packed bytes", "ref": 1.0, "unit": "compression ratio", "ratio": None,
                             "target": ""})
    return rows


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    for r in run(quick="--quick" in sys.argv):
        print(r)
