"""White balance of linear RGB images: grey-world gains or given gains.

Applied in LINEAR space (before any display gamma), as colour science requires: a
gain per channel multiplies the light each channel recorded.

- ``"gray_world"`` (Buchsbaum, "A spatial processor model for object colour
  perception", 1980): the scene averages to grey, so each channel is scaled to the
  mean of the green channel (green keeps its scale: intensities stay comparable
  with a mono reconstruction).
"""

from __future__ import annotations

from typing import Any

from ..backend import get_namespace
from ..errors import FormatError

__all__ = ["white_balance", "gray_world_gains", "BALANCE_METHODS"]

BALANCE_METHODS = ("gray_world",)


def _check_rgb(rgb: Any) -> None:
    shape = tuple(getattr(rgb, "shape", ()))
    if len(shape) < 3 or shape[-1] != 3:
        raise FormatError(f"white balance needs (..., H, W, 3) linear RGB, got shape {shape}; demosaic a mosaic "
                          f"first with spikevision.color.demosaic")


def gray_world_gains(rgb: Any, valid: Any = None) -> tuple[float, float, float]:
    """Per-channel gains (R, G, B) that make the mean colour grey, green fixed at 1.

    Args:
        rgb: (..., H, W, 3) linear RGB.
        valid: optional (..., H, W) bool mask of the pixels to average (e.g. not saturated).
    """
    _check_rgb(rgb)
    xp = get_namespace(rgb)
    px = rgb.reshape(-1, 3).astype(xp.float64)
    if valid is not None:
        px = px[valid.reshape(-1)]
    means = px.mean(axis=0) if px.shape[0] else xp.ones(3)
    g = float(means[1])
    return tuple(g / float(m) if float(m) > 0 and g > 0 else 1.0 for m in means)  # type: ignore[return-value]


def white_balance(rgb: Any, *, method: str = "gray_world", gains: tuple[float, float, float] | None = None) -> Any:
    """White-balance linear RGB by per-channel gains.

    Args:
        rgb: (..., H, W, 3) linear RGB of any backend.
        method: "gray_world" (default; ignored when ``gains`` is given).
        gains: explicit (R, G, B) multipliers (e.g. measured once on a grey card and reused).

    Returns:
        float32 array like ``rgb`` on the caller's backend.

    Example:
        >>> import numpy as np
        >>> from spikevision.color import white_balance
        >>> rgb = np.ones((2, 2, 3), np.float32) * np.array([0.2, 0.4, 0.8], np.float32)
        >>> white_balance(rgb)[0, 0].tolist()
        [0.4000000059604645, 0.4000000059604645, 0.4000000059604645]
    """
    _check_rgb(rgb)
    xp = get_namespace(rgb)
    if gains is None:
        if method not in BALANCE_METHODS:
            raise FormatError(f"unknown white-balance method {method!r}; choose one of "
                              f"{', '.join(BALANCE_METHODS)} or pass gains=(r, g, b)")
        gains = gray_world_gains(rgb)
    if len(gains) != 3 or not all(float(g) > 0 for g in gains):
        raise FormatError(f"gains must be three positive multipliers (R, G, B), got {gains!r}")
    return rgb.astype(xp.float32) * xp.asarray([float(g) for g in gains], dtype=xp.float32)
