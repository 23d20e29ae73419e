"""The integrate-and-fire engine: per-pixel state, fixed patterns, and the kernel calls.

:class:`Engine` holds the accumulator of every pixel and advances it tick by
tick with the compiled kernels (``backend="numba"``, default), the NumPy
reference (``backend="numpy"``) or the CUDA twin (``backend="cupy"``); all
give bit-identical spikes. One call runs many ticks over a set of keyframe
charges; :class:`~.simulator.Simulator` feeds it keyframes from an input.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from .. import _bits
from . import _kernels, _reference, _rng
from .inputs import SceneInputError
from .noise import NoiseModel
from .photometry import CFA_PATTERNS, mosaic, to_luminance

__all__ = ["Engine", "RESETS", "INITS", "BACKENDS"]

log = logging.getLogger(__name__)

RESETS = ("subtract", "zero")
BACKENDS = ("numba", "numpy", "cupy")
INITS = ("uniform", "zero")


class Engine:
    """Integrate-and-fire state of an H x W sensor.

    Args:
        height, width: sensor size.
        fps: readout rate (sets the dark charge per tick).
        theta: nominal threshold charge, in the units of ``gain * radiance`` per tick.
        gain: charge per tick per unit of linear radiance (exposure).
        reset: "subtract" (keep the residual, default) or "zero".
        init: "uniform" (A_0 ~ U[0, theta), seeded), "zero", or an (H, W) array of initial charge.
        noise: a :class:`NoiseModel`, or None for an ideal sensor.
        cfa: Bayer pattern: inputs are (H, W, 3) linear RGB sampled through it.
        seed: seeds the initial accumulator, the fixed patterns and every per-tick draw.
        full_well: charge cap in units of theta (default 2): above it charge is lost, so a saturated pixel
            fires once per tick without a backlog; None for no cap.
        backend: "numba" (compiled, default), "numpy" (reference) or "cupy" (CUDA kernel, needs a GPU);
            all three give bit-identical spikes.
    """

    def __init__(self, height: int, width: int, *, fps: float = 20000.0, theta: float = 2.0, gain: float = 1.0,
                 reset: str = "subtract", init: str | np.ndarray = "uniform", noise: NoiseModel | None = None,
                 cfa: str | None = None, seed: int = 0, full_well: float | None = 2.0, backend: str = "numba"):
        if not (theta > 0 and math.isfinite(theta)):
            raise SceneInputError(f"theta must be a positive number, got {theta!r}")
        if not (gain > 0 and math.isfinite(gain)):
            raise SceneInputError(f"gain must be a positive number, got {gain!r}")
        if reset not in RESETS:
            raise SceneInputError(f"reset must be one of {RESETS}, got {reset!r}")
        if backend not in BACKENDS:
            raise SceneInputError(f"backend must be one of {BACKENDS}, got {backend!r}")
        if backend == "cupy":
            from ._cuda import require_cupy

            self._cp = require_cupy()
        if cfa is not None and str(cfa).lower() not in CFA_PATTERNS:
            raise SceneInputError(f"unknown color filter pattern {cfa!r}; choose one of {', '.join(CFA_PATTERNS)}")
        if full_well is not None and not full_well >= 1:
            raise SceneInputError(f"full_well is in units of theta and must be >= 1 (or None), got {full_well!r}")
        self.height, self.width, self.npix = int(height), int(width), int(height) * int(width)
        self.nbytes = _bits.frame_nbytes(self.height, self.width)
        self.fps, self.theta, self.gain, self.reset = float(fps), float(theta), float(gain), reset
        self.cfa, self.seed, self.backend = (cfa.lower() if cfa else None), int(seed), backend
        self.full_well = full_well
        self.noise = noise if (noise is not None and noise.any) else None
        self.tick = 0
        self._theta32 = np.float32(theta)
        self._fw32 = np.float32(np.inf if full_well is None else full_well * theta)
        shape = (self.height, self.width)
        if self.noise is not None:
            fp = self.noise.draw(self.height, self.width, self.seed, self.theta, self.fps)
        else:
            fp = None
        self.pattern = fp
        gp = np.float32(gain) * (fp.gain if fp is not None else np.ones(shape, np.float32))
        self._gp = gp.astype(np.float32).reshape(-1)
        acc = self._initial(init)
        if backend == "numba":
            self._acc = _kernels.to_planes(acc)
            self._last = np.zeros((8, self.nbytes), np.uint8)
            if fp is not None:
                self._dark = _kernels.to_planes(fp.dark)
                self._thr = _kernels.to_planes(fp.threshold, fill=np.inf)
                self._jit = _kernels.to_planes(fp.jitter)
        elif backend == "numpy":
            self._acc = acc
            self._last = np.zeros(self.npix, np.uint8)
            if fp is not None:
                self._dark = fp.dark.reshape(-1).copy()
                self._thr = fp.threshold.reshape(-1).copy()
                self._jit = fp.jitter.reshape(-1).copy()
        else:  # cupy: one kernel for both; the noise-free form has dark = 0, threshold = theta, no draws
            cp = self._cp
            self._acc = cp.asarray(acc)
            self._last = cp.zeros(self.npix, cp.uint8)
            self._dark = cp.asarray(fp.dark.reshape(-1) if fp is not None else np.zeros(self.npix, np.float32))
            self._thr = cp.asarray(fp.threshold.reshape(-1) if fp is not None
                                   else np.full(self.npix, self._theta32, np.float32))
            self._jit = cp.asarray(fp.jitter.reshape(-1) if fp is not None else np.zeros(self.npix, np.float32))

    def _initial(self, init) -> np.ndarray:
        if isinstance(init, str):
            if init == "zero":
                return np.zeros(self.npix, np.float32)
            if init == "uniform":
                return _rng.uniform_init(self.seed, self.npix) * self._theta32
            raise SceneInputError(f"init must be 'uniform', 'zero' or an (H, W) array, got {init!r}")
        a = np.asarray(init, dtype=np.float32)
        if a.shape != (self.height, self.width):
            raise SceneInputError(f"init array must have shape {(self.height, self.width)}, got {a.shape}")
        if not np.isfinite(a).all() or a.min() < 0:
            raise SceneInputError("init charge must be finite and >= 0")
        return a.reshape(-1).copy()

    # --- inputs -------------------------------------------------------
    def charge(self, radiance: np.ndarray) -> np.ndarray:
        """Charge per tick (flat float32) of a keyframe: gain * pixel gain * radiance.

        (H, W, 3) RGB radiance goes through the Bayer filter when ``cfa`` is set, else through Rec.709
        luminance (a mono sensor).
        """
        a = np.asarray(radiance, dtype=np.float32)
        if self.cfa is not None:
            a = mosaic(a, self.cfa)
        elif a.ndim == 3:
            a = to_luminance(a)  # a mono sensor behind no filter: Rec.709 luminance as its spectral response
        if a.shape != (self.height, self.width):
            raise SceneInputError(f"radiance frame is {a.shape}, the sensor is {(self.height, self.width)}")
        return self._gp * a.reshape(-1)

    def planes(self, charges: np.ndarray) -> np.ndarray:
        """(K, npix) keyframe charges in the layout the backend's kernel reads ((K, 8, nbytes) for numba)."""
        charges = np.asarray(charges, dtype=np.float32)
        out = self.new_slots(len(charges))
        for j, c in enumerate(charges):
            self.set_slot(out, j, c)
        return out

    def new_slots(self, n: int) -> np.ndarray:
        """A zeroed buffer of ``n`` keyframe slots in the kernel's layout."""
        if self.backend == "numpy":
            return np.zeros((n, self.npix), np.float32)
        if self.backend == "cupy":
            return self._cp.zeros((n, self.npix), np.float32)
        return np.zeros((n, 8, self.nbytes), np.float32)

    def set_slot(self, slots: np.ndarray, j: int, charge: np.ndarray) -> None:
        """Store a flat (npix,) keyframe charge (from :meth:`charge`) in slot ``j``."""
        if self.backend == "numpy":
            slots[j] = charge
        elif self.backend == "cupy":
            slots[j] = self._cp.asarray(charge)
        else:
            _kernels.to_planes(charge, out=slots[j])

    # --- stepping -----------------------------------------------------
    def run(self, charges: np.ndarray, k0: np.ndarray, k1: np.ndarray, weights: np.ndarray,
            out: np.ndarray) -> np.ndarray:
        """Advance ``len(weights)`` ticks, writing canonical packed frames into ``out`` (n, nbytes).

        Tick ``t`` integrates ``c0 + w[t] * (c1 - c0)`` with ``c0 = charges[k0[t]]``, ``c1 = charges[k1[t]]``;
        ``charges`` comes from :meth:`planes` (keyframe charges from :meth:`charge`).
        """
        w = np.ascontiguousarray(weights, dtype=np.float32)
        k0 = np.ascontiguousarray(k0, dtype=np.int64)
        k1 = np.ascontiguousarray(k1, dtype=np.int64)
        n = len(w)
        if n == 0:
            return out
        if len(k0) != n or len(k1) != n or out.shape != (n, self.nbytes):
            raise ValueError("k0, k1, weights and out must all have one entry per tick")
        if min(k0.min(), k1.min()) < 0 or max(k0.max(), k1.max()) >= len(charges):
            raise ValueError("keyframe index out of range")
        zero = self.reset == "zero"
        nz = self.noise
        if self.backend == "cupy":
            self._run_cupy(charges, k0, k1, w, out)
        elif self.backend == "numba":
            if nz is None:
                _kernels.run_clean(self._acc, charges, k0, k1, w, self._theta32, self._fw32, zero, out)
            else:
                _kernels.run_noisy(self._acc, self._last, charges, k0, k1, w, self._dark, self._thr, self._jit,
                                   self.tick, np.uint64(self.seed & 0xFFFFFFFFFFFFFFFF), self.pattern.shot_scale,
                                   np.float32(nz.dead_factor), self._fw32, zero, nz.shot, nz.jitter, nz.dead_time,
                                   out)
        else:
            if nz is None:
                s = _reference.step_clean(self._acc, charges, k0, k1, w, self._theta32, self._fw32, zero)
            else:
                s = _reference.step_noisy(self._acc, self._last, charges, k0, k1, w, self._dark, self._thr,
                                          self._jit, self.tick, self.seed, self.pattern.shot_scale,
                                          np.float32(nz.dead_factor), self._fw32, zero, nz.shot, nz.jitter,
                                          nz.dead_time)
            out[:] = np.packbits(s, axis=1, bitorder="little")
        self.tick += n
        return out

    def _run_cupy(self, charges, k0, k1, w, out) -> None:
        from . import _cuda

        cp = self._cp
        nz = self.noise
        dev = cp.empty(out.shape, cp.uint8)
        _cuda.launch(self._acc, self._last, cp.asarray(charges), cp.asarray(k0), cp.asarray(k1), cp.asarray(w),
                     self._dark, self._thr, self._jit, self.tick, self.seed & 0xFFFFFFFFFFFFFFFF,
                     self.pattern.shot_scale if nz is not None else 0.0,
                     nz.dead_factor if nz is not None else 1.0, self._fw32, self.reset == "zero",
                     bool(nz and nz.shot), bool(nz and nz.jitter), bool(nz and nz.dead_time), dev)
        out[...] = dev.get()

    def run_constant(self, radiance: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
        """Advance ``n`` ticks under constant radiance; return the packed frames."""
        out = np.empty((n, self.nbytes), np.uint8) if out is None else out
        z = np.zeros(n, np.int64)
        return self.run(self.planes(self.charge(radiance)[None]), z, z, np.zeros(n, np.float32), out)

    def residual(self) -> np.ndarray:
        """Current accumulator charge (H, W) float32 (a copy)."""
        if self.backend == "numba":
            flat = _kernels.from_planes(self._acc, self.npix)
        elif self.backend == "cupy":
            flat = self._acc.get()
        else:
            flat = self._acc
        return flat.reshape(self.height, self.width).copy()
