"""Classical optical flow on two spike reconstructions: OpenCV DIS and Farneback.

The baseline a spike-camera user reaches for: reconstruct the frames ``t`` and ``t + dt`` and run
an image optical-flow method on the pair; the flow over ``dt`` spike frames is the image-pair flow.
Reconstruction: log TFP over ``window`` frames (:mod:`spikevision.flow._images`; the log turns the
camera's wide brightness range into contrast, a stretch shared by both images keeps brightness
constancy). Matchers (from OpenCV, not rewritten): DIS, Kroeger et al., "Fast Optical Flow using
Dense Inverse Search", ECCV 2016; Farneback, "Two-Frame Motion Estimation Based on Polynomial
Expansion", SCIA 2003.

Sub-interval chaining: when ``dt`` exceeds ``chain`` frames the interval is split into
``ceil(dt / chain)`` equal steps, each step's flow is estimated and the steps are composed
(``F = F + warp(f_k, F)``), which keeps each match small where motion is fast: the spike camera's
frame rate makes those in-between images free. Where a TFP window is clipped at an end of the data
its image shows the middle of the frames it averages; the field is rescaled to ``dt`` accordingly.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from ._checks import FlowInputError, check_positive_int
from ._images import PackedImages
from .warp import warp

__all__ = ["dis_flow", "farneback_flow", "dis_support", "farneback_support", "DIS_PRESETS", "make_dis"]

#: DIS preset names accepted by ``preset=``
DIS_PRESETS = {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
               "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}


def make_dis(preset: str):
    """An OpenCV DIS matcher with a named preset."""
    if preset not in DIS_PRESETS:
        raise FlowInputError(f"unknown DIS preset {preset!r}; choose one of {', '.join(DIS_PRESETS)}")
    return cv2.DISOpticalFlow_create(DIS_PRESETS[preset])


def _check_common(window: int, chain: int) -> None:
    check_positive_int(window, "window")
    if window > 255:
        raise FlowInputError(f"window must be at most 255 frames, got {window}")
    check_positive_int(chain, "chain")


def dis_support(dt: int, window: int = 41, chain: int = 40, preset: str = "medium") -> tuple[int, int]:
    """Frames before ``t`` and after ``t + dt`` that :func:`dis_flow` reads (validates the options)."""
    _check_common(window, chain)
    make_dis(preset)
    return window // 2, window // 2


def farneback_support(dt: int, window: int = 41, chain: int = 40, levels: int = 3, winsize: int = 15,
                      iterations: int = 3) -> tuple[int, int]:
    """Frames before ``t`` and after ``t + dt`` that :func:`farneback_flow` reads (validates the options)."""
    _check_common(window, chain)
    for v, n in ((levels, "levels"), (winsize, "winsize"), (iterations, "iterations")):
        check_positive_int(v, n)
    return window // 2, window // 2


def _chained(src: PackedImages, t: int, dt: int, chain: int, pair) -> np.ndarray:
    k = max(1, math.ceil(dt / chain))
    ts = [t + round(dt * i / k) for i in range(k + 1)]
    lo, hi = src.stretch(ts[0])
    u8 = src.u8(ts, lo, hi)
    total = pair(u8[0], u8[1])
    for i in range(1, k):
        step = pair(u8[i], u8[i + 1])
        total = total + warp(step, total)
    span = src.time(ts[-1]) - src.time(ts[0])   # != dt only where a TFP window is clipped at an end of the data
    if span > 0 and span != dt:
        total = total * np.float32(dt / span)
    return total.astype(np.float32, copy=False)


def dis_flow(src: PackedImages, t: int, dt: int, window: int = 41, chain: int = 40,
             preset: str = "medium") -> np.ndarray:
    """DIS flow from frame ``t`` to ``t + dt`` of the frames ``src`` holds ((H, W, 2) float32 pixels)."""
    matcher = make_dis(preset)
    return _chained(src, t, dt, chain, lambda a, b: matcher.calc(a, b, None))


def farneback_flow(src: PackedImages, t: int, dt: int, window: int = 41, chain: int = 40, levels: int = 3,
                   winsize: int = 15, iterations: int = 3) -> np.ndarray:
    """Farneback flow from frame ``t`` to ``t + dt`` (OpenCV, pyramid scale 0.5, poly_n 5, sigma 1.2)."""
    def pair(a, b):
        return cv2.calcOpticalFlowFarneback(a, b, None, 0.5, levels, winsize, iterations, 5, 1.2, 0)

    return _chained(src, t, dt, chain, pair)
