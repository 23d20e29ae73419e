"""Modulo (HDR) output: B-bit per-pixel counters read every K ticks, with their true fold counts.

The measurement model of the modulo-encoded spike-stream HDR camera
(docs/physics.md, Modulo sensors): each pixel keeps a free-running B-bit value that is
read out every ``every`` ticks (``L = 2**bits``). Two counters are modelled:

- ``mode="count"`` (default): the counter of spikes. At read ``s`` (after
  ``ticks[s] = (s + 1) * every`` ticks) ``y = N mod L`` where ``N`` is the
  pixel's spike count since the start; the fold count is ``k = N // L`` so
  ``N = y + k L`` exactly. Consecutive reads unwrap exactly while fewer than
  ``L`` spikes fall between them.
- ``mode="charge"``: the analog charge, which the subtract reset keeps modulo
  the threshold: ``Phi = theta N + R`` with residual ``R`` in [0, theta).
  ``y = floor(R / theta * L)`` (clipped to L - 1) is the B-bit quantised
  residual, and the fold count is ``k = N``: ``Phi ~= theta (k + (y + 0.5) / L)``.

Container (``.npz``, written atomically by :func:`save_modulo`):

| key | content |
|---|---|
| ``y`` | (S, H, W) uint8 (bits <= 8) or uint16: the counter readings |
| ``folds`` | (S, H, W) int32: true fold counts ``k`` (ground truth) |
| ``ticks`` | (S,) int64: ticks integrated at each read |
| ``meta`` | 0-d str: JSON with ``format`` ("spikevision-modulo"), ``version``, ``bits``, ``every``, |
|  | ``mode``, ``theta``, ``gain``, ``fps``, ``height``, ``width``, ``provenance`` |
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import _bits
from ..errors import FormatError
from ..io._atomic import atomic_path, check_input_path
from ..stream import SpikeStream
from .inputs import SceneInputError
from .simulator import Simulator

__all__ = ["ModuloRecord", "simulate_modulo", "save_modulo", "load_modulo", "savez_atomic", "MODULO_MODES"]

MODULO_MODES = ("count", "charge")
_FORMAT = "spikevision-modulo"
_VERSION = 1


@dataclass
class ModuloRecord:
    """Modulo readings and their ground truth (see the module docstring for the model).

    Attributes:
        y: (S, H, W) counter readings mod ``2**bits``.
        folds: (S, H, W) int32 true fold counts.
        ticks: (S,) ticks integrated at each read.
        bits, every, mode, theta, gain, fps: the measurement parameters.
        provenance: where the record came from (scene, simulator parameters).
    """

    y: np.ndarray
    folds: np.ndarray
    ticks: np.ndarray
    bits: int
    every: int
    mode: str
    theta: float = 2.0
    gain: float = 1.0
    fps: float = 20000.0
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def modulus(self) -> int:
        """L = 2**bits."""
        return 1 << self.bits

    def unwrapped(self) -> np.ndarray:
        """The measured quantity with folds restored: spike counts N (count mode) or charge Phi (charge mode)."""
        if self.mode == "count":
            return self.y.astype(np.int64) + self.folds.astype(np.int64) * self.modulus
        return self.theta * (self.folds.astype(np.float64) + (self.y.astype(np.float64) + 0.5) / self.modulus)

    def radiance(self) -> np.ndarray:
        """Mean radiance estimate over each read interval from the unwrapped values (S, H, W) float32."""
        u = self.unwrapped().astype(np.float64)
        prev = np.concatenate([np.zeros_like(u[:1]), u[:-1]])
        per_tick = (u - prev) / self.every
        if self.mode == "count":
            per_tick = per_tick * self.theta
        return (per_tick / self.gain).astype(np.float32)


def simulate_modulo(radiance: Any, bits: int = 8, every: int = 20, mode: str = "count", *,
                    keep_spikes: bool = True, **kwargs: Any) -> tuple[SpikeStream | None, ModuloRecord]:
    """Simulate spikes and B-bit modulo readings every ``every`` ticks.

    Args:
        radiance: anything :func:`~.simulator.simulate` accepts.
        bits: counter width B (1..16).
        every: ticks between reads K.
        mode: "count" (spike counter) or "charge" (quantised residual charge); see the module docstring.
        keep_spikes: also return the spike stream (in memory).
        **kwargs: simulator options (``n_frames``, ``theta``, ``noise``, ``seed`` ...).

    Returns:
        (spikes or None, record). Only whole read intervals are kept: S = n_frames // every.
    """
    if not 1 <= int(bits) <= 16:
        raise SceneInputError(f"bits must be in 1..16, got {bits}")
    if int(every) < 1:
        raise SceneInputError(f"every (ticks between reads) must be >= 1, got {every}")
    if mode not in MODULO_MODES:
        raise SceneInputError(f"mode must be one of {MODULO_MODES}, got {mode!r}")
    if mode == "charge" and kwargs.get("reset", "subtract") != "subtract":
        raise SceneInputError("mode='charge' needs the subtract reset (the residual is the modulo value); "
                              "use reset='subtract' or mode='count'")
    bits, every = int(bits), int(every)
    sim = Simulator(radiance, **kwargs)
    h, w = sim.height, sim.width
    n_samples = sim.n_frames // every
    sim.n_frames = n_samples * every
    L = 1 << bits
    y = np.empty((n_samples, h, w), np.uint8 if bits <= 8 else np.uint16)
    folds = np.empty((n_samples, h, w), np.int32)
    counts = np.zeros(sim.frame_nbytes * 8, np.int64)
    packed = np.empty((sim.n_frames, sim.frame_nbytes), np.uint8) if keep_spikes else None
    scratch = None if keep_spikes else np.empty((every, sim.frame_nbytes), np.uint8)  # reused every interval
    theta = sim.engine.theta
    for s in range(n_samples):
        buf = sim.fill(packed[s * every : (s + 1) * every] if keep_spikes else scratch)
        _bits.count_bits(buf, counts)
        n = counts[: h * w].reshape(h, w)
        if mode == "count":
            y[s] = n % L
            folds[s] = n // L
        else:
            r = sim.engine.residual().astype(np.float64)
            y[s] = np.clip(np.floor(r / theta * L), 0, L - 1)
            folds[s] = n
    prov = {**sim.provenance(), "modulo": {"bits": bits, "every": every, "mode": mode}}
    rec = ModuloRecord(y, folds, (np.arange(n_samples, dtype=np.int64) + 1) * every, bits, every, mode, theta,
                       sim.engine.gain, sim.fps, prov)
    stream = sim.stream(packed, prov) if keep_spikes else None
    return stream, rec


def save_modulo(path: str | os.PathLike, record: ModuloRecord) -> Path:
    """Write a :class:`ModuloRecord` to an ``.npz`` container atomically (layout: module docstring)."""
    p = Path(path)
    if p.suffix.lower() != ".npz":
        raise FormatError(f"{p}: modulo records are .npz containers; name the file *.npz")
    meta = {"format": _FORMAT, "version": _VERSION, "bits": record.bits, "every": record.every, "mode": record.mode,
            "theta": record.theta, "gain": record.gain, "fps": record.fps, "height": int(record.y.shape[1]),
            "width": int(record.y.shape[2]), "provenance": record.provenance}
    savez_atomic(p, y=record.y, folds=record.folds, ticks=record.ticks, meta=np.array(json.dumps(meta, default=str)))
    return p


def savez_atomic(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    """``np.savez_compressed`` to ``path`` through a temporary file (the file appears only when complete)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)


def load_modulo(path: str | os.PathLike) -> ModuloRecord:
    """Read a modulo container written by :func:`save_modulo`."""
    p = check_input_path(path)
    try:
        z = np.load(p, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise FormatError(f"{p}: not a readable .npz file ({exc}); write it with save_modulo") from None
    with z:
        missing = {"y", "folds", "ticks", "meta"} - set(z.files)
        if missing:
            raise FormatError(f"{p}: not a spikevision modulo container (missing {', '.join(sorted(missing))}); "
                              f"write it with spikevision.sim.save_modulo")
        meta = json.loads(str(z["meta"]))
        if meta.get("format") != _FORMAT:
            raise FormatError(f"{p}: meta.format is {meta.get('format')!r}, expected {_FORMAT!r}")
        if meta.get("version", 0) > _VERSION:
            raise FormatError(f"{p}: modulo container version {meta['version']} is newer than this spikevision "
                              f"reads ({_VERSION}); upgrade spikevision")
        return ModuloRecord(z["y"], z["folds"], z["ticks"], int(meta["bits"]), int(meta["every"]), meta["mode"],
                            float(meta["theta"]), float(meta["gain"]), float(meta["fps"]), meta.get("provenance", {}))
