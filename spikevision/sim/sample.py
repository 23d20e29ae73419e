"""The small deterministic sample stream used by ``make demo``, the tests and the docs."""

from __future__ import annotations

from ..stream import SpikeStream
from .inputs import frames_alias
from .noise import NoiseModel
from .scenes.motion import TextureMotion
from .simulator import Simulator

__all__ = ["make_sample", "sample_scene"]


def sample_scene(height: int = 250, width: int = 400, n_frames: int = 2000, seed: int = 0, *,
                 frames: int | None = None) -> TextureMotion:
    """The scene of :func:`make_sample`: a natural texture drifting right and down with a slow rotation.

    ``frames`` is an alias of ``n_frames``.
    """
    return TextureMotion(height, width, frames_alias(n_frames, frames, 2000), seed=seed, velocity=(0.02, 0.01),
                         rotation=2e-5)


def make_sample(height: int = 250, width: int = 400, n_frames: int = 2000, seed: int = 0,
                noise: bool = False, *, frames: int | None = None) -> SpikeStream:
    """A deterministic simulated spike stream of a moving textured scene (20 kHz, sensor "sim").

    Integrate-and-fire with theta = 2, subtract reset, uniform seeded initial charge; ``noise=True``
    adds the full calibrated noise model (same seed: the clean stream is its noise-free twin).
    Provenance records the scene parameters and the seed, so the sample can be rebuilt exactly.
    ``frames`` is an alias of ``n_frames``.
    """
    scene = sample_scene(height, width, frames_alias(n_frames, frames, 2000), seed)
    sim = Simulator(scene, fps=20000.0, theta=2.0, noise=NoiseModel() if noise else None, seed=seed)
    stream = sim.run()
    prov = {**stream.meta.provenance, "generator": "spikevision.sim.make_sample", "scene": scene.params(),
            "seed": seed, "noise": bool(noise)}
    return stream.with_meta(provenance=prov)
