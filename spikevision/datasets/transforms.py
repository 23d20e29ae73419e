"""Sample transforms for learning: small frozen dataclasses over plain functions.

Each transform is called as ``t(item, rng)`` on an item dict ``{"spikes": SpikeStream | array, "gt":
{...}, "id": str}`` and returns a new item. Time windows and crops stay lazy on a SpikeStream (only
the frames and rows needed are read); :class:`Representation` turns spikes into the network input:
raw spikes, TFP or TFI images (Zhu et al., ICME 2019 / DCC 2019) or DSFT intervals (Zhang et al.,
CVPR 2023). Spatial transforms apply to ground-truth arrays of the same (H, W) too (flow: the sign of
the flipped component changes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import SpikevisionError
from ..stream import SpikeStream

__all__ = ["TimeWindow", "RandomCrop", "CenterCrop", "RandomFlip", "Representation", "ToTensor", "apply",
           "REPRESENTATIONS"]

REPRESENTATIONS = ("raw", "tfp", "tfi", "dsft")


def _hw(item: dict) -> tuple[int, int]:
    s = item["spikes"]
    return (s.height, s.width) if isinstance(s, SpikeStream) else tuple(np.shape(s)[-2:])


def _spatial_gt(item: dict, h: int, w: int, fn) -> dict:
    """Apply ``fn(array, is_flow)`` to every ground-truth array whose first two axes are (h, w)."""
    out = {}
    for k, v in item["gt"].items():
        if isinstance(v, list):
            out[k] = [fn(x, x.ndim == 3 and x.shape[-1] == 2 and k.startswith("flow")) if _is_map(x, h, w) else x
                      for x in v]
        elif _is_map(v, h, w):
            out[k] = fn(v, v.ndim == 3 and v.shape[-1] == 2 and k.startswith("flow"))
        else:
            out[k] = v
    return out


def _is_map(v: Any, h: int, w: int) -> bool:
    return isinstance(v, np.ndarray) and v.ndim >= 2 and v.shape[:2] == (h, w)


@dataclass(frozen=True)
class TimeWindow:
    """Keep ``length`` frames: centred on the middle frame, from ``start``, or at a random place (``where``)."""

    length: int
    where: str = "center"
    start: int = 0

    def __call__(self, item: dict, rng: np.random.Generator) -> dict:
        s = item["spikes"]
        t = len(s)
        if self.length > t:
            raise SpikevisionError(f"TimeWindow({self.length}) is longer than the recording {item.get('id')} "
                                   f"({t} frames); choose a length <= {t}")
        if self.where == "center":
            a = (t - self.length) // 2
        elif self.where == "start":
            a = self.start
        elif self.where == "random":
            a = int(rng.integers(0, t - self.length + 1))
        else:
            raise SpikevisionError(f"TimeWindow where={self.where!r}; choose 'center', 'start' or 'random'")
        if not 0 <= a <= t - self.length:
            raise SpikevisionError(f"TimeWindow start {a} + length {self.length} leaves the {t} frames of "
                                   f"{item.get('id')}; choose start <= {t - self.length}")
        return {**item, "spikes": s[a:a + self.length], "t0": a}


@dataclass(frozen=True)
class RandomCrop:
    """A random ``height`` x ``width`` window (the same for the spikes and the ground-truth maps)."""

    height: int
    width: int

    def _origin(self, h: int, w: int, rng) -> tuple[int, int]:
        if self.height > h or self.width > w:
            raise SpikevisionError(f"crop {self.height}x{self.width} is larger than the {h}x{w} frames; "
                                   f"choose a smaller crop")
        return int(rng.integers(0, h - self.height + 1)), int(rng.integers(0, w - self.width + 1))

    def __call__(self, item: dict, rng: np.random.Generator) -> dict:
        h, w = _hw(item)
        top, left = self._origin(h, w, rng)
        return _crop(item, h, w, top, left, self.height, self.width)


@dataclass(frozen=True)
class CenterCrop(RandomCrop):
    """The centred ``height`` x ``width`` window."""

    def _origin(self, h: int, w: int, rng) -> tuple[int, int]:
        super()._origin(h, w, rng)
        return (h - self.height) // 2, (w - self.width) // 2


def _crop(item: dict, h: int, w: int, top: int, left: int, ch: int, cw: int) -> dict:
    s = item["spikes"]
    s = s.crop(top, left, ch, cw) if isinstance(s, SpikeStream) else s[..., top:top + ch, left:left + cw]
    gt = _spatial_gt(item, h, w, lambda a, _: a[top:top + ch, left:left + cw])
    out = {**item, "spikes": s, "gt": gt}
    if isinstance(item.get("right"), SpikeStream):
        out["right"] = item["right"].crop(top, left, ch, cw)
    return out


@dataclass(frozen=True)
class RandomFlip:
    """Flip left-right (``horizontal``) and/or up-down (``vertical``), each with probability ``p``.

    Flow maps change the sign of the flipped component. Stereo pairs are refused (a left-right
    flip would swap the views).
    """

    horizontal: bool = True
    vertical: bool = False
    p: float = 0.5

    def __call__(self, item: dict, rng: np.random.Generator) -> dict:
        if item.get("right") is not None and self.horizontal:
            raise SpikevisionError("RandomFlip(horizontal=True) would swap the views of a stereo pair; "
                                   "use RandomFlip(horizontal=False, vertical=True)")
        h, w = _hw(item)
        for axis, on, comp in ((1, self.horizontal, 0), (0, self.vertical, 1)):
            if not on or rng.random() >= self.p:
                continue
            s = item["spikes"]
            if isinstance(s, SpikeStream):
                s = s.unpack()
            s = np.flip(s, axis=s.ndim - 2 + axis).copy()

            def flip(a, is_flow, axis=axis, comp=comp):
                a = np.flip(a, axis=axis).copy()
                if is_flow:
                    a[..., comp] *= -1
                return a

            item = {**item, "spikes": s, "gt": _spatial_gt(item, h, w, flip)}
        return item


@dataclass(frozen=True)
class Representation:
    """Spikes -> network input: ``raw`` (T, H, W) 0/1, ``tfp`` / ``tfi`` (1, H, W) at the middle frame
    over ``window`` frames, or ``dsft`` (T, H, W) inter-spike intervals, all float32."""

    kind: str = "raw"
    window: int = 41

    def __post_init__(self):
        if self.kind not in REPRESENTATIONS:
            raise SpikevisionError(f"unknown representation {self.kind!r}; choose one of {', '.join(REPRESENTATIONS)}")

    def __call__(self, item: dict, rng: np.random.Generator | None = None) -> dict:
        from .. import recon

        s = item["spikes"]
        x = s.unpack() if isinstance(s, SpikeStream) else np.asarray(s)
        if self.kind == "raw":
            out = x.astype(np.float32)
        elif self.kind in ("tfp", "tfi"):
            fn = recon.tfp if self.kind == "tfp" else recon.tfi
            out = np.asarray(fn(x, len(x) // 2, window=min(self.window, len(x) | 1)), np.float32)[None]
        else:
            out = np.asarray(recon.dsft(x), np.float32)
        return {**item, "spikes": out}


@dataclass(frozen=True)
class ToTensor:
    """Arrays -> ``torch`` tensors (spikes as ``dtype``; ground-truth arrays keep float32 / int64)."""

    dtype: str = "float32"

    def __call__(self, item: dict, rng: np.random.Generator | None = None) -> dict:
        import torch

        s = item["spikes"]
        x = s.unpack() if isinstance(s, SpikeStream) else np.ascontiguousarray(s)
        out = {**item, "spikes": torch.from_numpy(np.ascontiguousarray(x)).to(getattr(torch, self.dtype))}
        out["gt"] = {k: _tensor(v) for k, v in item["gt"].items()}
        return out


def _tensor(v: Any) -> Any:
    import torch

    if isinstance(v, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(v))
    if isinstance(v, list):
        return [_tensor(x) for x in v]
    if isinstance(v, SpikeStream):
        return torch.from_numpy(v.unpack())
    if isinstance(v, dict):
        return {k: _tensor(x) for k, x in v.items()}
    return v


def apply(transforms, item: dict, rng: np.random.Generator) -> dict:
    """Apply transforms in order."""
    for t in transforms:
        item = t(item, rng)
    return item
