"""One name for a length in spike frames across spikevision.sim: ``n_frames``; ``frames`` is its alias."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from spikevision import sim
from spikevision.sim import SCENES, SceneInputError


@pytest.mark.parametrize("cls", list(SCENES.values()))
def test_scenes_take_n_frames_and_the_frames_alias(cls):
    a = cls(16, 24, n_frames=30, seed=1)
    b = cls(16, 24, frames=30, seed=1)
    c = cls(16, 24, 30, seed=1)
    assert a.n_frames == b.n_frames == c.n_frames == a.frames == 30
    assert a.duration == pytest.approx(30 / 20000)
    assert (a.radiance(10.0) == b.radiance(10.0)).all()
    assert cls(16, 24).n_frames == 2000
    assert cls(16, 24, n_frames=30, frames=30).n_frames == 30
    assert cls(16, 24, frames=40).n_frames == 40  # the alias overrides the default
    with pytest.raises(SceneInputError, match="alias"):
        cls(16, 24, n_frames=30, frames=40)
    assert "n_frames=30" in repr(a)


def test_every_length_argument_of_sim_is_named_n_frames():
    fns = [*SCENES.values(), sim.simulate, sim.Simulator, sim.make_sample, sim.sample_scene,
           sim.benchmark_entries, sim.write_benchmark]
    for fn in fns:
        params = inspect.signature(fn).parameters
        assert "n_frames" in params, fn
        assert params["frames"].default is None and params["frames"].kind == inspect.Parameter.KEYWORD_ONLY, fn


def test_simulate_takes_the_scene_length_and_either_name():
    scene = sim.TextureMotion(12, 16, n_frames=40, seed=2)
    s = sim.simulate(scene, seed=3)
    assert len(s) == 40
    a = sim.simulate(scene, n_frames=25, seed=3).unpack()
    assert (sim.simulate(scene, frames=25, seed=3).unpack() == a).all()
    assert (sim.Simulator(scene, frames=25, seed=3).run().unpack() == a).all()
    assert (a == s[:25].unpack()).all()
    with pytest.raises(SceneInputError, match="alias"):
        sim.simulate(scene, n_frames=25, frames=26)
    const = np.full((4, 8), 0.5, np.float32)
    assert len(sim.simulate(const, frames=12)) == 12


def test_sample_and_benchmark_take_either_name():
    assert (sim.make_sample(8, 16, n_frames=20).unpack() == sim.make_sample(8, 16, frames=20).unpack()).all()
    assert sim.sample_scene(8, 16, frames=7).n_frames == 7
    assert [e.scene.n_frames for e in sim.benchmark_entries(8, 16, frames=9, tasks=("flow",))] == [9, 9]
    assert sim.make_scene("rain", height=8, width=16, frames=11).n_frames == 11
    p = sim.TextureMotion(8, 16, n_frames=5).params()
    assert p["frames"] == 5  # the key manifests already hold
    assert sim.make_scene(p["scene"], height=8, width=16, frames=p["frames"]).n_frames == 5
