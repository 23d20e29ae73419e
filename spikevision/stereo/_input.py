"""Input checks shared by the stereo functions: a matching pair, a frame index, a disparity range."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import SpikevisionError
from ..recon._input import read_window, shape_of
from ..stream import SpikeStream

__all__ = ["StereoInputError", "check_pair", "check_max_disparity", "check_frame", "read_pair_window", "fps_of"]


class StereoInputError(SpikevisionError, ValueError):
    """A stereo input is unusable: mismatched views, a bad disparity range or frame."""


def fps_of(spikes: Any) -> float | None:
    """Readout rate of a stream (None for a bare array)."""
    return spikes.fps if isinstance(spikes, SpikeStream) else None


def check_pair(left: Any, right: Any) -> tuple[int, int, int]:
    """(T, H, W) of two views that match in shape and readout rate, else :class:`StereoInputError`."""
    try:
        sl, sr = shape_of(left), shape_of(right)
    except ValueError as exc:
        raise StereoInputError(f"stereo views: {exc}") from None
    if sl[1:] != sr[1:]:
        raise StereoInputError(f"left and right views differ in size: {sl[1]}x{sl[2]} vs {sr[1]}x{sr[2]}; "
                               f"rectify both to the same size (StereoCalibration.rectify) or crop them alike")
    fl, fr = fps_of(left), fps_of(right)
    if fl is not None and fr is not None and abs(fl - fr) > 1e-6 * max(fl, fr):
        raise StereoInputError(f"left and right views were read out at different rates ({fl:g} Hz vs {fr:g} Hz); "
                               f"the frames must be simultaneous: pass fps= when opening the file that is wrong")
    return min(sl[0], sr[0]), sl[1], sl[2]


def check_max_disparity(max_disparity: Any, width: int) -> int:
    """Validate ``max_disparity``: an integer in [1, width - 1]."""
    if isinstance(max_disparity, bool) or not isinstance(max_disparity, (int, np.integer)):
        raise StereoInputError(f"max_disparity must be an integer number of pixels, got {max_disparity!r}")
    d = int(max_disparity)
    if d < 1:
        raise StereoInputError(f"max_disparity must be >= 1 pixel, got {d}; a typical rig needs 64")
    if d >= width:
        raise StereoInputError(f"max_disparity {d} is not smaller than the image width {width}; "
                               f"choose at most {width - 1} (the disparity of the nearest point)")
    return d


def check_frame(t: Any, n_frames: int) -> int:
    """Validate a frame index (negative counts from the end)."""
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)):
        raise StereoInputError(f"t must be an integer frame index, got {t!r}")
    t = int(t) + (n_frames if t < 0 else 0)
    if not 0 <= t < n_frames:
        raise StereoInputError(f"frame {t} is outside the {n_frames} frames both views hold; "
                               f"choose 0 <= t < {n_frames}")
    return t


def read_pair_window(left: Any, right: Any, start: int, stop: int):
    """Frames [start, stop) of both views as uint8 0/1 arrays on the compute backend."""
    return read_window(left, start, stop), read_window(right, start, stop)
