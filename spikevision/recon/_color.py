"""Colour reconstruction for Bayer spike streams: reconstruct the raw mosaic plane, then demosaic.

Every reconstruction method takes ``color=``: "auto" (default: colour when the stream's
``meta.cfa`` is set), True (require colour), False (the raw mosaic plane as an (H, W)
image) or a Bayer pattern string (for plain arrays, which carry no metadata). The
method runs on the RAW colour-filtered plane, where every pixel keeps its own firing
rate (so per-channel rates stay exact and a grey scene stays grey), and
:func:`spikevision.color.demosaic` interpolates after (``demosaic="bilinear"``,
"edge_aware" or "vng"). Colour images are (H, W, 3) float32 LINEAR RGB on the
intensity scale of the mono images (1.0 = ``rate`` spikes per tick); white-balance
them with :func:`spikevision.color.white_balance`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..color import check_cfa, check_even, demosaic, stream_cfa
from ..errors import FormatError
from . import api as _api
from ._input import Spikes, shape_of

__all__ = ["reconstruct", "iter_reconstruct", "reconstruct_sequence", "color_pattern"]


def color_pattern(spikes: Spikes, color: Any = "auto") -> str | None:
    """The Bayer pattern to demosaic with for ``color=``, or None for a mono (mosaic) image.

    Raises:
        FormatError: ``color=True`` without a pattern, an unknown pattern, or an odd height/width.
    """
    if color is False or color is None:
        return None
    if isinstance(color, str) and color != "auto":
        cfa = check_cfa(color)
    else:
        if color not in ("auto", True):
            raise FormatError(f"color must be 'auto', True, False or a Bayer pattern, got {color!r}")
        cfa = stream_cfa(spikes)
        if cfa is None:
            if color is True:
                raise FormatError("color=True needs a colour stream (meta.cfa set); for an array pass the pattern, "
                                  "color='bggr', or set it with stream.with_meta(cfa='bggr')")
            return None
    _, h, w = shape_of(spikes)
    check_even(h, w, cfa)
    return cfa


def reconstruct(spikes: Spikes, method: str = "best", at: int | None = None, *, engine: str = "auto",
                color: Any = "auto", demosaic_method: str = "bilinear", **params: Any) -> Any:
    """:func:`spikevision.recon.api.reconstruct` with colour: (H, W, 3) linear RGB for Bayer streams.

    Args:
        spikes, method, at, engine, **params: as :func:`spikevision.recon.api.reconstruct`.
        color: "auto" (colour when ``meta.cfa`` is set), True, False (the raw mosaic) or a pattern.
        demosaic_method: "bilinear", "edge_aware" or "vng" (:func:`spikevision.color.demosaic`).

    Returns:
        (H, W) float32, or (H, W, 3) float32 linear RGB for a colour stream, on the caller's backend.

    Example:
        >>> import numpy as np, spikevision.recon as rc
        >>> s = (np.random.default_rng(0).random((101, 4, 6)) < 0.5).astype(np.uint8)
        >>> rc.reconstruct(s, "tfp", at=50, color="rggb").shape
        (4, 6, 3)
    """
    cfa = color_pattern(spikes, color)
    img = _api.reconstruct(spikes, method, at, engine=engine, **params)
    return img if cfa is None else demosaic(img, cfa, method=demosaic_method)


def iter_reconstruct(spikes: Spikes, method: str = "best", *, color: Any = "auto", demosaic_method: str = "bilinear",
                     **options: Any) -> Iterator[tuple[int, Any]]:
    """:func:`spikevision.recon.api.iter_reconstruct` with ``color=`` (see :func:`reconstruct`)."""
    cfa = color_pattern(spikes, color)
    for t, img in _api.iter_reconstruct(spikes, method, **options):
        yield t, img if cfa is None else demosaic(img, cfa, method=demosaic_method)


def reconstruct_sequence(spikes: Spikes, method: str = "best", *, color: Any = "auto",
                         demosaic_method: str = "bilinear", **options: Any) -> Any:
    """:func:`spikevision.recon.api.reconstruct_sequence` with ``color=``: (N, H, W, 3) for colour streams."""
    cfa = color_pattern(spikes, color)
    stack = _api.reconstruct_sequence(spikes, method, **options)
    if cfa is None:
        return stack
    from ..backend import backend_name, get_namespace

    if backend_name(stack) == "torch":
        import torch

        return torch.stack([demosaic(img, cfa, method=demosaic_method) for img in stack])
    xp = get_namespace(stack)
    return xp.stack([demosaic(img, cfa, method=demosaic_method) for img in stack])
