"""Benchmark scenes with exact ground truth (time in readout ticks)."""

from __future__ import annotations

from .base import Scene
from .motion import TextureMotion

__all__ = ["Scene", "TextureMotion"]
