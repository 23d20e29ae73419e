"""Spike-stream denoising: spikes in, spikes out, lazily and live.

Every method except ``"hot"`` runs one per-pixel kernel (:mod:`._reference`,
compiled in :mod:`._kernels`): it estimates the light of a pixel from its
inter-spike intervals, corrects it with the calibration (``x = (r - D) / G``,
:mod:`.calibration`) and re-emits an ideal integrate-and-fire spike train
from the corrected estimate (threshold 1, subtract reset).

- ``"hot"``: hot and dead pixels take the spikes of their nearest good pixel; every other spike is kept.
- ``"fpn"``: fixed-pattern correction. The estimator is the last inter-spike interval (``r = 1 / I``, the
  TFI estimate of Zhu et al., CVPR 2019), extrapolated between spikes and *phase-locked*: the input phase
  (spikes fired, interpolated in between) advances by exactly one at each input spike, so the output phase
  ``(phase_in - D t) / G`` crosses its integers where the input's would, corrected. Output spikes therefore
  stay on the input's spike times within a tick wherever the correction is small, and a stream with no
  fixed pattern (``D = 0``, ``G = 1``) comes out spike for spike as it went in.
- ``"temporal"``: denoising in the interval domain. The rate is the inverse of the mean interval (the
  running mean since the gate last opened, then an exponential mean of weight ``1 / history``; the mean
  interval is unbiased for the quantised intervals of a spike camera, and under photon noise the intervals
  are roughly Gamma distributed, for which the mean interval is the maximum-likelihood rate), with a
  motion gate: an interval further than ``gate`` x the mean (plus one tick of quantisation) from the
  running mean starts a new history, so a moving edge switches the rate at once instead of being smeared.
  Not phase-locked: the output integrates the smoothed rate. With a calibration it is also corrected.
- ``"best"``: :data:`BEST` (the combination that scores best on ``benchmarks/bench_denoise_quality.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _bits
from ..errors import FormatError
from . import _kernels
from . import _reference as ref
from .calibration import Calibration, hot_pixels, repair_map

__all__ = ["denoise", "StreamingDenoiser", "METHODS", "BEST", "DEFAULTS", "resolve_params"]

METHODS = ("hot", "fpn", "temporal", "best")
#: what method="best" means (spike-level methods composed: calibration + hot repair + interval denoising)
BEST = "temporal"
#: per-pixel state of the re-emission kernel (float32 each; see :mod:`._reference`)
_STATE = ("since", "ph", "rate", "acc", "dev", "hsum", "hn")
#: default parameters of the interval-domain methods
DEFAULTS = {"history": 8, "gate": 0.05, "lock": 2.0}


def resolve_params(method: str, calibration: Calibration | None, params: dict) -> dict:
    """Kernel settings of ``method``: ``{"kind", "history", "gate", "sync", "correct"}``."""
    if method not in METHODS:
        raise ValueError(f"unknown denoise method {method!r}; choose one of {', '.join(METHODS)}")
    name = BEST if method == "best" else method
    allowed = {"hot": set(), "fpn": set(), "temporal": {"history", "gate", "lock"}}[name]
    bad = set(params) - allowed
    if bad:
        raise ValueError(f"method {method!r} takes no option(s) {sorted(bad)}; "
                         f"{'it takes ' + ', '.join(sorted(allowed)) if allowed else 'it has no options'}")
    if name == "fpn" and calibration is None:
        raise FormatError("method 'fpn' needs a calibration: pass calibration=calibrate(dark, flat) "
                          "(CLI: --calibration CAL.h5), or use method='temporal'")
    history = int(params.get("history", DEFAULTS["history"])) if name == "temporal" else 1
    gate = float(params.get("gate", DEFAULTS["gate"]))
    if not 1 <= history <= 64:
        raise ValueError(f"history must be an integer in 1..64 (intervals averaged), got {params.get('history')!r}")
    if not (gate > 0 and np.isfinite(gate)):
        raise ValueError(f"gate must be a positive number (relative interval change), got {gate!r}")
    lock = float(params.get("lock", DEFAULTS["lock"]))
    if not lock >= 0:
        raise ValueError(f"lock must be >= 0 (intervals over which a phase error is paid back; 0 = no lock), "
                         f"got {lock!r}")
    return {"kind": name, "history": history, "gate": np.float32(gate), "sync": name == "fpn",
            "inv_lock": np.float32(1.0 / lock if lock > 0 else 0.0),
            "correct": calibration is not None and name != "hot"}


class StreamingDenoiser:
    """Denoise packed blocks as they arrive (live cameras); equal to :func:`denoise` on the same frames.

    Args:
        height, width: frame size.
        calibration: a :class:`Calibration` of this sensor (required by "fpn" and "hot").
        method: "best" (default), "hot", "fpn" or "temporal".
        engine: "numba" (default), "cupy" (a CUDA kernel; packed blocks may be NumPy or CuPy arrays and come
            back on the same backend) or "reference" (the NumPy reference; slow, for tests).
        hot: (H, W) bool hot-pixel mask to repair instead of the calibration's.
        **params: ``history=``, ``gate=`` for "temporal".

    Example:
        >>> import numpy as np
        >>> from spikevision.denoise import StreamingDenoiser, Calibration
        >>> d = StreamingDenoiser(4, 8, calibration=Calibration.identity(4, 8), method="fpn")
        >>> d.push_packed(np.zeros((10, 4), np.uint8)).shape
        (10, 4)
    """

    def __init__(self, height: int, width: int, *, calibration: Calibration | None = None, method: str = "best",
                 engine: str = "numba", hot: np.ndarray | None = None, **params: Any):
        if height < 1 or width < 1:
            raise ValueError(f"height and width must be positive, got {height}x{width}")
        if engine not in ("numba", "reference", "cupy"):
            raise ValueError(f"engine must be 'numba', 'reference' or 'cupy', got {engine!r}")
        if engine == "cupy":
            from ._cuda import require_cupy

            self._cp = require_cupy()
        if calibration is not None:
            calibration.check_shape(height, width)
        self.height, self.width = int(height), int(width)
        self.method, self.engine, self.calibration = method, engine, calibration
        self.cfg = resolve_params(method, calibration, params)
        if self.cfg["kind"] == "hot" and calibration is None and hot is None:
            raise FormatError("method 'hot' needs to know the hot pixels: pass calibration= (from a dark "
                              "recording) or hot=hot_pixels(stream)")
        self.frame_nbytes = _bits.frame_nbytes(self.height, self.width)
        self.npix = self.frame_nbytes * 8
        bad = np.asarray(hot, dtype=bool) if hot is not None else (calibration.bad if calibration is not None
                                                                    else np.zeros((height, width), bool))
        if bad.shape != (height, width):
            raise FormatError(f"hot mask is {bad.shape}, expected ({height}, {width}); compute it on this stream")
        self._bad, self._good = repair_map(bad)
        cal = calibration if (calibration is not None and self.cfg["correct"]) else None
        if cal is not None:
            d, ig = cal.correction()
        else:
            d, ig = np.zeros((height, width), np.float32), np.ones((height, width), np.float32)
        self._dark = self._pad(d, 0.0)
        self._inv_gain = self._pad(ig, 1.0)
        if engine == "numba":
            self._dark, self._inv_gain = _kernels.to_planes(self._dark), _kernels.to_planes(self._inv_gain)
        elif engine == "cupy":
            self._dark, self._inv_gain = self._cp.asarray(self._dark), self._cp.asarray(self._inv_gain)
        self.reset()

    def _pad(self, a: np.ndarray, fill: float) -> np.ndarray:
        out = np.full(self.npix, fill, np.float32)
        out[: self.height * self.width] = np.asarray(a, np.float32).reshape(-1)
        return out

    def reset(self) -> None:
        """Start over at frame 0 (forget every pixel's history)."""
        shape = (8, self.frame_nbytes) if self.engine == "numba" else (self.npix,)
        xp = self._cp if self.engine == "cupy" else np
        self.state = {k: xp.zeros(shape, np.float32) for k in _STATE}
        self.state["since"][...] = -1.0
        self.t = 0

    def canonical_state(self) -> dict:
        """The per-pixel state as flat (8 * F,) arrays in canonical pixel order, whatever the engine."""
        if self.engine == "reference":
            return {k: v.copy() for k, v in self.state.items()}
        if self.engine == "cupy":
            return {k: self._cp.asnumpy(v) for k, v in self.state.items()}
        return {k: _kernels.from_planes(v) for k, v in self.state.items()}

    def get_state(self) -> tuple[int, dict]:
        """(frame index, a copy of the per-pixel state): resume later with :meth:`set_state`."""
        return self.t, {k: v.copy() for k, v in self.state.items()}

    def set_state(self, saved: tuple[int, dict]) -> None:
        self.t, st = saved
        self.state = {k: v.copy() for k, v in st.items()}

    def push(self, frames: np.ndarray) -> np.ndarray:
        """Denoise unpacked (n, H, W) spikes; return (n, H, W) uint8."""
        frames = np.asarray(frames)
        if frames.ndim != 3 or frames.shape[1:] != (self.height, self.width):
            raise FormatError(f"expected (n, {self.height}, {self.width}) frames, got shape {frames.shape}")
        return _bits.unpack_frames(self.push_packed(_bits.pack_frames(frames)), self.height, self.width)

    def push_packed(self, packed: np.ndarray) -> np.ndarray:
        """Denoise canonical packed frames (n, ceil(H*W/8)) uint8; return packed frames of the same shape."""
        if self.engine == "cupy":
            return self._push_cupy(packed)
        packed = np.ascontiguousarray(packed, dtype=np.uint8)
        if packed.ndim == 1:
            packed = packed.reshape(1, -1)
        if packed.ndim != 2 or packed.shape[1] != self.frame_nbytes:
            raise FormatError(f"packed block has shape {packed.shape}; a {self.height}x{self.width} frame is "
                              f"{self.frame_nbytes} bytes, so pass (n, {self.frame_nbytes}) uint8")
        n = packed.shape[0]
        c = self.cfg
        if c["kind"] == "hot":
            out = packed.copy()
        elif self.engine == "reference":
            frames = np.unpackbits(packed, axis=1, bitorder="little")
            out = np.packbits(ref.reemit(frames, self.t, self.state, self._dark, self._inv_gain, c["history"],
                                         c["gate"], c["sync"], c["inv_lock"]), axis=1, bitorder="little")
        else:
            out = np.empty_like(packed)
            st = self.state
            _kernels.reemit(packed, st["since"], st["ph"], st["rate"], st["acc"], st["dev"], st["hsum"], st["hn"],
                            self._dark, self._inv_gain, c["history"], c["gate"], c["sync"], c["inv_lock"], out)
        if self._bad.size:
            src = packed if c["kind"] == "hot" else out.copy()
            if self.engine == "reference":
                _repair_reference(src, self._bad, self._good, out)
            else:
                _kernels.repair(src, self._bad, self._good, out)
        self.t += n
        return out

    def _push_cupy(self, packed):
        from ..backend import backend_name
        from ._cuda import launch

        cp, on_gpu = self._cp, backend_name(packed) == "cupy"
        dev = cp.ascontiguousarray(cp.asarray(packed, dtype=cp.uint8))
        if dev.ndim == 1:
            dev = dev.reshape(1, -1)
        if dev.ndim != 2 or dev.shape[1] != self.frame_nbytes:
            raise FormatError(f"packed block has shape {tuple(dev.shape)}; a {self.height}x{self.width} frame is "
                              f"{self.frame_nbytes} bytes, so pass (n, {self.frame_nbytes}) uint8")
        c = self.cfg
        if c["kind"] == "hot":
            out = dev.copy()
        else:
            out = cp.empty_like(dev)
            if dev.shape[0]:
                launch(dev, self.state, self._dark, self._inv_gain, c["history"], c["gate"], c["sync"],
                       c["inv_lock"], out)
        self.t += int(dev.shape[0])
        if self._bad.size:   # few pixels: repaired on the host
            host, src = cp.asnumpy(out), cp.asnumpy(dev if c["kind"] == "hot" else out)
            _kernels.repair(src, self._bad, self._good, host)
            return cp.asarray(host) if on_gpu else host
        return out if on_gpu else cp.asnumpy(out)

    def iter_packed(self, blocks):
        """Denoise an iterable of packed blocks, yielding packed blocks."""
        for b in blocks:
            yield self.push_packed(b)


def _repair_reference(src: np.ndarray, bad: np.ndarray, good: np.ndarray, out: np.ndarray) -> None:
    sb = np.unpackbits(src, axis=1, bitorder="little")
    ob = np.unpackbits(out, axis=1, bitorder="little")
    ob[:, bad] = sb[:, good]
    out[...] = np.packbits(ob, axis=1, bitorder="little")


class _DenoisedSource:
    """A FrameSource whose frames are computed when read (sequential reads continue; a jump back resumes from
    the nearest checkpoint, kept every :attr:`EVERY` frames)."""

    EVERY = 8192
    MAX_CHECKPOINTS = 16

    def __init__(self, base, denoiser: StreamingDenoiser, block: int = 1024):
        self.base, self.den, self.block = base, denoiser, block
        self.n_frames, self.height, self.width = len(base), base.height, base.width
        self._checkpoints: dict[int, tuple[int, dict]] = {0: denoiser.get_state()}

    def _advance_to(self, start: int) -> None:
        if self.den.t > start:
            k = max(c for c in self._checkpoints if c <= start)
            self.den.set_state(self._checkpoints[k])
        while self.den.t < start:
            t = self.den.t
            stop = min(start, (t // self.EVERY + 1) * self.EVERY, t + self.block)
            self._run(t, stop)

    def _run(self, a: int, b: int) -> np.ndarray:
        out = self.den.push_packed(self.base[a:b].packed() if b - a else np.zeros((0, self.den.frame_nbytes),
                                                                                     np.uint8))
        t = self.den.t
        if t % self.EVERY == 0 and t not in self._checkpoints and len(self._checkpoints) < self.MAX_CHECKPOINTS:
            self._checkpoints[t] = self.den.get_state()
        return out

    def read_packed(self, start: int, stop: int) -> np.ndarray:
        self._advance_to(start)
        parts = []
        while self.den.t < stop:
            t = self.den.t
            parts.append(self._run(t, min(stop, t + self.block, (t // self.EVERY + 1) * self.EVERY)))
        return np.concatenate(parts) if parts else np.zeros((0, self.den.frame_nbytes), np.uint8)

    def read_frames(self, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
        return _bits.unpack_frames(self.read_packed(start, stop), self.height, self.width, out=out)


def denoise(stream: Any, *, calibration: Calibration | None = None, method: str = "best",
            engine: str = "numba", **params: Any):
    """Denoise a spike stream: spikes in, spikes out, computed block by block when read.

    Args:
        stream: SpikeStream or (T, H, W) spikes (any backend; moved to the CPU).
        calibration: :class:`Calibration` of this sensor (from :func:`calibrate` or :func:`load_calibration`).
        method: "best" (default), "hot", "fpn" or "temporal" (see the module docstring).
        engine: "numba" (default), "cupy" (CUDA kernel) or "reference" (the NumPy reference).
        **params: ``history=`` (intervals averaged, default 4) and ``gate=`` (default 0.25) for "temporal".

    Returns:
        A lazy SpikeStream of the same shape and metadata (provenance gains ``"denoise"``): ``sv.save``,
        ``iter_blocks``, reconstruction and the viewer take it as any stream.

    Raises:
        FormatError: a calibration of another size, "fpn" without a calibration, an empty stream.

    Example:
        >>> import numpy as np, spikevision as sv
        >>> from spikevision.denoise import denoise, Calibration
        >>> s = sv.from_array((np.arange(200)[:, None, None] % 4 == 0) & np.ones((1, 4, 8), bool))
        >>> out = denoise(s, calibration=Calibration.identity(4, 8), method="fpn")
        >>> int(out.spike_counts().sum()) == int(s.spike_counts().sum()) - 32   # the first spike only syncs
        True
    """
    from ..backend import to_numpy
    from ..stream import SpikeStream, StreamMeta, from_array

    s = stream if isinstance(stream, SpikeStream) else from_array(to_numpy(stream))
    if len(s) == 0:
        raise FormatError("cannot denoise an empty stream (0 frames); check the input file or slice")
    if calibration is not None:
        calibration.check_shape(s.height, s.width)
    hot = None
    name = BEST if method == "best" else method
    if name == "hot" and calibration is None:
        hot = hot_pixels(s)
    den = StreamingDenoiser(s.height, s.width, calibration=calibration, method=method, engine=engine, hot=hot,
                            **params)
    prov = dict(s.meta.provenance)
    prov["denoise"] = {"method": method, "resolved": den.cfg["kind"], "calibrated": calibration is not None,
                       **{k: v for k, v in params.items()}}
    m = s.meta
    meta = StreamMeta(fps=m.fps, t0=m.t0, sensor=m.sensor, flip=m.flip, cfa=m.cfa, provenance=prov)
    return SpikeStream(_DenoisedSource(s, den), meta)
