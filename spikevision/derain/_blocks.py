"""Block geometry and block spike counts: what every deraining method reads.

The window around frame ``at`` is ``N`` consecutive blocks of ``B`` frames; block ``m``
(``m = -(N // 2) ... N - 1 - N // 2``) covers frames ``[at - B // 2 + m B, at - B // 2 + (m + 1) B)``,
so block 0 is centred on ``at``. Only blocks wholly inside the data are used (near
the ends of a recording the window is one-sided). Counts are exact integers, from
the packed bits on the CPU (:func:`spikevision._bits.count_bits`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _bits
from ..errors import FormatError
from ..recon._input import Spikes, on_cpu, read_packed, read_window, shape_of, xp_of

__all__ = ["Window", "window_blocks", "block_counts", "count_packed", "check_params", "DEFAULTS", "METHODS", "BEST"]

#: the deraining methods; "best" is :data:`BEST`
METHODS = ("temporal", "motion", "rpca")
#: what method="best" means (the best PSNR on every svbench-1 rain scene, static and panning)
BEST = "motion"

#: default parameters per method: block length B (frames), blocks per window N, trimming k, floor and rel
DEFAULTS: dict[str, dict[str, Any]] = {
    "temporal": {"block": 40, "blocks": 8, "k": 2.0, "floor": 1.5, "rel": 0.05},
    "motion": {"block": 20, "blocks": 64, "k": 2.0, "floor": 1.5, "rel": 0.05},
    "rpca": {"block": 40, "blocks": 8, "k": 2.0, "floor": 1.5, "rel": 0.05, "lam": 1.0},
}


@dataclass(frozen=True)
class Window:
    """The blocks read for one frame: their first frames (ascending) and which one holds the frame."""

    starts: tuple[int, ...]
    center: int
    block: int


def check_params(method: str, params: dict) -> tuple[str, dict]:
    """Resolve "best", validate the method's parameters and fill in the defaults.

    Raises:
        ValueError: unknown method or parameter, or a value out of range (naming the valid range).
    """
    name = BEST if method == "best" else method
    if name not in METHODS:
        raise ValueError(f"unknown deraining method {method!r}; choose one of best, {', '.join(METHODS)}")
    p = dict(DEFAULTS[name])
    extra = set(params) - set(p) - {"rate"}
    if extra:
        raise ValueError(f"unknown option(s) {sorted(extra)} for method {name!r}; it takes "
                         f"{', '.join(sorted(set(p) | {'rate'}))}")
    p.update(params)
    p.setdefault("rate", 1.0)
    if not isinstance(p["block"], (int, np.integer)) or not 1 <= p["block"] <= 4096:
        raise ValueError(f"block must be an integer number of frames in [1, 4096], got {p['block']!r}")
    if not isinstance(p["blocks"], (int, np.integer)) or not 3 <= p["blocks"] <= 64:
        raise ValueError(f"blocks must be an integer in [3, 64] (blocks per window), got {p['blocks']!r}")
    if not (float(p["k"]) > 0 and float(p["floor"]) > 0 and float(p["rel"]) >= 0):
        raise ValueError(f"k and floor must be > 0 and rel >= 0 (the trimming tolerance), got k={p['k']!r}, "
                         f"floor={p['floor']!r}, rel={p['rel']!r}")
    if isinstance(p["rate"], str) or not (float(p["rate"]) > 0 and np.isfinite(float(p["rate"]))):
        raise ValueError(f"rate must be a positive number (the firing rate shown as 1.0), got {p['rate']!r}")
    if "lam" in p and not float(p["lam"]) > 0:
        raise ValueError(f"lam must be > 0 (a multiple of RPCA's 1/sqrt(pixels)), got {p['lam']!r}")
    p["block"], p["blocks"] = int(p["block"]), int(p["blocks"])
    return name, p


def window_blocks(at: int, t_len: int, block: int, blocks: int) -> Window:
    """The blocks wholly inside ``[0, t_len)`` of the window around frame ``at`` (see the module docstring).

    Raises:
        FormatError: the data holds no whole block.
    """
    if t_len < block:
        raise FormatError(f"deraining reads blocks of {block} frames but the input has only {t_len}; pass more "
                          f"frames or a smaller block=")
    first = at - block // 2 - (blocks // 2) * block
    starts = [first + i * block for i in range(blocks)]
    inside = [a for a in starts if a >= 0 and a + block <= t_len]
    if not inside:  # a window shorter than a block around an edge frame: the block at the edge
        inside = [0] if at < block else [t_len - block]
    own = at - block // 2
    center = min(range(len(inside)), key=lambda i: (abs(inside[i] - own), inside[i]))
    return Window(tuple(inside), center, block)


def count_packed(packed: np.ndarray, npix: int) -> np.ndarray:
    """Per-pixel spike counts (npix,) int64 of packed frames (n, F)."""
    counts = np.zeros(packed.shape[1] * 8, np.int64)
    _bits.count_bits(packed, counts)
    return counts[:npix]


def block_counts(spikes: Spikes, win: Window) -> Any:
    """(N, H, W) float32 spike counts of the window's blocks on the compute backend (exact integers)."""
    _, h, w = shape_of(spikes)
    b = win.block
    if on_cpu(spikes):
        out = np.empty((len(win.starts), h, w), np.float32)
        for i, a in enumerate(win.starts):
            out[i] = count_packed(read_packed(spikes, a, a + b), h * w).reshape(h, w)
        return out
    xp = xp_of(spikes)
    return xp.stack([read_window(spikes, a, a + b).sum(axis=0, dtype=xp.int32) for a in win.starts]
                    ).astype(xp.float32)
