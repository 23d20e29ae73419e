"""One entry point over every reconstruction method.

Methods: "tfp", "tfi", "tfstp", "adaptive", "best" (the method spikevision
recommends: currently "adaptive", see :mod:`spikevision.recon.adaptive`) and "learned"
(a trained network, :mod:`spikevision.models`; needs torch, options ``weights=``, ``device=``).
Outputs are (H, W) float32 images in [0, 1] on the caller's backend; 1.0 is a
firing rate of ``rate`` spikes per tick (default 1: a spike every readout).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..backend import backend_name
from ._input import Spikes, check_engine, check_frame, on_cpu, read_packed, shape_of, xp_of
from .adaptive import ADAPTIVE_DEFAULTS, adaptive, adaptive_bounds
from .exposure import resolve_rate
from .tfi import tfi
from .tfp import tfp
from .tfstp import tfstp, tfstp_series

__all__ = ["reconstruct", "reconstruct_sequence", "iter_reconstruct", "METHODS", "BEST", "resolve_method",
           "frame_range"]

log = logging.getLogger(__name__)



def learned(spikes: Spikes, at: int, **params: Any) -> Any:
    """:func:`spikevision.models.reconstruct_learned` (imported on first use: torch is optional)."""
    from ..models.infer import reconstruct_learned

    return reconstruct_learned(spikes, at, **params)


#: method name -> function(spikes, at, **params)
METHODS = {"tfp": tfp, "tfi": tfi, "tfstp": tfstp, "adaptive": adaptive, "learned": learned}
#: what method="best" means
BEST = "adaptive"

_STREAMABLE = {"tfp", "tfi", "adaptive"}


def resolve_method(method: str) -> str:
    """Map "best" to the recommended method and validate the name."""
    name = BEST if method == "best" else method
    if name not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of best, {', '.join(METHODS)}")
    return name


def reconstruct(spikes: Spikes, method: str = "best", at: int | None = None, *, engine: str = "auto",
                calibration: Any = None, **params: Any) -> Any:
    """Reconstruct one image at frame ``at`` (default: the middle frame).

    Args:
        spikes: SpikeStream or (T, H, W) array of any backend (nonzero = spike).
        method: "best" (default), "tfp", "tfi", "tfstp" or "adaptive".
        at: frame index (negative counts from the end).
        engine: "auto" (the compiled kernels from packed bits on the CPU where they exist: TFP, TFI
            and the best method in the spikevision convention, TFSTP; identical results), "numba"
            (require them) or "reference" (the NumPy/CuPy implementation).
        calibration: a :class:`spikevision.denoise.Calibration` of the sensor: the firing-rate image is
            corrected for its fixed pattern (``(rate - dark) / gain``, hot/dead pixels filled from neighbours)
            before scaling; ``rate="auto"`` is then measured on the corrected image.
        **params: the method's options (``window=``, ``convention=``, ``rate=`` ...). ``rate="auto"`` maps
            the 99.5th percentile of the firing rate over the frames the method reads to 1.0
            (:func:`~spikevision.recon.auto_rate`); the default ``rate=1`` is the physical scale.

    Returns:
        (H, W) float32 image in [0, 1] on the caller's backend.

    Example:
        >>> import numpy as np, spikevision.recon as rc
        >>> s = (np.random.default_rng(0).random((101, 4, 4)) < 0.5).astype(np.uint8)
        >>> rc.reconstruct(s, "tfp", at=50).shape
        (4, 4)
    """
    if calibration is not None:
        _check_calibration(calibration, spikes)
        rate = params.pop("rate", 1.0)
        img = reconstruct(spikes, method, at, engine=engine, rate=1.0, **params)
        return _calibrated(img, calibration, rate)
    name = resolve_method(method)
    t_len, _, _ = shape_of(spikes)
    at = check_frame(t_len // 2 if at is None else at, t_len)
    check_engine(engine)
    if isinstance(params.get("rate"), str) and name != "tfstp":
        a, b = _frames_read(name, at, t_len, params)
        params = dict(params, rate=resolve_rate(params["rate"], spikes, a, b))
    if name == "tfstp":
        return tfstp(spikes, at=at, engine=engine, **params)
    if engine != "reference" and _compiled_ok(spikes, name, params):
        for _, img in iter_reconstruct(spikes, name, start=at, stop=at + 1, engine=engine, **params):
            return img
    if engine == "numba":
        raise ValueError(f"no compiled kernel for method {name!r} with {params or 'default'} options here; "
                         f"use engine='auto'")
    return METHODS[name](spikes, at=at, **params)


def _check_calibration(calibration: Any, spikes: Spikes) -> None:
    _, h, w = shape_of(spikes)
    calibration.check_shape(h, w)


def _calibrated(img: Any, calibration: Any, rate: float | str) -> Any:
    """Fixed-pattern correction of a physical-scale image (1 = a spike per tick), then the display scale."""
    from .exposure import AUTO_PERCENTILE

    xp = xp_of(img)
    corr = calibration.apply_rate(img)
    if isinstance(rate, str):
        rate = max(float(xp.percentile(corr, AUTO_PERCENTILE)), 1e-6)
    return xp.clip(corr / xp.float32(rate), 0, 1).astype(xp.float32)


def _frames_read(name: str, at: int, t_len: int, params: dict) -> tuple[int, int]:
    """Frames [a, b) the single-image method ``name`` reads for frame ``at`` (where rate="auto" is measured)."""
    if name == "adaptive":
        return adaptive_bounds(at, t_len, params.get("span", ADAPTIVE_DEFAULTS["span"]))
    h = params.get("window", 41) // 2
    return max(0, at - h), min(t_len, at + h + 1)


def _compiled_ok(spikes: Spikes, name: str, params: dict) -> bool:
    return on_cpu(spikes) and name in _STREAMABLE and _streaming_params(name, params) is not None


def frame_range(t_len: int, start: int | None, stop: int | None, step: int) -> range:
    """Frames ``start, start + step, ... < stop`` of ``t_len`` that :func:`iter_reconstruct` emits.

    ``start`` defaults to 0, ``stop`` to ``t_len`` (clipped to it); negative values count from the end.

    Raises:
        IndexError: ``start`` outside the data.
        ValueError: ``step < 1`` or an empty range.
    """
    if not isinstance(step, (int, np.integer)) or step < 1:
        raise ValueError(f"step must be an integer >= 1 (frames between images), got {step!r}")
    start = 0 if start is None else check_frame(start, t_len)
    stop = t_len if stop is None else min(int(stop) if stop >= 0 else t_len + int(stop), t_len)
    if stop <= start:
        raise ValueError(f"empty frame range start={start}, stop={stop} for {t_len} frames; choose start < stop")
    return range(start, stop, int(step))


def _streaming_params(name: str, params: dict) -> dict | None:
    """Parameters for the streaming twin, or None when the offline reference must be used."""
    if params.get("convention", "spikevision") != "spikevision":
        return None
    p = {k: v for k, v in params.items() if k != "convention"}
    allowed = {"tfp": {"window", "rate"}, "tfi": {"window", "rate"},
               "adaptive": {"span", "intervals", "tol", "tol_rel", "noise_z", "rate", "center"}}[name]
    return p if set(p) <= allowed else None


def iter_reconstruct(spikes: Spikes, method: str = "best", *, step: int = 1, start: int | None = None,
                     stop: int | None = None, engine: str = "auto", block: int = 1024, calibration: Any = None,
                     **params: Any) -> Iterator[tuple[int, Any]]:
    """Yield ``(frame_index, image)`` for frames ``start, start + step, ... < stop``.

    Args:
        spikes: SpikeStream or (T, H, W) array of any backend.
        method: "best", "tfp", "tfi", "tfstp" or "adaptive".
        step, start, stop: frame range of the images (default: every frame).
        engine: "auto" (compiled streaming kernels from packed bits where the method and
            convention allow and the data is on the CPU, else the NumPy/CuPy reference),
            "numba" (require the kernels) or "reference".
        block: frames read per step when streaming.
        calibration: a :class:`spikevision.denoise.Calibration`: every image is corrected for the sensor's
            fixed pattern (see :func:`reconstruct`).
        **params: the method's options; ``rate="auto"`` uses ONE scale, measured over ``[start, stop)``
            (:func:`~spikevision.recon.auto_rate`), for every image (no flicker).

    Images are fresh arrays (safe to keep).
    """
    name, frames = _plan(spikes, method, start, stop, step, engine)
    params = _one_scale(spikes, frames, params)
    if calibration is not None:
        _check_calibration(calibration, spikes)
        rate = params.pop("rate", 1.0)
        for t, img in _images(spikes, name, frames, engine, block, dict(params, rate=1.0), fresh=False):
            yield t, _calibrated(img, calibration, rate)
        return
    yield from _images(spikes, name, frames, engine, block, params, fresh=True)


def _plan(spikes: Spikes, method: str, start: int | None, stop: int | None, step: int,
          engine: str) -> tuple[str, range]:
    """Validated method name and frame range of a sequence."""
    name = resolve_method(method)
    t_len, _, _ = shape_of(spikes)
    frames = frame_range(t_len, start, stop, step)
    check_engine(engine)
    return name, frames


def _one_scale(spikes: Spikes, frames: range, params: dict) -> dict:
    """rate="auto" for a sequence: ONE scale measured over the frames of the images (no flicker)."""
    if isinstance(params.get("rate"), str):
        return dict(params, rate=resolve_rate(params["rate"], spikes, frames.start, frames[-1] + 1))
    return params


def _images(spikes: Spikes, name: str, frames: range, engine: str, block: int, params: dict, fresh: bool):
    """``(frame_index, image)`` over ``frames``; with ``fresh=False`` compiled-path images are views of a
    reused buffer, valid until the next iteration."""
    if name == "tfstp":
        yield from tfstp_series(spikes, list(frames), engine=engine, **params)
        return
    if name == "learned":   # batched forward passes
        from ..models.infer import iter_learned

        yield from iter_learned(spikes, frames, **params)
        return
    sp = _streaming_params(name, params) if name in _STREAMABLE else None
    cpu = on_cpu(spikes)
    if engine == "numba" and not (cpu and sp is not None):
        raise ValueError(f"no compiled kernel for method {name!r} with {params or 'default'} options on "
                         f"{'a CPU' if cpu else 'this backend'}; use engine='auto'")
    if sp is None or not cpu or engine == "reference":
        log.debug("reconstruct %s: reference implementation, %d images", name, len(frames))
        for t in frames:
            yield t, METHODS[name](spikes, at=t, **params)
        return
    log.debug("reconstruct %s: compiled streaming kernels, %d images", name, len(frames))
    yield from _iter_streaming(spikes, name, frames, sp, block, fresh)


def _iter_streaming(spikes: Spikes, name: str, frames: range, params: dict, block: int, fresh: bool):
    from .streaming import streaming_reconstructor

    t_len, h, w = shape_of(spikes)
    chunk = min(block, 256)
    rec = streaming_reconstructor(name, h, w, emit_every=frames.step, start=frames.start, block=chunk, **params)
    first = max(0, frames.start - rec.lookback)
    if first:  # start mid-stream: the reconstructor counts frames from `first`
        rec.start = frames.start - first
        rec.reset()
    last = frames[-1]
    end_main = min(t_len, last + rec.lookahead + 1)
    for a in range(first, end_main, block):
        for t, img in rec.iter_packed(read_packed(spikes, a, min(a + block, end_main))):
            if t + first > last:
                return
            yield t + first, img.copy() if fresh else img
    if end_main == t_len:  # frames within the lookahead of the end: windows clipped like the offline functions
        for t, img in rec.flush():
            if t + first > last:
                return
            yield t + first, img


def reconstruct_sequence(spikes: Spikes, method: str = "best", *, step: int = 1, start: int | None = None,
                         stop: int | None = None, engine: str = "auto", calibration: Any = None,
                         **params: Any) -> Any:
    """Images every ``step`` frames over ``[start, stop)`` as a (N, H, W) float32 stack.

    Image ``i`` is frame ``start + i * step`` (default start 0, stop T). Options (``calibration=`` too) as
    :func:`iter_reconstruct` (a constant-memory iterator of ``(frame_index, image)``).

    Returns:
        (N, H, W) float32 stack on the caller's backend.

    Example:
        >>> import numpy as np, spikevision.recon as rc
        >>> s = (np.random.default_rng(0).random((200, 4, 4)) < 0.3).astype(np.uint8)
        >>> rc.reconstruct_sequence(s, "tfp", step=40).shape
        (5, 4, 4)
    """
    name, frames = _plan(spikes, method, start, stop, step, engine)
    params = _one_scale(spikes, frames, params)
    if calibration is not None:
        images = iter_reconstruct(spikes, name, step=step, start=start, stop=stop, engine=engine,
                                  calibration=calibration, **params)
    else:
        images = _images(spikes, name, frames, engine, 1024, params, fresh=False)   # each copied once, into the stack
    _, first = next(images)
    if backend_name(first) == "torch":
        import torch

        return torch.stack([first, *(img for _, img in images)])
    out = xp_of(first).empty((len(frames), *first.shape), dtype=first.dtype)
    out[0] = first
    for i, (_, img) in enumerate(images, 1):
        out[i] = img
    return out
