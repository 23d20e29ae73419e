"""Wire-format helpers shared by camera tests (independent slow references)."""

from __future__ import annotations

import numpy as np


def vidar_frames(rng: np.random.Generator, n: int, h: int = 250, w: int = 400, p: float = 0.3) -> np.ndarray:
    return (rng.random((n, h, w)) < p).astype(np.uint8)


def ref_vidar_decode(wire: bytes, h: int = 250, w: int = 400, head: int = 16, header: int = 0) -> np.ndarray:
    """Obvious reference: per frame, skip the header, unpack bits LSB first, drop head columns, flip rows."""
    stride = header + h * (w + head) // 8
    n = len(wire) // stride
    out = np.empty((n, h, w), np.uint8)
    for i in range(n):
        body = np.frombuffer(wire[i * stride + header:(i + 1) * stride], np.uint8)
        bits = np.unpackbits(body, bitorder="little").reshape(h, w + head)
        out[i] = bits[::-1, :w]
    return out
