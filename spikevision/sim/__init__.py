"""Spike camera simulation: integrate-and-fire with a calibrated noise model, and scenes with ground truth.

Example:
    >>> from spikevision.sim import make_sample
    >>> s = make_sample(frames=200)   # doctest: +SKIP
"""

from __future__ import annotations

from .engine import Engine
from .inputs import SceneInputError
from .noise import FixedPattern, NoiseModel
from .photometry import expected_rate, linear_to_srgb, mosaic, srgb_to_linear
from .sample import make_sample, sample_scene
from .scenes import Scene, TextureMotion
from .simulator import Simulator, simulate, simulate_blocks

__all__ = ["simulate", "simulate_blocks", "Simulator", "Engine", "NoiseModel", "FixedPattern", "make_sample",
           "sample_scene", "expected_rate", "srgb_to_linear", "linear_to_srgb", "mosaic", "Scene", "TextureMotion",
           "SceneInputError"]
