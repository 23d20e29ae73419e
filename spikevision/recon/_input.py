"""Input handling shared by the reconstruction functions.

Spikes come as a :class:`~spikevision.stream.SpikeStream` (read lazily, only
the frames a reconstruction needs) or a (T, H, W) array of any backend
(nonzero = spike). Images go back on the caller's backend: NumPy for streams.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _bits
from ..backend import backend_name, get_namespace, like, to_numpy
from ..stream import SpikeStream

__all__ = ["Spikes", "shape_of", "read_window", "read_packed", "on_cpu", "check_frame", "check_window", "check_rate",
           "check_engine", "output_like", "to_caller", "xp_of", "ENGINES"]

#: engine= choices of the functions that have compiled kernels
ENGINES = ("auto", "numba", "reference")

Spikes = Any  # SpikeStream | (T, H, W) array (NumPy, CuPy or torch)


def shape_of(spikes: Spikes) -> tuple[int, int, int]:
    """(T, H, W) of a stream or an array; raises ValueError naming the fix for other shapes."""
    if isinstance(spikes, SpikeStream):
        return spikes.shape
    shape = tuple(getattr(spikes, "shape", ()))
    if len(shape) != 3:
        raise ValueError(f"spikes must be a SpikeStream or a (T, H, W) array, got shape {shape}; "
                         f"add a time axis with spikes[None] for a single frame")
    t, h, w = (int(s) for s in shape)
    if t < 1 or h < 1 or w < 1:
        raise ValueError(f"spikes must have at least one frame of at least one pixel, got shape {(t, h, w)}")
    return t, h, w


def xp_of(spikes: Spikes):
    """Array module for computing on ``spikes`` (NumPy for streams and torch tensors)."""
    if isinstance(spikes, SpikeStream):
        return np
    return get_namespace(spikes)


def read_window(spikes: Spikes, start: int, stop: int):
    """Frames [start, stop) (already clipped to the data) as a uint8 0/1 array on the compute backend."""
    if isinstance(spikes, SpikeStream):
        return spikes[start:stop].unpack()
    part = spikes[start:stop]
    if backend_name(spikes) == "torch":
        part = to_numpy(part)
    xp = get_namespace(part)
    if part.dtype != xp.uint8:
        part = (part != 0).astype(xp.uint8)
    return part


def on_cpu(spikes: Spikes) -> bool:
    """Whether ``spikes`` is a stream or a NumPy array (data the compiled CPU kernels can read)."""
    return isinstance(spikes, SpikeStream) or backend_name(spikes) == "numpy"


def read_packed(spikes: Spikes, start: int, stop: int) -> np.ndarray:
    """Frames [start, stop) of a stream or a NumPy array as canonical packed (n, ceil(H*W/8)) uint8."""
    if isinstance(spikes, SpikeStream):
        return spikes[start:stop].packed()
    return _bits.pack_frames(np.asarray(spikes[start:stop]))


def check_engine(engine: str) -> str:
    """Validate ``engine=``: "auto", "numba" or "reference"."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose auto, numba or reference")
    return engine


def check_frame(at: int, n_frames: int) -> int:
    """Validate a frame index (negative counts from the end)."""
    if not isinstance(at, (int, np.integer)):
        raise TypeError(f"at must be an integer frame index, got {type(at).__name__}")
    at = int(at)
    if at < 0:
        at += n_frames
    if not 0 <= at < n_frames:
        raise IndexError(f"frame {at} is outside the {n_frames} frames of the input; choose 0 <= at < {n_frames}")
    return at


def check_window(window: int, name: str = "window", low: int = 1, high: int = 255) -> int:
    """Validate a window length in frames."""
    if not isinstance(window, (int, np.integer)) or not low <= int(window) <= high:
        raise ValueError(f"{name} must be an integer number of frames in [{low}, {high}], got {window!r}")
    return int(window)


def check_rate(rate: float) -> float:
    """Validate the firing rate that maps to intensity 1 (a number: "auto" is resolved by the caller)."""
    if isinstance(rate, str):
        raise ValueError(f"rate must be a positive number here, got {rate!r}; measure one with "
                         f"spikevision.recon.auto_rate(spikes) on the first frames and pass it")
    rate = float(rate)
    if not (rate > 0 and np.isfinite(rate)):
        raise ValueError(f"rate must be a positive number (the firing rate shown as white), got {rate!r}")
    return rate


def to_caller(result, spikes: Spikes):
    """Return a result computed on the compute backend on the caller's backend (torch input: a tensor)."""
    if backend_name(spikes) == "torch":
        return like(to_numpy(result), spikes)
    return result


def output_like(image, spikes: Spikes):
    """Return an image computed on the compute backend on the caller's backend, float32."""
    return to_caller(image.astype(get_namespace(image).float32, copy=False), spikes)

