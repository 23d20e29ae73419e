"""Spike camera simulation: integrate-and-fire with a calibrated noise model, and scenes with ground truth.

Example:
    >>> import numpy as np
    >>> from spikevision.sim import simulate, NoiseModel
    >>> s = simulate(np.full((8, 16), 0.5, np.float32), n_frames=100, init="zero")
    >>> float(s.firing_rate().mean())
    0.25
"""

from __future__ import annotations

from .benchmark import BENCHMARK_VERSION, benchmark_entries, write_benchmark
from .engine import Engine
from .inputs import SceneInputError, read_image
from .modulo import ModuloRecord, load_modulo, save_modulo, simulate_modulo
from .noise import FixedPattern, NoiseModel
from .photometry import expected_rate, linear_to_srgb, mosaic, srgb_to_linear
from .sample import make_sample, sample_scene
from .scenes import (
                     SCENES,
                     DarkScene,
                     FlatScene,
                     HDRScene,
                     MovingObjects,
                     RainScene,
                     Scene,
                     StereoScene,
                     TextureMotion,
                     make_scene,
)
from .simulator import Simulator, simulate, simulate_blocks
from .writer import simulate_to_file

__all__ = ["simulate", "simulate_blocks", "Simulator", "Engine", "NoiseModel", "FixedPattern", "make_sample",
           "sample_scene", "expected_rate", "srgb_to_linear", "linear_to_srgb", "mosaic", "read_image",
           "Scene", "TextureMotion", "StereoScene", "RainScene", "HDRScene", "MovingObjects", "DarkScene",
           "FlatScene", "SCENES",
           "make_scene", "SceneInputError", "ModuloRecord", "simulate_modulo", "save_modulo", "load_modulo",
           "simulate_to_file", "write_benchmark", "benchmark_entries", "BENCHMARK_VERSION"]
