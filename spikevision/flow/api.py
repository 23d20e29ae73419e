"""One entry point over every flow method: ``estimate``, ``estimate_sequence``, ``iter_estimate``.

Methods: "dis" and "farneback" (OpenCV on two log-TFP reconstructions, :mod:`.classical`),
"spike" (spikevision's multi-frame constant-velocity fit, :mod:`.spike`) and "best" (the method
that scores best on the flow benchmark: currently "spike"). Fields are (H, W, 2) float32 in pixels:
``flow[y, x] = (dx, dy)`` moves the scene point at pixel (x, y) of frame ``t`` to its position at
frame ``t + dt`` (x to the right, y down: the Middlebury convention of :mod:`spikevision.io.flo`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .. import _bits
from ..backend import backend_name, like, to_numpy
from ..recon._input import Spikes, shape_of
from ..stream import SpikeStream
from ._checks import FlowInputError, check_dt, check_pair, check_positive_int
from ._images import PackedImages, pad_packed
from .classical import dis_flow, dis_support, farneback_flow, farneback_support
from .spike import spike_flow, spike_support

__all__ = ["estimate", "estimate_sequence", "iter_estimate", "METHODS", "BEST", "resolve_method", "support",
           "check_size"]

log = logging.getLogger(__name__)

#: method name -> (flow function(src, t, dt, **params), support function(dt, **params) -> (before, after))
METHODS: dict[str, tuple[Callable, Callable]] = {
    "dis": (dis_flow, dis_support),
    "farneback": (farneback_flow, farneback_support),
    "spike": (spike_flow, spike_support),
}
#: what method="best" means
BEST = "spike"


def resolve_method(method: str) -> str:
    """Map "best" to the recommended method and validate the name."""
    name = BEST if method == "best" else method
    if name not in METHODS:
        raise FlowInputError(f"unknown flow method {method!r}; choose one of best, {', '.join(METHODS)}")
    return name


def support(method: str, dt: int, **params: Any) -> tuple[int, int]:
    """Frames before ``t`` and after ``t + dt`` a method reads; validates its options."""
    fn = METHODS[resolve_method(method)][1]
    try:
        return fn(dt, **params)
    except TypeError as e:
        raise FlowInputError(f"bad option for flow method {method!r}: {e}; "
                             f"see help(spikevision.flow.estimate)") from None


def check_size(method: str, height: int, width: int) -> None:
    """OpenCV DIS (methods "dis", "spike", "best") needs frames of at least 8 pixels a side and 12 on one."""
    if resolve_method(method) in ("dis", "spike") and (min(height, width) < 8 or max(height, width) < 12):
        raise FlowInputError(f"frames of {height}x{width} pixels are too small for OpenCV DIS (method {method!r}): "
                             f"it needs at least 8 pixels a side and 12 on one; use method='farneback' or a "
                             f"larger region")


def _shape(spikes: Spikes) -> tuple[int, int, int]:
    try:
        return shape_of(spikes)
    except ValueError as e:
        raise FlowInputError(str(e)) from None


def _packed(spikes: Spikes, a: int, b: int) -> np.ndarray:
    if isinstance(spikes, SpikeStream):
        return spikes[a:b].packed()
    part = spikes[a:b]
    if backend_name(part) != "numpy":
        part = to_numpy(part)
    return _bits.pack_frames(np.asarray(part))


def _field(spikes: Spikes, shape: tuple[int, int, int], name: str, t: int, dt: int, params: dict) -> np.ndarray:
    t_len, h, w = shape
    before, after = METHODS[name][1](dt, **params)
    lo, hi = max(0, t - before), min(t_len, t + dt + after + 1)
    src = PackedImages(pad_packed(_packed(spikes, lo, hi)), 0, hi - lo, h, w, params.get("window", 41))
    return METHODS[name][0](src, t - lo, dt, **params)


def _on_caller(flow: np.ndarray, spikes: Spikes) -> Any:
    return flow if isinstance(spikes, SpikeStream) else like(flow, spikes)


def estimate(spikes: Spikes, t: int, dt: int, *, method: str = "best", **params: Any) -> Any:
    """Optical flow from frame ``t`` to frame ``t + dt``.

    Args:
        spikes: SpikeStream or (T, H, W) array of any backend (nonzero = spike).
        t: first frame (negative counts from the end).
        dt: frames between the two instants (>= 1; ``t + dt`` must be a frame of the input).
        method: "best" (default, = "spike"), "spike", "dis" or "farneback".
        **params: the method's options: "dis": ``window=41`` (TFP frames), ``chain=40`` (longest
            sub-interval matched directly), ``preset="medium"``; "farneback": ``window``, ``chain``,
            ``levels``, ``winsize``, ``iterations``; "spike": ``span=80`` (longest half-baseline in
            frames), ``window=41``, ``max_disp=16.0`` (pixels), ``preset="medium"``.

    Returns:
        (H, W, 2) float32 flow in pixels, (dx, dy), on the caller's backend (NumPy for a stream).

    Raises:
        FlowInputError: dt <= 0, a frame pair outside the data, a bad shape, method or option.

    Example:
        >>> import numpy as np
        >>> from spikevision.flow import estimate
        >>> s = (np.random.default_rng(0).random((60, 16, 24)) < 0.3).astype(np.uint8)
        >>> estimate(s, 10, 20, method="dis").shape
        (16, 24, 2)
    """
    shape = _shape(spikes)
    name = resolve_method(method)
    t, dt = check_pair(t, dt, shape[0])
    support(name, dt, **params)
    check_size(name, shape[1], shape[2])
    return _on_caller(_field(spikes, shape, name, t, dt, params), spikes)


def _frames(t_len: int, dt: int, step: int, start: int, stop: int | None) -> range:
    step = check_positive_int(step, "step")
    if isinstance(start, bool) or not isinstance(start, (int, np.integer)):
        raise FlowInputError(f"start must be an integer frame index, got {start!r}")
    start = int(start) + (t_len if start < 0 else 0)
    last = t_len - 1 - dt   # the last t with t + dt inside the data
    if last < 0:
        raise FlowInputError(f"frame t + dt is past the last frame {t_len - 1} for every t: dt={dt} is not shorter "
                             f"than the {t_len} frames of the input; choose dt <= {t_len - 1}")
    stop = last + 1 if stop is None else min(int(stop) if stop >= 0 else t_len + int(stop), last + 1)
    if not 0 <= start < stop:
        raise FlowInputError(f"no flow field fits: start={start}, stop={stop} with dt={dt} in {t_len} frames "
                             f"(t + dt must be a frame of the input); choose 0 <= start <= {last}")
    return range(start, stop, step)


def iter_estimate(spikes: Spikes, dt: int, *, step: int = 1, start: int = 0, stop: int | None = None,
                  method: str = "best", progress: Callable[[int], Any] | None = None,
                  **params: Any) -> Iterator[tuple[int, Any]]:
    """Yield ``(t, flow)`` for ``t = start, start + step, ... < stop`` in constant memory.

    ``stop`` defaults to (and is clipped to) the last frame ``t`` with ``t + dt`` in the data;
    ``progress`` is called with 1 after every field. Options as :func:`estimate`.
    """
    shape = _shape(spikes)
    name = resolve_method(method)
    dt = check_dt(dt)
    support(name, dt, **params)
    check_size(name, shape[1], shape[2])
    frames = _frames(shape[0], dt, step, start, stop)
    log.debug("flow %s: %d fields, dt=%d", name, len(frames), dt)
    for t in frames:
        yield t, _on_caller(_field(spikes, shape, name, t, dt, params), spikes)
        if progress is not None:
            progress(1)


def estimate_sequence(spikes: Spikes, dt: int, *, step: int = 1, start: int = 0, stop: int | None = None,
                      method: str = "best", progress: Callable[[int], Any] | None = None, **params: Any) -> Any:
    """Fields for ``t = start, start + step, ...`` as an (N, H, W, 2) float32 stack (field ``i``: frame
    ``start + i * step`` to ``start + i * step + dt``). Options as :func:`iter_estimate`.

    Example:
        >>> import numpy as np
        >>> from spikevision.flow import estimate_sequence
        >>> s = (np.random.default_rng(0).random((80, 16, 24)) < 0.3).astype(np.uint8)
        >>> estimate_sequence(s, 10, step=20, method="dis").shape
        (4, 16, 24, 2)
    """
    fields = [f for _, f in iter_estimate(spikes, dt, step=step, start=start, stop=stop, method=method,
                                          progress=progress, **params)]
    if backend_name(fields[0]) == "torch":
        import torch

        return torch.stack(fields)
    from ..backend import get_namespace

    return get_namespace(fields[0]).stack(fields)
