"""SPS100/M1 line-packet framing: wire MB/s of LinePacketParser vs a plain NumPy framer and a memcpy.

Usage: python benchmarks/bench_raw.py [--quick]   (or python benchmarks/run.py raw)

Cases:
- ``parse``: ``LinePacketParser.feed`` over a clean stream split into transfers
  of a given size (the camera path: tag check of every unit + bit rearrangement
  to canonical packed frames + carry-over), against a plain NumPy framer doing
  the same work per transfer (vectorized tag check, unpackbits / table
  placement / packbits) and against ``np.copyto`` of the same bytes (the ceiling).
- ``encode``: ``encode_frames``-equivalent ``encode_packed`` against a NumPy encoder.
- ``file``: ``spikevision.open`` (index scan) + reading all frames packed, MB/s of file bytes.
Figures are best-of-N wall clock with ours and the reference interleaved.
"""

from __future__ import annotations

import os
import sys
import tempfile

import numpy as np
from _common import best_times

import spikevision as sv
from spikevision.io import raw
from spikevision.io._raw_layout import EXPECTED_TAGS, TAG_MASK, UNIT_TABLE

F = raw.FRAME_WIRE_BYTES
_ROWS = UNIT_TABLE[:, 2].astype(np.intp)
_HALF = UNIT_TABLE[:, 3].astype(np.intp)


class NumpyFramer:
    """Reference: the same framing in plain NumPy (assumes an aligned clean stream; carry-over of partial frames)."""

    def __init__(self):
        self.carry = np.empty(0, np.uint8)

    def feed(self, data: np.ndarray) -> np.ndarray:
        buf = np.concatenate([self.carry, data]) if self.carry.size else data
        k = buf.size // F
        if k == 0:
            self.carry = buf.copy()
            return np.empty((0, raw.PACKED_FRAME_BYTES), np.uint8)
        units = buf[: k * F].reshape(k, raw.UNITS_PER_FRAME, raw.UNIT_BYTES)
        v = units[:, :, 62].astype(np.uint16) | (units[:, :, 63].astype(np.uint16) << 8)
        ok = ((v & TAG_MASK) == EXPECTED_TAGS).all(axis=1)
        bits = np.unpackbits(units[ok], axis=2, bitorder="little")[:, :, :500]
        frames = np.empty((bits.shape[0], raw.HEIGHT, 2, 500), np.uint8)
        frames[:, _ROWS, _HALF] = bits
        self.carry = buf[k * F :].copy()
        return np.packbits(frames.reshape(frames.shape[0], -1), axis=1, bitorder="little")


def numpy_encode(packed: np.ndarray) -> np.ndarray:
    n = packed.shape[0]
    bits = np.unpackbits(packed, axis=1, bitorder="little").reshape(n, raw.HEIGHT, 2, 500)
    units = np.empty((n, raw.UNITS_PER_FRAME, 512), np.uint8)
    units[:, :, :500] = bits[:, _ROWS, _HALF]
    tagbits = ((EXPECTED_TAGS[:, None].astype(np.int64) >> (4 + np.arange(12))) & 1).astype(np.uint8)
    units[:, :, 500:] = tagbits
    return np.packbits(units.reshape(n, -1), axis=1, bitorder="little").reshape(-1)


def _feed_all(parser, wire, chunk):
    n = 0
    for a in range(0, wire.size, chunk):
        n += len(parser.feed(wire[a : a + chunk]))
    return n


def run(quick: bool = False) -> list[dict]:
    n_frames = 32 if quick else 256
    reps = 2 if quick else 5
    rng = np.random.default_rng(0)
    x = (rng.random((8, raw.HEIGHT, raw.WIDTH)) < 0.2).astype(np.uint8)
    wire = np.tile(raw.encode_frames(x), n_frames // 8)
    mb = wire.nbytes / 1e6
    raw.LinePacketParser().feed(wire[: 8 * F])  # compile / load the kernels outside the timing
    raw.LinePacketParser().feed(wire[:F])
    rows = []
    target = ">= 1000 MB/s"
    for chunk in ((1 << 20,) if quick else (1 << 20, 4 << 20, 16 << 20)):
        # the odd chunk size keeps partial frames carried over between calls
        ck = chunk + 4096
        check = _feed_all(raw.LinePacketParser(), wire, ck)
        assert check == n_frames
        assert _feed_all(NumpyFramer(), wire, ck) == n_frames
        dst = np.empty_like(wire)
        t_ours, t_np, t_cp = best_times([
            lambda ck=ck: _feed_all(raw.LinePacketParser(), wire, ck),
            lambda ck=ck: _feed_all(NumpyFramer(), wire, ck),
            lambda dst=dst: np.copyto(dst, wire),
        ], reps)
        case = f"{n_frames} frames, {ck / 2**20:.2f} MiB transfers"
        rows.append(dict(benchmark="io.raw parse", case=case, ours=mb / t_ours, reference="plain NumPy framer",
                         ref=mb / t_np, unit="MB/s", ratio=t_np / t_ours, target=target))
        rows.append(dict(benchmark="io.raw parse", case=case, ours=mb / t_ours, reference="np.copyto (memcpy)",
                         ref=mb / t_cp, unit="MB/s", ratio=t_cp / t_ours, target=""))
    packed = np.packbits(np.tile(x, (n_frames // 8 // 4 or 1, 1, 1)).reshape(-1, 125_000 * 8), axis=1,
                         bitorder="little")
    assert (raw.encode_packed(packed) == numpy_encode(packed)).all()
    t_ours, t_np = best_times([lambda: raw.encode_packed(packed), lambda: numpy_encode(packed)], reps)
    mbe = packed.shape[0] * F / 1e6
    rows.append(dict(benchmark="io.raw encode", case=f"{packed.shape[0]} frames", ours=mbe / t_ours,
                     reference="plain NumPy encoder", ref=mbe / t_np, unit="MB/s", ratio=t_np / t_ours, target=""))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "b.raw")
        wire.tofile(path)

        def read_all():
            with sv.open(path) as s:
                for _ in s.iter_packed(64):
                    pass

        def read_plain():
            with open(path, "rb") as f:
                while f.read(64 * F):
                    pass

        t_ours, t_rd = best_times([read_all, read_plain], reps)
    rows.append(dict(benchmark="io.raw file", case=f"open + read {n_frames} frames packed", ours=mb / t_ours,
                     reference="plain file read", ref=mb / t_rd, unit="MB/s", ratio=t_rd / t_ours, target=""))
    return rows


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(r)
