"""One entry point over every stereo method: ``disparity``, ``iter_disparity``, ``disparity_sequence``.

Methods: "spike" (spikevision's spike-timing matcher, :mod:`.spike`), "sgbm" (OpenCV
StereoSGBM on two reconstructions, :mod:`.sgbm`) and "best" (the one that scores best
on the svbench-1 stereo scenes: currently "spike"). Disparity is the left view's, in
pixels: a point at column x in the left image is at x - d in the right image.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ..backend import backend_name
from ..recon._input import on_cpu, read_packed
from ..recon.api import frame_range
from ._input import StereoInputError, check_frame, check_max_disparity, check_pair
from .sgbm import sgbm_disparity
from .spike import SpikeParams, spike_disparity

__all__ = ["disparity", "iter_disparity", "disparity_sequence", "METHODS", "BEST", "resolve_method"]

#: method name -> function(left, right, t, max_disparity, **params) -> (disparity, confidence)
METHODS = {"spike": spike_disparity, "sgbm": sgbm_disparity}
#: what method="best" means
BEST = "spike"


def resolve_method(method: str) -> str:
    """Map "best" to the recommended method and validate the name."""
    name = BEST if method == "best" else method
    if name not in METHODS:
        raise StereoInputError(f"unknown stereo method {method!r}; choose one of best, {', '.join(METHODS)}")
    return name


def disparity(left: Any, right: Any, t: int, *, method: str = "best", max_disparity: int = 64,
              return_confidence: bool = False, **params: Any) -> Any:
    """Dense left-view disparity (pixels) at frame ``t`` of a rectified pair.

    Every pixel gets a value: pixels that fail the left-right check (occlusions,
    untextured spots) are filled from their farther neighbour on the row, as
    KITTI scores every ground-truth pixel; their confidence is 0.

    Args:
        left, right: rectified SpikeStreams or (T, H, W) arrays of the same size (and rate).
        t: frame index (negative counts from the end). "spike" uses frames ``t - window + 1 .. t``,
            "sgbm" the reconstruction window centred on ``t``.
        method: "best" (default, = "spike"), "spike" or "sgbm".
        max_disparity: largest disparity searched, in pixels (``1 <= max_disparity < W``).
        return_confidence: also return an (H, W) float32 confidence in [0, 1].
        **params: the method's options: "spike": ``window``, ``intervals``, ``adapt``, ``smooth``, ``radius``,
            ``ad_shift``, ``ad_max``, ``p1``, ``p2``, ``lr_tol``, ``engine`` ("auto", "numba", "reference");
            "sgbm": ``recon`` (reconstruction method, default "best"), ``window``, ``block_size``,
            ``uniqueness``, ``lr_tol``.

    Returns:
        (H, W) float32 disparity in [0, max_disparity] on the caller's backend, or
        ``(disparity, confidence)``.

    Example:
        >>> import numpy as np, spikevision.stereo as st
        >>> rng = np.random.default_rng(0)
        >>> right = (rng.random((300, 24, 64)) < rng.random((1, 24, 64)) * 0.5).astype(np.uint8)
        >>> left = np.roll(right, 5, axis=2)             # the right view sees every point 5 px to the left
        >>> d = st.disparity(left, right, 299, max_disparity=16)
        >>> float(np.median(d[:, 20:]))
        5.0
    """
    name = resolve_method(method)
    t_len, _, w = check_pair(left, right)
    t = check_frame(t, t_len)
    d_max = check_max_disparity(max_disparity, w)
    disp, conf = METHODS[name](left, right, t, d_max, **params)
    return (disp, conf) if return_confidence else disp


def iter_disparity(left: Any, right: Any, *, step: int = 20, start: int = 0, stop: int | None = None,
                   method: str = "best", max_disparity: int = 64, return_confidence: bool = False,
                   block: int = 1024, **params: Any) -> Iterator[tuple]:
    """Yield ``(t, disparity[, confidence])`` for frames ``start, start + step, ... < stop`` in constant memory.

    "spike" on the CPU reads each view once, block by block, through
    :class:`~spikevision.stereo.StreamingStereo` (identical maps); other cases call
    :func:`disparity` per frame. Options as :func:`disparity`.
    """
    name = resolve_method(method)
    t_len, h, w = check_pair(left, right)
    d_max = check_max_disparity(max_disparity, w)
    try:
        frames = frame_range(t_len, start, stop, step)
    except (IndexError, ValueError) as exc:
        raise StereoInputError(f"no disparity maps: {exc}") from None
    engine = params.pop("engine", "auto")
    cpu = on_cpu(left) and on_cpu(right)
    if name == "spike" and cpu and engine != "reference":
        from .streaming import StreamingStereo

        p = SpikeParams.of(params)
        first = max(0, frames.start - p.window + 1)
        st = StreamingStereo(h, w, emit_every=frames.step, max_disparity=d_max, method="spike",
                             start=frames.start - first, return_confidence=return_confidence, **params)
        last = frames[-1]
        for a in range(first, last + 1, block):
            b = min(a + block, last + 1)
            for item in st.iter_packed(read_packed(left, a, b), read_packed(right, a, b)):
                yield (item[0] + first, *item[1:])
        return
    for t in frames:
        disp, conf = METHODS[name](left, right, t, d_max, **({"engine": engine} if name == "spike" else {}),
                                   **params)
        yield (t, disp, conf) if return_confidence else (t, disp)


def disparity_sequence(left: Any, right: Any, *, step: int = 20, start: int = 0, stop: int | None = None,
                       method: str = "best", max_disparity: int = 64, **params: Any) -> Any:
    """(N, H, W) float32 stack of the maps of :func:`iter_disparity` (map i is frame ``start + i * step``)."""
    maps = [d for _, d, *_ in iter_disparity(left, right, step=step, start=start, stop=stop, method=method,
                                             max_disparity=max_disparity, **params)]
    if backend_name(maps[0]) == "cupy":
        import cupy

        return cupy.stack(maps)
    return np.stack(maps)
