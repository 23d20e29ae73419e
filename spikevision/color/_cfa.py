"""Bayer colour-filter patterns: validation, channel layout and the four sub-sampled planes.

A pattern names the 2x2 tile from the top-left pixel in display orientation, row
by row, as in the stream metadata (``meta.cfa``) and :func:`spikevision.sim.mosaic`:
"bggr" has B at (0, 0), G at (0, 1) and (1, 0), R at (1, 1).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import FormatError
from ..stream import SpikeStream

__all__ = ["CFA_PATTERNS", "check_cfa", "check_even", "cfa_planes", "channel_index", "channel_masks", "stream_cfa"]

#: the 2x2 Bayer patterns spikevision knows
CFA_PATTERNS = ("rggb", "bggr", "grbg", "gbrg")


def check_cfa(cfa: Any) -> str:
    """Validate a Bayer pattern name; return it lower-case.

    Raises:
        FormatError: not one of :data:`CFA_PATTERNS`.
    """
    p = str(cfa).lower() if isinstance(cfa, str) else None
    if p not in CFA_PATTERNS:
        raise FormatError(f"unknown colour filter pattern {cfa!r}; choose one of {', '.join(CFA_PATTERNS)} (the 2x2 "
                          f"tile from the top-left pixel, row by row), or set the stream's cfa with "
                          f"stream.with_meta(cfa=...)")
    return p


def check_even(height: int, width: int, cfa: str) -> None:
    """A Bayer image needs whole 2x2 tiles: raise a FormatError naming the fix for an odd height or width."""
    if height % 2 or width % 2:
        raise FormatError(f"a {cfa!r} colour stream must have an even height and width (whole 2x2 Bayer tiles), got "
                          f"{height}x{width}; crop it to {height - height % 2}x{width - width % 2} with "
                          f"stream.crop(0, 0, {height - height % 2}, {width - width % 2})")


def stream_cfa(spikes: Any) -> str | None:
    """The Bayer pattern of a SpikeStream (``meta.cfa``), None for mono streams and plain arrays."""
    if isinstance(spikes, SpikeStream) and spikes.meta.cfa:
        return check_cfa(spikes.meta.cfa)
    return None


def channel_index(cfa: str) -> np.ndarray:
    """(2, 2) int array: channel (0 = R, 1 = G, 2 = B) of each site of the tile."""
    p = check_cfa(cfa)
    return np.array(["rgb".index(ch) for ch in p]).reshape(2, 2)


def channel_masks(cfa: str, height: int, width: int) -> np.ndarray:
    """(3, H, W) bool: where each of R, G, B is sampled."""
    idx = np.tile(channel_index(cfa), ((height + 1) // 2, (width + 1) // 2))[:height, :width]
    return np.stack([idx == c for c in range(3)])


def cfa_planes(data: Any, cfa: str | None = None) -> dict[str, Any]:
    """Split a Bayer mosaic into its four half-resolution planes.

    Args:
        data: a SpikeStream with ``meta.cfa`` (its spikes are unpacked: (T, H/2, W/2) uint8 planes; slice the
            stream first for long recordings), or an array (..., H, W) of any backend (a mosaic image or
            (T, H, W) spikes).
        cfa: the pattern of an array (a stream's own ``meta.cfa`` is used when this is None).

    Returns:
        ``{"r": ..., "g1": ..., "g2": ..., "b": ...}``: views (..., H/2, W/2); "g1" is the green site on the
        R row, "g2" the one on the B row.

    Raises:
        FormatError: no or an unknown pattern, or an odd height or width.

    Example:
        >>> import numpy as np
        >>> from spikevision.color import cfa_planes
        >>> planes = cfa_planes(np.arange(16.0).reshape(4, 4), "rggb")
        >>> planes["r"].tolist(), planes["b"].tolist()
        ([[0.0, 2.0], [8.0, 10.0]], [[5.0, 7.0], [13.0, 15.0]])
    """
    if isinstance(data, SpikeStream):
        cfa = cfa or stream_cfa(data)
        if cfa is None:
            raise FormatError("this stream has no colour filter (meta.cfa is None); pass cfa='bggr' (or the sensor's "
                              "pattern) or set it with stream.with_meta(cfa=...)")
        check_even(data.height, data.width, check_cfa(cfa))
        data = data.unpack()
    if cfa is None:
        raise FormatError("an array has no colour-filter metadata; pass cfa='bggr' (or the sensor's pattern)")
    p = check_cfa(cfa)
    shape = tuple(getattr(data, "shape", ()))
    if len(shape) < 2:
        raise FormatError(f"cfa_planes needs an (..., H, W) array, got shape {shape}")
    check_even(shape[-2], shape[-1], p)
    out: dict[str, Any] = {}
    for k, ch in enumerate(p):
        dy, dx = divmod(k, 2)
        name = ch if ch != "g" else ("g1" if "r" in p[2 * dy: 2 * dy + 2] else "g2")
        out[name] = data[..., dy::2, dx::2]
    return out
