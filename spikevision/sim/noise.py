"""The calibrated circuit noise model of a spike camera pixel.

Parameter values are those released with the simulator of "Spike Stream
Denoising via Spike Camera Simulation" (see docs/physics.md, Noise model):

- fixed per pixel: dark current ``I_d ~ N(0.4442, 0.1731)`` pA (clipped at 0),
  capacitance ``C ~ N(4.348, 0.0128)`` fF, threshold-voltage offset
  ``V_s ~ N(-0.0076, 0.0497)`` V, photo-response gain ``~ N(1.0128, 0.0584) / 1.0128``;
- per tick: photon shot noise on the photo + dark charge (Poisson, used in its
  Gaussian form: the mean is >= ~140 electrons per tick from the dark current
  alone at the default values), threshold jitter ``N(0, 0.00636)`` V;
- reset dead time: the charge step of the tick right after a spike is x0.998;
- threshold charge ``C * (Vrst - Vref + V_s + jitter)`` with Vrst = 3.3 V, Vref = 2.2 V.

The simulator works in units where the *nominal* threshold charge
``Q0 = mean(C) * (Vrst - Vref)`` (4.78 fC, about 29,850 electrons) equals
``theta``; with every term off a pixel's threshold is exactly ``theta``.
Every term is switchable; fixed patterns are drawn once from
``numpy.random.default_rng([seed, 0x5EED])`` in a fixed order (dark, C, V_s,
gain), whatever is switched on, so toggling one term never changes another.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

__all__ = ["NoiseModel", "FixedPattern", "ELEMENTARY_CHARGE", "NOISE_TERMS"]

ELEMENTARY_CHARGE = 1.602176634e-19  # C

#: the switchable terms (the boolean fields of :class:`NoiseModel`): fixed patterns, then per-tick terms
NOISE_TERMS = ("dark_current", "prnu", "capacitance", "threshold_offset", "shot", "jitter", "dead_time")


@dataclass(frozen=True)
class NoiseModel:
    """Switchable noise terms and their parameters (defaults: the released calibration).

    Attributes:
        dark_current, prnu, capacitance, threshold_offset: fixed-pattern terms on/off.
        shot, jitter, dead_time: per-tick terms on/off.
        dark_mean, dark_std: dark current in pA.
        cap_mean, cap_std: pixel capacitance in fF.
        offset_mean, offset_std: threshold-voltage offset in V.
        gain_mean, gain_std: photo-response gain before normalisation by ``gain_mean``.
        jitter_std: per-tick threshold jitter in V.
        dead_factor: charge step multiplier on the tick after a spike.
        v_reset, v_ref: reset and comparator reference voltages (V).
        hot_fraction: fraction of hot pixels (default 0): their dark current is log-uniform in
            [hot_dark, 10 * hot_dark] pA (10 pA fires about 0.1 spikes per tick at 20 kHz).
        dead_fraction: fraction of dead pixels (default 0): no photo response and no dark current.
    """

    dark_current: bool = True
    prnu: bool = True
    capacitance: bool = True
    threshold_offset: bool = True
    shot: bool = True
    jitter: bool = True
    dead_time: bool = True
    dark_mean: float = 0.4442
    dark_std: float = 0.1731
    cap_mean: float = 4.348
    cap_std: float = 0.0128
    offset_mean: float = -0.0076
    offset_std: float = 0.0497
    gain_mean: float = 1.0128
    gain_std: float = 0.0584
    jitter_std: float = 0.00636
    dead_factor: float = 0.998
    v_reset: float = 3.3
    v_ref: float = 2.2
    hot_fraction: float = 0.0
    hot_dark: float = 10.0
    dead_fraction: float = 0.0

    def __post_init__(self):
        if self.v_reset - self.v_ref <= 0:
            raise ValueError("v_reset must exceed v_ref (the threshold swing Vrst - Vref is positive)")
        for name in ("dark_std", "cap_std", "offset_std", "gain_std", "jitter_std"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.cap_mean <= 0 or self.gain_mean <= 0:
            raise ValueError("cap_mean and gain_mean must be positive")
        if not (0 <= self.hot_fraction <= 1 and 0 <= self.dead_fraction <= 1 and self.hot_dark > 0):
            raise ValueError("hot_fraction and dead_fraction must be in [0, 1] and hot_dark (pA) positive")
        if not 0 < self.dead_factor <= 1:
            raise ValueError(f"dead_factor must be in (0, 1], got {self.dead_factor}")

    @classmethod
    def off(cls) -> NoiseModel:
        """Every term switched off (the clean twin)."""
        return cls(**dict.fromkeys(NOISE_TERMS, False))

    @classmethod
    def only(cls, *terms: str, **params) -> NoiseModel:
        """Only the named terms on, e.g. ``NoiseModel.only("dark_current", "shot")``."""
        bad = set(terms) - set(NOISE_TERMS)
        if bad:
            raise ValueError(f"unknown noise term(s) {sorted(bad)}; choose from {sorted(NOISE_TERMS)}")
        return dataclasses.replace(cls.off(), **{t: True for t in terms}, **params)

    @property
    def any(self) -> bool:
        """True when at least one term is on."""
        return any(getattr(self, t) for t in NOISE_TERMS)

    @property
    def swing(self) -> float:
        """Vrst - Vref in volts."""
        return self.v_reset - self.v_ref

    @property
    def q0_fc(self) -> float:
        """Nominal threshold charge mean(C) * (Vrst - Vref) in fC."""
        return self.cap_mean * self.swing

    @property
    def electrons_per_threshold(self) -> float:
        """Electrons in the nominal threshold charge (sets the shot-noise level)."""
        return self.q0_fc * 1e-15 / ELEMENTARY_CHARGE

    def as_dict(self) -> dict:
        """Plain dict of every field (for provenance and manifests)."""
        return dataclasses.asdict(self)

    def draw(self, height: int, width: int, seed: int, theta: float, fps: float) -> FixedPattern:
        """Draw the fixed patterns of a sensor, in simulator units (see the module docstring)."""
        rng = np.random.default_rng([int(seed) & 0xFFFFFFFFFFFFFFFF, 0x5EED])
        shape = (height, width)
        i_d = rng.normal(self.dark_mean, self.dark_std, shape)
        cap = rng.normal(self.cap_mean, self.cap_std, shape)
        v_s = rng.normal(self.offset_mean, self.offset_std, shape)
        g = rng.normal(self.gain_mean, self.gain_std, shape) / self.gain_mean
        cap_ratio = cap / self.cap_mean if self.capacitance else np.ones(shape)
        off = v_s if self.threshold_offset else np.zeros(shape)
        thr = theta * cap_ratio * ((self.swing + off) / self.swing)
        # dark charge per tick: I_d [pA] * 1e-12 / fps [s] over Q0 [fC] * 1e-15, in theta units
        dark = theta * np.clip(i_d, 0, None) * 1e3 / (fps * self.q0_fc) if self.dark_current else np.zeros(shape)
        gain = g if self.prnu else np.ones(shape)
        hot = dead = None
        if self.hot_fraction > 0 or self.dead_fraction > 0:
            # drawn from their own generator: a sensor with defects keeps every other pattern of its seed
            rng2 = np.random.default_rng([int(seed) & 0xFFFFFFFFFFFFFFFF, 0xB0D])
            hot = rng2.random(shape) < self.hot_fraction
            i_hot = self.hot_dark * 10.0 ** rng2.random(shape)
            dead = (rng2.random(shape) < self.dead_fraction) & ~hot
            dark = np.where(hot, theta * i_hot * 1e3 / (fps * self.q0_fc), dark)
            dark = np.where(dead, 0.0, dark)
            gain = np.where(dead, 0.0, gain)
        return FixedPattern(
            gain=gain.astype(np.float32),
            dark=dark.astype(np.float32),
            threshold=np.maximum(thr, 1e-3 * theta).astype(np.float32),
            jitter=(theta * cap_ratio * self.jitter_std / self.swing).astype(np.float32),
            shot_scale=np.float32(theta / self.electrons_per_threshold),
            hot=hot, dead=dead,
        )


@dataclass(frozen=True)
class FixedPattern:
    """Per-pixel fixed patterns in simulator units (charge per tick in units where Q0 = theta).

    Attributes:
        gain: photo-response gain (1 = nominal), (H, W) float32.
        dark: dark charge per tick, (H, W) float32.
        threshold: threshold charge, (H, W) float32.
        jitter: threshold jitter standard deviation, (H, W) float32.
        shot_scale: charge of one electron (variance of the shot noise per unit charge).
        hot, dead: (H, W) bool masks of the defect pixels, or None when the model has none.
    """

    gain: np.ndarray
    dark: np.ndarray
    threshold: np.ndarray
    jitter: np.ndarray
    shot_scale: np.float32
    hot: np.ndarray | None = None
    dead: np.ndarray | None = None

    def rates(self, theta: float) -> tuple[np.ndarray, np.ndarray]:
        """(dark rate D, gain G) of the rate model ``r = G * x + D`` (spikes per tick; x = nominal pixel's rate).

        ``D = dark / threshold``, ``G = gain * theta / threshold``: what :func:`spikevision.denoise.calibrate`
        estimates.
        """
        return ((self.dark / self.threshold).astype(np.float32),
                (self.gain * np.float32(theta) / self.threshold).astype(np.float32))
