"""Validation shared by the flow functions: frame pairs, flow fields, option values."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import SpikevisionError

__all__ = ["FlowInputError", "check_dt", "check_pair", "check_flow", "check_positive_int"]


class FlowInputError(SpikevisionError, ValueError):
    """Bad input to a flow function: a frame pair outside the data, a wrong shape, an option out of range."""


def check_positive_int(value: Any, name: str, low: int = 1) -> int:
    """An integer >= ``low`` (frames, steps, spans)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or int(value) < low:
        raise FlowInputError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def check_dt(dt: Any) -> int:
    """The frame interval of a flow field: an integer number of spike frames >= 1."""
    if isinstance(dt, bool) or not isinstance(dt, (int, np.integer)) or int(dt) < 1:
        raise FlowInputError(f"dt must be a positive integer number of spike frames (e.g. dt=20), got {dt!r}")
    return int(dt)


def check_pair(t: Any, dt: Any, n_frames: int) -> tuple[int, int]:
    """Validate frame ``t`` (negative counts from the end) and ``t + dt`` inside ``n_frames`` frames."""
    dt = check_dt(dt)
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)):
        raise FlowInputError(f"t must be an integer frame index, got {type(t).__name__}")
    t = int(t) + (n_frames if int(t) < 0 else 0)
    if not 0 <= t < n_frames:
        raise FlowInputError(f"frame t={t} is outside the {n_frames} frames of the input; choose 0 <= t < {n_frames}")
    if t + dt >= n_frames:
        raise FlowInputError(f"frame t + dt = {t + dt} is past the last frame {n_frames - 1}; "
                             f"choose t <= {n_frames - 1 - dt} or a smaller dt")
    return t, dt


def check_flow(flow: Any, name: str = "flow") -> tuple[int, int]:
    """(H, W) of an (H, W, 2) flow field."""
    shape = tuple(getattr(flow, "shape", ()))
    if len(shape) != 3 or shape[2] != 2 or shape[0] < 1 or shape[1] < 1:
        raise FlowInputError(f"{name} must be an (H, W, 2) array of (dx, dy) displacements, got shape {shape}")
    return int(shape[0]), int(shape[1])
