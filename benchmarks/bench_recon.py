"""Streaming reconstruction speed: spike frames ingested per second, straight from packed bytes.

Cases (each at 250x400 and 1000x1000, in one run on this machine's cores):
- decode + TFP + TFI (window 41) emitting one image every 40 frames;
- TFP (window 41) emitting an image every frame;
- the adaptive ("best") method emitting one image every 40 frames (display rates; its default reach of
  255 frames on each side).
Reference: the pure NumPy implementation in the same process (np.unpackbits, then the
NumPy reference functions of spikevision.recon, or a cumulative-sum sliding window
for TFP every frame). Input: packed Bernoulli spikes with per-pixel rates in [0, 0.5].
"""

from __future__ import annotations

import numpy as np
from _common import best_time

from spikevision import _bits
from spikevision.recon import StreamingAdaptive, StreamingTFI, StreamingTFP, tfi, tfp

BLOCK = 1024


def _packed(h: int, w: int, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rates = rng.uniform(0.0, 0.5, size=(h, w)).astype(np.float32)
    out = np.empty((n, _bits.frame_nbytes(h, w)), np.uint8)
    for a in range(0, n, 256):
        b = min(n, a + 256)
        out[a:b] = _bits.pack_frames(rng.random((b - a, h, w), dtype=np.float32) < rates)
    return out


def _ours_tfp_tfi(packed, h, w):
    tp = StreamingTFP(h, w, window=41, emit_every=40)
    ti = StreamingTFI(h, w, window=41, emit_every=40)
    n = 0
    for a in range(0, len(packed), BLOCK):
        blk = packed[a : a + BLOCK]
        for _ in tp.iter_packed(blk):
            n += 1
        for _ in ti.iter_packed(blk):
            n += 1
    return n


def _numpy_tfp_tfi(packed, h, w):
    """Pure NumPy: unpack each block (keeping 40 frames of history), TFP and TFI reference per image."""
    hist = np.zeros((0, h, w), np.uint8)
    base, nxt, n = 0, 0, 0
    for a in range(0, len(packed), BLOCK):
        blk = np.unpackbits(packed[a : a + BLOCK], axis=1, count=h * w, bitorder="little").reshape(-1, h, w)
        frames = np.concatenate([hist, blk])
        seen = a + len(blk)
        while nxt + 20 <= seen - 1:
            window = frames[max(0, nxt - 20) - base : nxt + 21 - base]
            c = nxt - max(0, nxt - 20)
            tfp(window, c, 41)
            tfi(window, c, 41)
            n += 2
            nxt += 40
        keep = frames[-40:]
        base = seen - len(keep)
        hist = keep
    return n


def _ours_stream(rec, packed):
    """Push ``packed`` through the streaming reconstructor ``rec`` in BLOCK-frame blocks; count the images."""
    n = 0
    for a in range(0, len(packed), BLOCK):
        for _ in rec.iter_packed(packed[a : a + BLOCK]):
            n += 1
    return n


def _ours_tfp_every(packed, h, w):
    return _ours_stream(StreamingTFP(h, w, window=41, emit_every=1), packed)


def _numpy_tfp_every(packed, h, w):
    """Pure NumPy running sum: unpack each block, add the new frame, drop the one 41 frames back, scale."""
    hist = np.zeros((0, h * w), np.uint8)
    running = np.zeros(h * w, np.int16)
    out = np.empty(h * w, np.float32)
    seen = 0
    for a in range(0, len(packed), BLOCK):
        blk = np.unpackbits(packed[a : a + BLOCK], axis=1, count=h * w, bitorder="little")
        frames = np.concatenate([hist, blk])
        off = len(hist)
        for i in range(len(blk)):
            f = seen + i
            running += frames[off + i]
            if f >= 41:
                running -= frames[off + i - 41]
            np.multiply(running, np.float32(1.0 / min(41, f + 1)), out=out)
        seen += len(blk)
        hist = frames[-41:]
    return seen


def _ours_adaptive(packed, h, w):
    return _ours_stream(StreamingAdaptive(h, w, emit_every=40), packed)


def _numpy_adaptive(packed, h, w):
    from spikevision.recon import adaptive

    frames = np.unpackbits(packed, axis=1, count=h * w, bitorder="little").reshape(-1, h, w)
    span = 255
    for t in range(0, len(frames), 40):
        a = max(0, t - span)
        adaptive(frames[a : t + span + 1], t - a, span=span)
    return len(frames)


def run(quick: bool = False) -> list[dict]:
    import numba

    rows = []
    threads = numba.get_num_threads()
    sizes = [(250, 400, 2048 if quick else 16384, 512 if quick else 2048),
             (1000, 1000, 256 if quick else 2048, 64 if quick else 256)]
    for h, w, n, n_ref in sizes:
        packed = _packed(h, w, n)
        ref_packed = packed[:n_ref]
        case = f"{h}x{w}, {n} frames, {threads} threads"
        for fn in (_ours_tfp_tfi, _ours_tfp_every, _ours_adaptive):   # compile / warm up
            fn(packed[:128], h, w)
        cases = [
            ("recon stream decode+TFP+TFI, image every 40", _ours_tfp_tfi, _numpy_tfp_tfi, ">= 100,000 frame/s"),
            ("recon stream TFP, image every frame", _ours_tfp_every, _numpy_tfp_every, ">= 40,000 frame/s"),
            ("recon stream best (adaptive), image every 40", _ours_adaptive, _numpy_adaptive, ">= 40,000 frame/s"),
        ]
        for name, ours, ref, target in cases:
            if (h, w) != (250, 400):
                target = ""
            o = n / best_time(lambda f=ours, p=packed, h=h, w=w: f(p, h, w), repeat=2)
            r = n_ref / best_time(lambda f=ref, p=ref_packed, h=h, w=w: f(p, h, w), repeat=1)
            rows.append({"benchmark": name, "case": case, "ours": o, "reference": "NumPy (unpackbits + reference)",
                         "ref": r, "unit": "frame/s", "ratio": o / r, "target": target})
    return rows


if __name__ == "__main__":
    import sys

    for row in run(quick="--quick" in sys.argv):
        print(row)
