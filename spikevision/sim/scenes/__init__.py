"""Benchmark scenes with exact ground truth; time is in readout ticks (spike frames).

| scene | ground truth |
|---|---|
| :class:`TextureMotion` | radiance, dense flow ``flow(t, dt)`` |
| :class:`StereoScene` | left/right radiance, ``disparity(t)``, ``depth(t)``, ``occlusion(t)`` |
| :class:`RainScene` | ``clean(t)`` radiance, ``rain_mask(t)``, ``rain_coverage(t)`` |
| :class:`HDRScene` | linear radiance; fold counts from :func:`~spikevision.sim.modulo.simulate_modulo` |
| :class:`MovingObjects` | ``positions(t)``, ``boxes(t)``, ``instances(t)``, ``flow(t, dt)`` |
| :class:`DarkScene`, :class:`FlatScene` | calibration recordings: no light, uniform ``level`` |

Every scene has ``radiance(t)``, ``rate(t, theta, gain)``, ``n_frames`` (alias ``frames``), ``duration``, ``params()``.
"""

from __future__ import annotations

from ..inputs import SceneInputError
from .base import Scene
from .hdr import HDRScene
from .motion import TextureMotion
from .objects import MovingObjects
from .rain import RainScene
from .stereo import StereoScene, StereoView
from .uniform import DarkScene, FlatScene

__all__ = ["Scene", "TextureMotion", "StereoScene", "StereoView", "RainScene", "HDRScene", "MovingObjects",
           "DarkScene", "FlatScene", "SCENES", "make_scene"]

#: scene name -> class (names as in manifests and ``spikevision simulate --scene``)
SCENES = {cls.name: cls for cls in (TextureMotion, StereoScene, RainScene, HDRScene, MovingObjects,
                                            DarkScene, FlatScene)}


def make_scene(name: str, **params) -> Scene:
    """Build a scene by name (``texture_motion``, ``stereo``, ``rain``, ``hdr``, ``moving_objects``)."""
    try:
        cls = SCENES[name]
    except KeyError:
        raise SceneInputError(f"unknown scene {name!r}; choose one of {', '.join(SCENES)}") from None
    return cls(**params)
