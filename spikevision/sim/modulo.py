"""Modulo (HDR) sensing: a free-running B-bit counter per pixel, read on any schedule, with ground truth.

The sensor of "High-Speed Full-Color HDR Imaging via Unwrapping Modulo-Encoded
Spike Streams" (2026; docs/algorithms.md, HDR by modulo unwrapping). Three modes:

- ``mode="counter"`` (default, the HDR camera): an asynchronous in-pixel
  integrate-and-fire counter (:mod:`._counter`). The pixel fires at
  ``gain * g_px * L(t) / thr_px`` per tick (plus dark fires) with no one-per-tick
  cap, up to ``max_rate`` fires per tick (the counter clock: 64 fires per tick
  = 1.28 MHz at 20 kHz by default); every fire advances a B-bit counter
  (``L = 2**bits``) that starts at a random power-on value and is never reset.
  The counter is read at the ticks of ``schedule``: an int K (every K ticks),
  a periodic pattern ``"0,1,5,25/50"`` (the default) (reads at offsets 0, 1, 5 and 25 of every
  50-tick period: nested windows that share photons) or an explicit tick array.
  ``y = (c0 + N) mod L`` where ``N`` counts the fires since tick 0; the fold
  count is ``k = (c0 + N) // L``. With ``cfa`` the counters sit behind a Bayer
  filter. The binary spike stream of the same scene (same fixed patterns and
  seed, one spike per tick at most, gain ``spike_gain``) comes alongside.
- ``mode="count"`` (version 1): the counter of the binary readout spikes, at
  most one per tick, read every ``every`` ticks.
- ``mode="charge"`` (version 1): the B-bit quantised residual charge of the
  subtract reset, ``Phi ~= theta (k + (y + 0.5) / L)`` with ``k = N``.

Container (``.npz``, written atomically by :func:`save_modulo`; version 2, version 1 files still load):

| key | content |
|---|---|
| ``y`` | (S, H, W) uint8 (bits <= 8) or uint16: the counter readings |
| ``ticks`` | (S,) int64: the tick of each read (ticks integrated so far) |
| ``folds`` | (S, H, W) int32: true fold counts ``k`` (ground truth) |
| ``counts`` | (S, H, W) int64: true fires since tick 0 (counter mode; ground truth) |
| ``radiance`` | (S, H, W[, 3]) float32: true mean linear radiance over each read interval (counter mode) |
| ``response``, ``dark`` | (H, W) float32: the pixel calibration, fires per tick per unit radiance and dark fires |
|  | per tick (counter mode; what flat and dark frames measure) |
| ``meta`` | 0-d str: JSON with ``format`` ("spikevision-modulo"), ``version``, ``bits``, ``every``, ``mode``, |
|  | ``schedule``, ``theta``, ``gain``, ``fps``, ``cfa``, ``max_rate``, ``height``, ``width``, ``provenance`` |
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
from ._counter import counter_step, interval_charges, parse_schedule, schedule_ticks
from .engine import Engine
from .inputs import SceneInputError
from .photometry import to_luminance
from .simulator import Simulator

__all__ = ["ModuloRecord", "simulate_modulo", "save_modulo", "load_modulo", "savez_atomic", "MODULO_MODES",
           "parse_schedule", "schedule_ticks", "DEFAULT_SCHEDULE"]

MODULO_MODES = ("counter", "count", "charge")
_FORMAT = "spikevision-modulo"
_VERSION = 2
#: default counter gain (fires per tick = gain * L / theta) and counter clock (fires per tick at most)
COUNTER_GAIN = 32.0
MAX_RATE = 64.0
#: default read schedule of the counter: offsets 0, 1, 5, 25 of every 50 ticks (nested 1, 5, 25-tick windows)
DEFAULT_SCHEDULE = "0,1,5,25/50"


@dataclass
class ModuloRecord:
    """Modulo readings and their ground truth (see the module docstring for the model).

    Attributes:
        y: (S, H, W) counter readings mod ``2**bits``.
        folds: (S, H, W) int32 true fold counts.
        ticks: (S,) tick of each read.
        bits, every, mode, theta, gain, fps: the measurement parameters (``every`` is 0 for an irregular schedule).
        provenance: where the record came from (scene, simulator parameters).
        counts: (S, H, W) int64 true fires since tick 0 (counter mode), else None.
        radiance_true: (S, H, W[, 3]) float32 true mean radiance over each read interval (counter mode), else None.
        response, dark: (H, W) float32 calibration: fires per tick per unit radiance, dark fires per tick.
        schedule: the schedule spec (e.g. "0,1,5,25/50"), or None.
        cfa: the Bayer pattern over the counters, or None.
        max_rate: the counter clock in fires per tick.
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
    counts: np.ndarray | None = None
    radiance_true: np.ndarray | None = None
    response: np.ndarray | None = None
    dark: np.ndarray | None = None
    schedule: str | None = None
    cfa: str | None = None
    max_rate: float = MAX_RATE

    @property
    def modulus(self) -> int:
        """L = 2**bits."""
        return 1 << self.bits

    @property
    def shape(self) -> tuple[int, int]:
        """(H, W) of the sensor."""
        return int(self.y.shape[1]), int(self.y.shape[2])

    def unwrapped(self) -> np.ndarray:
        """The measured quantity with folds restored: counter values c0 + N (counter), spike counts N (count)
        or charge Phi (charge mode)."""
        if self.mode in ("count", "counter"):
            return self.y.astype(np.int64) + self.folds.astype(np.int64) * self.modulus
        return self.theta * (self.folds.astype(np.float64) + (self.y.astype(np.float64) + 0.5) / self.modulus)

    def true_counts(self) -> np.ndarray:
        """(S, H, W) int64 true fires relative to the first read (``[0] == 0``; what unwrapping recovers)."""
        u = self.unwrapped()
        if self.mode == "charge":
            raise ValueError("charge-mode records hold residual charge, not counts; use unwrapped()")
        return u - u[:1]

    def radiance(self) -> np.ndarray:
        """Mean radiance estimate over each read interval from the true unwrapped values (S, H, W) float32."""
        u = self.unwrapped().astype(np.float64)
        if self.mode == "counter":
            t = self.ticks.astype(np.float64)
            prev_t = np.concatenate([[0.0], t[:-1]])
            prev = np.concatenate([u[:1] - (self.counts[:1] if self.counts is not None else 0), u[:-1]])
            rate = (u - prev) / np.maximum(t - prev_t, 1)[:, None, None]
            dark = 0 if self.dark is None else self.dark
            resp = self.gain / self.theta if self.response is None else self.response
            return ((rate - dark) / resp).astype(np.float32)
        prev = np.concatenate([np.zeros_like(u[:1]), u[:-1]])
        per_tick = (u - prev) / self.every
        if self.mode == "count":
            per_tick = per_tick * self.theta
        return (per_tick / self.gain).astype(np.float32)


def simulate_modulo(radiance: Any, bits: int = 8, every: int | None = None, mode: str = "counter", *,
                    schedule: Any = None, keep_spikes: bool = True, max_rate: float = MAX_RATE,
                    spike_gain: float = 1.0, **kwargs: Any) -> tuple[SpikeStream | None, ModuloRecord]:
    """Simulate B-bit modulo readings of a scene (and the binary spike stream alongside).

    Args:
        radiance: anything :func:`~.simulator.simulate` accepts.
        bits: counter width B (1..16).
        every: ticks between reads K (count and charge modes: default 20; counter mode: reads every K ticks
            when given and ``schedule`` is not).
        mode: "counter" (the HDR counter, default), "count" or "charge" (version 1 models); module docstring.
        schedule: counter mode: an int, a periodic spec ``"0,1,5,25/50"`` or an explicit array of read ticks
            (default :data:`DEFAULT_SCHEDULE`, nested windows: uniform reads alias where more than L fires
            fall between two reads).
        keep_spikes: also return the binary spike stream (in memory).
        max_rate: counter mode: the counter clock, at most this many fires per tick.
        spike_gain: counter mode: the gain of the binary spike pixel (one spike per tick at most).
        **kwargs: simulator options (``n_frames``, ``theta``, ``gain`` (counter mode default 32), ``noise``,
            ``cfa``, ``seed`` ...).

    Returns:
        (spikes or None, record). Count and charge modes keep whole read intervals: S = n_frames // every.
    """
    if not 1 <= int(bits) <= 16:
        raise SceneInputError(f"bits must be in 1..16, got {bits}")
    if every is not None and int(every) < 1:
        raise SceneInputError(f"every (ticks between reads) must be >= 1, got {every}")
    if mode not in MODULO_MODES:
        raise SceneInputError(f"mode must be one of {MODULO_MODES}, got {mode!r}")
    if mode == "counter":
        if schedule is None:
            schedule = int(every) if every is not None else DEFAULT_SCHEDULE
        return _simulate_counter(radiance, int(bits), schedule, keep_spikes, float(max_rate), float(spike_gain),
                                 kwargs)
    every = 20 if every is None else every
    if schedule is not None:
        raise SceneInputError(f"schedule= is a counter-mode option; mode={mode!r} reads every `every` ticks. "
                              f"Use mode='counter' or drop schedule")
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


def _simulate_counter(radiance, bits: int, schedule, keep_spikes: bool, max_rate: float, spike_gain: float,
                      kwargs: dict) -> tuple[SpikeStream | None, ModuloRecord]:
    if not (max_rate >= 1 and np.isfinite(max_rate)):
        raise SceneInputError(f"max_rate (the counter clock in fires per tick) must be >= 1, got {max_rate}")
    kw = dict(kwargs)
    gain = float(kw.pop("gain", COUNTER_GAIN))
    if kw.get("reset", "subtract") != "subtract":
        raise SceneInputError("the modulo counter pixel uses the subtract reset; drop reset= or use mode='count'")
    sim = Simulator(radiance, gain=spike_gain, **kw)
    h, w, n_frames = sim.height, sim.width, sim.n_frames
    seed = int(kw.get("seed", 0))
    eng = Engine(h, w, fps=sim.fps, theta=sim.engine.theta, gain=gain, noise=kw.get("noise"), cfa=kw.get("cfa"),
                 seed=seed, full_well=None, backend="numpy", init="zero")
    ticks = schedule_ticks(schedule, n_frames)
    spec = schedule if isinstance(schedule, str) else (f"{int(schedule)}" if np.isscalar(schedule) else None)
    L = 1 << bits
    rng = np.random.default_rng([seed & 0xFFFFFFFFFFFFFFFF, 0xC0DE])
    fp = eng.pattern
    thr = (fp.threshold if fp is not None else np.full((h, w), eng.theta)).reshape(-1).astype(np.float64)
    dark = (fp.dark.reshape(-1).astype(np.float64) if fp is not None else np.zeros(h * w))
    jit = fp.jitter.reshape(-1).astype(np.float64) if (fp is not None and eng.noise.jitter) else None
    shot = float(fp.shot_scale) if (fp is not None and eng.noise.shot) else 0.0
    init = kw.get("init", "uniform")
    acc = (rng.random(h * w) * thr) if init == "uniform" else np.zeros(h * w)
    offset = rng.integers(0, L, h * w).astype(np.int64)  # power-on value of the free-running counter
    S = len(ticks)
    y = np.empty((S, h, w), np.uint8 if bits <= 8 else np.uint16)
    folds = np.empty((S, h, w), np.int32)
    counts = np.empty((S, h, w), np.int64)
    color = sim.input.channels == 3 and eng.cfa is not None
    truth = np.empty((S, h, w, 3) if color else (S, h, w), np.float32)
    total = np.zeros(h * w, np.int64)
    prev = 0
    for s, t in enumerate(ticks):
        t = int(t)
        m = t - prev
        if m > 0:
            q = interval_charges(sim.input, prev, t)
            fires = counter_step(acc, eng.charge(q.astype(np.float32)).astype(np.float64) + dark * m, thr,
                                 max_rate * m, rng, shot, jit)
            total += fires
            mean = q / m
        else:
            mean = interval_charges(sim.input, t, t + 1) if t < n_frames else sim.input.frame(
                sim.input.n_keyframes() - 1)
        if mean.ndim == 3 and not color:
            mean = to_luminance(mean.astype(np.float32))
        truth[s] = mean
        c = offset + total
        y[s] = (c % L).reshape(h, w)
        folds[s] = (c // L).reshape(h, w)
        counts[s] = total.reshape(h, w)
        prev = t
    gp = eng._gp.reshape(h, w).astype(np.float64)
    response = (gp / thr.reshape(h, w)).astype(np.float32)
    dark_rate = (dark / thr).reshape(h, w).astype(np.float32)
    every = int(schedule) if np.isscalar(schedule) and not isinstance(schedule, str) else 0
    prov = {**sim.provenance(), "modulo": {"bits": bits, "mode": "counter", "schedule": spec, "gain": gain,
                                           "max_rate": max_rate, "spike_gain": spike_gain}}
    rec = ModuloRecord(y, folds, ticks, bits, every, "counter", eng.theta, gain, sim.fps, prov, counts, truth,
                       response, dark_rate, spec, eng.cfa, max_rate)
    stream = None
    if keep_spikes:
        packed = np.empty((n_frames, sim.frame_nbytes), np.uint8)
        for a in range(0, n_frames, 4096):
            sim.fill(packed[a : a + 4096])
        stream = sim.stream(packed, prov)
    return stream, rec


def save_modulo(path: str | os.PathLike, record: ModuloRecord) -> Path:
    """Write a :class:`ModuloRecord` to an ``.npz`` container atomically (layout: module docstring)."""
    p = Path(path)
    if p.suffix.lower() != ".npz":
        raise FormatError(f"{p}: modulo records are .npz containers; name the file *.npz")
    meta = {"format": _FORMAT, "version": _VERSION, "bits": record.bits, "every": record.every, "mode": record.mode,
            "schedule": record.schedule, "theta": record.theta, "gain": record.gain, "fps": record.fps,
            "cfa": record.cfa, "max_rate": record.max_rate, "height": int(record.y.shape[1]),
            "width": int(record.y.shape[2]), "provenance": record.provenance}
    arrays = {"y": record.y, "folds": record.folds, "ticks": record.ticks}
    for key, val in (("counts", record.counts), ("radiance", record.radiance_true), ("response", record.response),
                     ("dark", record.dark)):
        if val is not None:
            arrays[key] = val
    savez_atomic(p, **arrays, meta=np.array(json.dumps(meta, default=str)))
    return p


def savez_atomic(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    """``np.savez_compressed`` to ``path`` through a temporary file (the file appears only when complete)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)


def load_modulo(path: str | os.PathLike) -> ModuloRecord:
    """Read a modulo container written by :func:`save_modulo` (versions 1 and 2)."""
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
        y, ticks = z["y"], z["ticks"]
        if y.ndim != 3 or ticks.shape != (len(y),) or z["folds"].shape != y.shape:
            raise FormatError(f"{p}: y {y.shape}, folds {z['folds'].shape} and ticks {ticks.shape} do not agree "
                              f"(y and folds (S, H, W), ticks (S,)); rewrite the file with save_modulo")
        opt = {k: (z[k] if k in z.files else None) for k in ("counts", "radiance", "response", "dark")}
        return ModuloRecord(y, z["folds"], ticks, int(meta["bits"]), int(meta.get("every") or 0), meta["mode"],
                            float(meta["theta"]), float(meta["gain"]), float(meta["fps"]), meta.get("provenance", {}),
                            opt["counts"], opt["radiance"], opt["response"], opt["dark"], meta.get("schedule"),
                            meta.get("cfa"), float(meta.get("max_rate") or MAX_RATE))
