"""Shared fixtures: a seeded RNG, a temporary directory, offscreen Qt."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("SPIKEVISION_PROGRESS", "0")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def random_spikes(rng: np.random.Generator, t: int, h: int, w: int, p: float = 0.3) -> np.ndarray:
    """Random (t, h, w) uint8 spikes with firing probability p."""
    return (rng.random((t, h, w)) < p).astype(np.uint8)


@pytest.fixture
def cp():
    """The CuPy module; the test is skipped where CuPy has no CUDA GPU (GPU tests also carry the ``gpu`` mark)."""
    from spikevision.backend import cupy_available

    if not cupy_available():
        pytest.skip("needs CuPy with a CUDA GPU")
    import cupy

    return cupy
