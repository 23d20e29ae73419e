"""The images the flow estimators match: log-domain TFP reconstructions straight from packed spikes.

Every estimator of this package looks at log TFP images (Zhu et al., ICME 2019: the firing rate
over ``window`` frames, here in the spikevision convention) computed with the compiled TFP kernel of
:mod:`spikevision.recon._kernels` from a packed window of frames. The log makes brightness
differences contrast (ratio) differences, which is what an optical-flow matcher sees under the spike
camera's wide dynamic range; rates below half a spike per window are clipped to that floor.
One source serves both the offline functions and :class:`~spikevision.flow.StreamingFlow`, so the
two give identical fields on the same frames.
"""

from __future__ import annotations

import numpy as np

from .. import _bits
from ..recon.tfp import tfp_scale
from ._kernels import window_counts

__all__ = ["PackedImages", "pad_packed", "to_uint8", "stretch", "stretch_sample"]


def pad_packed(packed: np.ndarray) -> np.ndarray:
    """Packed frames (n, F) copied into rows padded to whole uint64 words: an (n, 8 ceil(F / 8)) uint8 array."""
    n, fb = packed.shape
    work = np.zeros((n, (fb + 7) // 8 * 8), dtype=np.uint8)
    work[:, :fb] = packed
    return work


class PackedImages:
    """Log TFP images of frames ``0 .. n - 1`` of a padded packed window (``work8[p0 : p0 + n]``).

    TFP windows are clipped to the ``n`` frames held: callers hold every frame a window needs
    except at the real ends of the data, where the offline :func:`~spikevision.recon.tfp` clips too.
    """

    def __init__(self, work8: np.ndarray, p0: int, n: int, height: int, width: int, window: int = 41):
        self.work8, self.p0, self.n = work8, int(p0), int(n)
        self.height, self.width, self.window = int(height), int(width), int(window)
        self._cache: dict[tuple[int, int], np.ndarray] = {}

    def floor_of(self, window: int | None = None) -> float:
        """The log floor of images over ``window`` frames: ``log(0.5 / window)`` (half a spike)."""
        return float(np.log(0.5 / (window or self.window)))

    @property
    def floor(self) -> float:
        """The log floor of the default window."""
        return self.floor_of()

    def bounds(self, frame: int, window: int | None = None) -> tuple[int, int]:
        """Frames [a, b) of the TFP window of ``frame`` (relative to the window held)."""
        w = window or self.window
        a = frame - w // 2
        return max(0, a), min(self.n, a + w)

    def time(self, frame: int, window: int | None = None) -> float:
        """The instant a frame's image shows: the middle of its (possibly clipped) TFP window. Equal to
        ``frame`` inside the data; off by up to ``window // 4`` where the window is clipped at an end."""
        a, b = self.bounds(frame, window)
        return (a + b - 1) / 2.0

    def counts(self, frame: int, window: int | None = None) -> np.ndarray:
        """(H, W) uint8 spike counts over the TFP window of ``frame`` (compiled kernel)."""
        a, b = self.bounds(frame, window)
        acc = np.empty(self.work8.shape[1], dtype=np.uint64)   # one word (8 byte lanes) per packed byte
        window_counts(self.work8, a + self.p0, b + self.p0, _bits.LUT64, acc)
        npix = self.height * self.width
        return acc.view(np.uint8)[:npix].reshape(self.height, self.width)

    def tfp(self, frames: list[int], window: int | None = None) -> np.ndarray:
        """(len(frames), H, W) float32 TFP images (rate 1 = a spike every frame; spikevision convention)."""
        out = np.empty((len(frames), self.height, self.width), np.float32)
        for i, f in enumerate(frames):
            a, b = self.bounds(f, window)
            np.multiply(self.counts(f, window), tfp_scale(b - a, 1.0), out=out[i], dtype=np.float32)
        return np.minimum(out, np.float32(1.0), out=out)

    def _lut(self, frame: int, window: int) -> np.ndarray:
        """Count -> log TFP value of ``frame``: ``log(max(count / frames averaged, 0.5 / window))``, float32."""
        a, b = self.bounds(frame, window)
        return np.log(np.maximum(np.arange(256, dtype=np.float64) / (b - a), 0.5 / window)).astype(np.float32)

    def _counts_cached(self, frame: int, window: int) -> np.ndarray:
        if (frame, window) not in self._cache:
            self._cache[(frame, window)] = self.counts(frame, window)
        return self._cache[(frame, window)]

    def log(self, frames: list[int], window: int | None = None) -> list[np.ndarray]:
        """Log TFP images (float32, floor ``log(0.5 / window)``) of ``frames`` (counts cached)."""
        w = window or self.window
        return [np.take(self._lut(f, w), self._counts_cached(f, w)) for f in frames]

    def stretch(self, frame: int, window: int | None = None) -> tuple[float, float]:
        """The 8-bit contrast range of the log image of ``frame`` (see :func:`stretch`)."""
        w = window or self.window
        sub = np.take(self._lut(frame, w), self._counts_cached(frame, w)[::4, ::4])
        return stretch_sample(sub, self.floor_of(w))

    def u8(self, frames: list[int], lo: float, hi: float, window: int | None = None) -> list[np.ndarray]:
        """The log images of ``frames`` mapped to 8 bits by :func:`to_uint8` with ``[lo, hi]``: equal to
        ``to_uint8(log image, lo, hi)``, computed as a 256-entry table indexed by the counts."""
        w = window or self.window
        return [np.take(to_uint8(self._lut(f, w), lo, hi), self._counts_cached(f, w)) for f in frames]


def to_uint8(img: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Map [lo, hi] to 0..255 (clipped, rounded): the 8-bit images OpenCV's matchers take."""
    scale = np.float32(255.0 / max(hi - lo, 1e-6))
    return np.clip((img - np.float32(lo)) * scale + np.float32(0.5), 0, 255).astype(np.uint8)


def stretch(img: np.ndarray, floor: float) -> tuple[float, float]:
    """Contrast range of a log image: its 1st and 99.9th percentile on a 1-in-16 pixel subsample (fast),
    never below ``floor`` and at least 0.5 (a factor 1.65 in rate) wide."""
    return stretch_sample(img[::4, ::4], floor)


def stretch_sample(sub: np.ndarray, floor: float) -> tuple[float, float]:
    """:func:`stretch` of an already subsampled log image."""
    sub = sub.ravel()
    lo, hi = np.percentile(sub, [1.0, 99.9]) if sub.size else (floor, 0.0)
    lo = max(float(lo), float(floor))
    return lo, max(float(hi), lo + 0.5)

