"""Sensor calibration: dark rate, relative gain, hot and dead pixels from dark and flat-field recordings.

Model (the integrate-and-fire pixel with fixed patterns, as simulated by
:class:`spikevision.sim.NoiseModel`): a pixel with photo gain ``g``, dark
charge ``d`` per tick and threshold ``q`` fires at the rate
``r = (g * x * theta + d) / q = G * x + D`` spikes per tick, where ``x`` is
the rate a nominal pixel would have. ``D = d / q`` (the *dark rate*) is
measured with no light, ``G`` (the *gain*, relative response) under a uniform
light: ``G = (r_flat - D) / x_flat``, with ``x_flat`` the median response when
the flat level is not given. The correction ``x = (r - D) / G`` is the
standard two-point (dark frame / flat field) non-uniformity correction of
image sensors (e.g. EMVA 1288, section 8), applied to firing rates.

Rates are estimated from inter-spike intervals, not counts: with ``n`` spikes
the rate is ``(n - 1) / (t_last - t_first)``, which is exact to a fraction of
a tick over the span (a count over ``T`` frames is off by up to one spike:
about 10 % for a dark pixel with 9 spikes in 2,000 frames; the interval span
is off by about one tick in 1,800).

Hot and dead pixels: a robust z-score of each pixel against the median of its
5x5 neighbourhood, scaled by 1.4826 x the median absolute deviation of those
residuals over the sensor (Rousseeuw & Croux 1993): hot = ``z > hot_z`` in the
dark rate, dead = ``z < -hot_z`` in the flat response (or no spike at all).
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import _bits
from ..backend import get_namespace, to_numpy
from ..errors import FormatError
from . import _kernels

__all__ = ["Calibration", "calibrate", "load_calibration", "hot_pixels", "pixel_rates", "CALIBRATION_FORMAT",
           "LIT_DARK_RATE"]

CALIBRATION_FORMAT = "spikevision.calibration"
CALIBRATION_VERSION = 1
#: a "dark" recording whose median pixel fires faster than this (spikes per tick) is refused as lit
LIT_DARK_RATE = 0.05
#: neighbourhood of the robust z-score (pixels per side)
LOCAL = 5


@dataclass
class Calibration:
    """Per-pixel calibration of one sensor (all arrays (H, W), display orientation).

    Attributes:
        dark_rate: dark rate D in spikes per tick (float32).
        gain: relative response G (float32; median 1.0 unless a flat level was given).
        hot, dead: bool masks of pixels that are repaired from their neighbours.
        dark_rate_std, gain_std: one-sigma uncertainty of each estimate (float32).
        height, width: sensor size.
        frames_used: frames read per recording, e.g. ``{"dark": 2000, "flat": 2000}``.
        provenance: sources, parameters, what could not be estimated (``"missing"``), creation time.
    """

    dark_rate: np.ndarray
    gain: np.ndarray
    hot: np.ndarray
    dead: np.ndarray
    dark_rate_std: np.ndarray
    gain_std: np.ndarray
    height: int
    width: int
    frames_used: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)

    def __post_init__(self):
        shape = (int(self.height), int(self.width))
        for name, dtype in (("dark_rate", np.float32), ("gain", np.float32), ("hot", bool), ("dead", bool),
                            ("dark_rate_std", np.float32), ("gain_std", np.float32)):
            a = np.ascontiguousarray(np.asarray(getattr(self, name), dtype=dtype))
            if a.shape != shape:
                raise FormatError(f"calibration field {name} has shape {a.shape}, expected {shape}; "
                                  f"rebuild the calibration with spikevision.denoise.calibrate")
            setattr(self, name, a)
        if not np.all(np.isfinite(self.dark_rate)) or not np.all(np.isfinite(self.gain)):
            raise FormatError("calibration holds non-finite dark rates or gains; rebuild it with calibrate()")

    @property
    def shape(self) -> tuple[int, int]:
        return (self.height, self.width)

    @property
    def bad(self) -> np.ndarray:
        """Pixels repaired from neighbours: hot or dead."""
        return self.hot | self.dead

    @classmethod
    def identity(cls, height: int, width: int) -> Calibration:
        """A calibration that changes nothing (dark 0, gain 1, no bad pixel)."""
        z = np.zeros((height, width), np.float32)
        return cls(z, z + 1, z.astype(bool), z.astype(bool), z, z, height, width, {}, {"kind": "identity"})

    def check_shape(self, height: int, width: int, what: str = "the stream") -> None:
        """Raise a FormatError when this calibration is not for an ``height`` x ``width`` sensor."""
        if (height, width) != self.shape:
            raise FormatError(f"calibration is for a {self.height}x{self.width} sensor but {what} is "
                              f"{height}x{width}; calibrate this sensor (spikevision calibrate --dark ... --flat ...) "
                              f"or crop the stream to the calibrated size")

    def repair_map(self) -> tuple[np.ndarray, np.ndarray]:
        """(bad, good) flat pixel indices: each bad pixel and its nearest good pixel (Euclidean)."""
        return repair_map(self.bad)

    def correction(self) -> tuple[np.ndarray, np.ndarray]:
        """(dark, 1 / gain) as float32 (H, W); bad pixels get dark 0, gain 1 (they are replaced anyway)."""
        g = np.where(self.bad | (self.gain <= 1e-3), np.float32(1.0), self.gain).astype(np.float32)
        d = np.where(self.bad, np.float32(0.0), self.dark_rate).astype(np.float32)
        return d, (np.float32(1.0) / g).astype(np.float32)

    def apply_rate(self, rate_image: Any) -> Any:
        """Corrected rate ``(rate - dark) / gain`` with hot/dead pixels filled from their nearest good neighbour.

        Args:
            rate_image: (H, W) firing rates in spikes per tick (or (N, H, W)), any backend.

        Returns:
            float32 array of the same shape and backend, clipped below at 0.
        """
        xp = get_namespace(rate_image)
        shape = tuple(rate_image.shape)
        if len(shape) < 2:
            raise FormatError(f"apply_rate takes (H, W) or (N, H, W) rate images, got shape {shape}")
        self.check_shape(shape[-2], shape[-1], "the rate image")
        d, ig = self.correction()
        d, ig = xp.asarray(d), xp.asarray(ig)
        out = xp.maximum((xp.asarray(rate_image, dtype=xp.float32) - d) * ig, 0).astype(xp.float32)
        bad, good = self.repair_map()
        if bad.size:
            flat = out.reshape(*shape[:-2], -1)
            flat[..., xp.asarray(bad)] = flat[..., xp.asarray(good)]
        return out

    def summary(self) -> dict:
        """Plain figures: median dark rate, gain spread, hot/dead counts, frames used."""
        good = ~self.bad
        return {"height": self.height, "width": self.width,
                "dark_rate_median": float(np.median(self.dark_rate[good])) if good.any() else 0.0,
                "gain_median": float(np.median(self.gain[good])) if good.any() else 1.0,
                "gain_std": float(np.std(self.gain[good])) if good.any() else 0.0,
                "hot": int(self.hot.sum()), "dead": int(self.dead.sum()), "frames_used": dict(self.frames_used),
                "missing": list(self.provenance.get("missing", []))}

    def save(self, path: str | os.PathLike, overwrite: bool = True) -> Path:
        """Write an HDF5 file atomically (layout: docs/denoise.md, "Calibration file")."""
        import h5py

        from ..io._atomic import atomic_path

        path = Path(path)
        with atomic_path(path, overwrite=overwrite) as tmp:
            with h5py.File(tmp, "w", libver=("v110", "v110")) as f:
                f.attrs["spikevision_format"] = CALIBRATION_FORMAT
                f.attrs["spikevision_version"] = CALIBRATION_VERSION
                f.attrs["height"], f.attrs["width"] = self.height, self.width
                f.attrs["frames_used"] = json.dumps(self.frames_used)
                f.attrs["provenance"] = json.dumps(self.provenance, default=str)
                for name in ("dark_rate", "gain", "dark_rate_std", "gain_std"):
                    f.create_dataset(name, data=getattr(self, name), compression="gzip", fletcher32=True)
                for name in ("hot", "dead"):
                    f.create_dataset(name, data=getattr(self, name).astype(np.uint8), compression="gzip",
                                     fletcher32=True)
        return path


def load_calibration(path: str | os.PathLike) -> Calibration:
    """Read a calibration written by :meth:`Calibration.save` (or ``spikevision calibrate``)."""
    import h5py

    path = Path(path)
    if not path.is_file():
        raise FormatError(f"calibration file {path} does not exist or is not a file; create one with "
                          f"`spikevision calibrate --dark DARK --flat FLAT {path}`")
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("spikevision_format") != CALIBRATION_FORMAT:
                raise FormatError(f"{path} is not a spikevision calibration file (no spikevision_format = "
                                  f"'{CALIBRATION_FORMAT}'); create one with `spikevision calibrate`")
            version = int(f.attrs.get("spikevision_version", 0))
            if version > CALIBRATION_VERSION:
                raise FormatError(f"{path} is calibration format version {version}, newer than this spikevision "
                                  f"reads ({CALIBRATION_VERSION}); upgrade spikevision")
            h, w = int(f.attrs["height"]), int(f.attrs["width"])
            arrays = {name: f[name][()] for name in ("dark_rate", "gain", "dark_rate_std", "gain_std", "hot",
                                                     "dead")}
            frames_used = json.loads(f.attrs.get("frames_used", "{}"))
            provenance = json.loads(f.attrs.get("provenance", "{}"))
    except FormatError:
        raise
    except (OSError, KeyError, ValueError) as exc:
        raise FormatError(f"cannot read calibration {path}: {exc}; the file is damaged or incomplete, "
                          f"recreate it with `spikevision calibrate`") from exc
    return Calibration(height=h, width=w, frames_used=frames_used, provenance=provenance,
                       **{k: v.astype(bool) if k in ("hot", "dead") else v for k, v in arrays.items()})


def repair_map(bad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(bad, good) flat indices (int64): every ``bad`` pixel and its nearest pixel that is not bad."""
    bad = np.asarray(bad, dtype=bool)
    if not bad.any() or bad.all():
        e = np.zeros(0, np.int64)
        return e, e
    from scipy.ndimage import distance_transform_edt

    _, (ri, ci) = distance_transform_edt(bad, return_indices=True)
    kb = np.flatnonzero(bad)
    good = (ri * bad.shape[1] + ci).reshape(-1)[kb]
    return kb.astype(np.int64), good.astype(np.int64)


def _stream_of(x: Any, what: str):
    from ..stream import SpikeStream, from_array

    if isinstance(x, SpikeStream):
        s = x
    else:
        try:
            s = from_array(to_numpy(x))
        except (TypeError, ValueError) as exc:
            raise FormatError(f"{what} must be a SpikeStream or a (T, H, W) spike array: {exc}") from exc
    if len(s) == 0:
        raise FormatError(f"the {what} recording is empty (0 frames); record at least a few hundred frames "
                          f"(2,000 give rates to about 0.1 %)")
    return s


def pixel_rates(stream: Any, *, block: int = 2048, progress: Callable[[int], Any] | None = None,
                what: str = "input") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interval-based firing rate, its one-sigma uncertainty and the spike count of every pixel, in one pass.

    The rate is ``(n - 1) / (t_last - t_first)`` for ``n >= 2`` spikes, else ``n / T``.

    Returns:
        rate (H, W) float64 spikes per tick, std (H, W) float64, count (H, W) int64.
    """
    s = _stream_of(stream, what)
    h, w = s.height, s.width
    p = _bits.frame_nbytes(h, w) * 8
    count = np.zeros(p, np.int64)
    first = np.zeros(p, np.int64)
    last = np.zeros(p, np.int64)
    sumsq = np.zeros(p, np.float64)
    t = 0
    for pk in s.iter_packed(block):
        _kernels.accumulate_auto(np.ascontiguousarray(pk), t, count, first, last, sumsq)
        t += pk.shape[0]
        if progress:
            progress(pk.shape[0])
    return _finish(count, first, last, sumsq, t, h, w)


def _finish(count, first, last, sumsq, t_len, h, w):
    n = count.astype(np.float64)
    span = (last - first).astype(np.float64)
    many = count >= 2
    rate = np.where(many, (n - 1) / np.maximum(span, 1), n / max(t_len, 1))
    m = np.where(many, span / np.maximum(n - 1, 1), 0.0)
    var = np.where(many, np.maximum(sumsq / np.maximum(n - 1, 1) - m * m, 0.0), 0.0)
    cv2 = np.where(many, var / np.maximum(m * m, 1e-12), 0.0)
    # interval scatter over n - 1 intervals, plus a tick of timing uncertainty at each end of the span
    std = np.where(many, rate * np.sqrt(cv2 / np.maximum(n - 1, 1) + 2.0 / np.maximum(span, 1) ** 2),
                   np.sqrt(n + 1) / max(t_len, 1))
    k = h * w
    return rate[:k].reshape(h, w), std[:k].reshape(h, w), count[:k].reshape(h, w)


def robust_z(img: np.ndarray, size: int = LOCAL) -> np.ndarray:
    """Robust z-score of every pixel against the median of its ``size`` x ``size`` neighbourhood.

    z = (x - median_local(x)) / (1.4826 * MAD of the residuals over the image).
    """
    from scipy.ndimage import median_filter

    img = np.asarray(img, dtype=np.float64)
    res = img - median_filter(img, size=size, mode="reflect")
    mad = 1.4826 * np.median(np.abs(res - np.median(res)))
    if not mad > 0:
        mad = max(float(np.std(res)), 1e-12)
    return res / mad


def calibrate(dark: Any = None, flat: Any = None, *, flat_level: float | None = None, hot_z: float = 5.0,
              progress: Callable[[int], Any] | None = None) -> Calibration:
    """Estimate a sensor's dark rate, gain, hot and dead pixels from a dark and/or a flat-field recording.

    Each recording is read once, block by block (constant memory). With only a dark recording the gain is 1 and
    no pixel is marked dead; with only a flat one the dark rate is 0 and hot pixels are those that fire
    faster than their neighbours under the flat light. ``provenance["missing"]`` names what was not estimated.

    Args:
        dark: SpikeStream or (T, H, W) spikes recorded with no light (lens capped).
        flat: SpikeStream or (T, H, W) spikes of a uniformly lit, defocused white target.
        flat_level: the nominal pixel's firing rate (spikes per tick) under the flat light, when known (e.g. a
            simulation); the gain is then absolute. Default: the median response is gain 1.
        hot_z: robust z-score above which a pixel is hot (and below minus which it is dead).
        progress: called with the number of frames read after each block.

    Returns:
        Calibration.

    Raises:
        FormatError: no recording, an empty one, recordings of different sizes, or a "dark" recording that is
            clearly lit (median rate above :data:`LIT_DARK_RATE`).

    Example:
        >>> import numpy as np
        >>> from spikevision.denoise import calibrate
        >>> dark = np.zeros((400, 8, 8), np.uint8); dark[::200] = 1
        >>> cal = calibrate(dark)
        >>> float(cal.dark_rate[0, 0])
        0.005
    """
    if dark is None and flat is None:
        raise FormatError("calibrate needs a dark recording (dark=), a flat-field recording (flat=) or both; "
                          "record one with the lens capped and one of a uniform white target")
    if not (hot_z > 0 and np.isfinite(hot_z)):
        raise ValueError(f"hot_z must be a positive number (a robust z-score), got {hot_z!r}")
    if flat_level is not None and not (0 < flat_level <= 1):
        raise ValueError(f"flat_level must be a firing rate in (0, 1] spikes per tick, got {flat_level!r}")
    ds = _stream_of(dark, "dark") if dark is not None else None
    fs = _stream_of(flat, "flat") if flat is not None else None
    if ds is not None and fs is not None and ds.shape[1:] != fs.shape[1:]:
        raise FormatError(f"dark recording is {ds.height}x{ds.width} but the flat one is {fs.height}x{fs.width}; "
                          f"give two recordings of the same sensor")
    ref = ds if ds is not None else fs
    h, w = ref.height, ref.width
    missing: list[str] = []
    frames_used: dict[str, int] = {}
    prov: dict[str, Any] = {"hot_z": hot_z, "flat_level": flat_level,
                            "estimator": "interval span (n-1)/(t_last-t_first)",
                            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    dark_rate = np.zeros((h, w))
    dark_std = np.zeros((h, w))
    hot = np.zeros((h, w), bool)
    dead = np.zeros((h, w), bool)
    if ds is not None:
        dark_rate, dark_std, _ = pixel_rates(ds, progress=progress, what="dark")
        med = float(np.median(dark_rate))
        if med > LIT_DARK_RATE:
            raise FormatError(f"the dark recording is lit: its median pixel fires {med:.3g} spikes per tick (a dark "
                              f"sensor fires below {LIT_DARK_RATE}); record it with the lens capped, or pass it as the "
                              f"flat-field recording (flat=, CLI --flat)")
        hot = robust_z(dark_rate) > hot_z
        frames_used["dark"] = len(ds)
        prov["dark"] = _describe(ds)
    else:
        missing += ["dark_rate"]
    gain = np.ones((h, w))
    gain_std = np.zeros((h, w))
    if fs is not None:
        fr, fstd, fcount = pixel_rates(fs, progress=progress, what="flat")
        resp = fr - dark_rate
        z = robust_z(fr)
        dead = (z < -hot_z) | (fcount == 0)
        if ds is None:
            hot = z > hot_z
        good = ~(hot | dead)
        level = float(flat_level) if flat_level is not None else float(np.median(resp[good])) if good.any() else 0.0
        if not level > 0:
            raise FormatError("the flat-field recording is not brighter than the dark one (no response to light); "
                              "record the flat field with the sensor uniformly lit")
        gain = resp / level
        gain_std = np.sqrt(fstd ** 2 + dark_std ** 2) / level
        frames_used["flat"] = len(fs)
        prov["flat"] = _describe(fs)
        prov["flat_response"] = level
    else:
        missing += ["gain", "dead"]
    prov["missing"] = missing
    return Calibration(dark_rate=dark_rate, gain=gain, hot=hot, dead=dead & ~hot, dark_rate_std=dark_std,
                       gain_std=gain_std, height=h, width=w, frames_used=frames_used, provenance=prov)


def _describe(s) -> dict:
    p = s.meta.provenance
    return {"frames": len(s), "fps": s.fps, "path": str(p.get("path", "")) if isinstance(p, dict) else ""}


def hot_pixels(stream: Any, *, z: float = 5.0, block: int = 2048) -> np.ndarray:
    """Hot or stuck pixels of an ordinary scene recording (no dark frame needed): (H, W) bool.

    A pixel is hot when its firing rate exceeds the median of its 5x5 neighbourhood by more than ``z`` robust
    standard deviations (1.4826 x MAD of those residuals over the sensor). Scenes with sharp texture at the
    pixel scale raise the MAD and so lower the sensitivity; a dark recording (:func:`calibrate`) is the reliable
    way.
    """
    if not (z > 0 and np.isfinite(z)):
        raise ValueError(f"z must be a positive number (a robust z-score), got {z!r}")
    rate, _, _ = pixel_rates(stream, block=block, what="scene")
    return robust_z(rate) > z
