"""Bad input gets a FlowInputError naming the fix; estimated fields survive a .flo round trip."""

import numpy as np
import pytest

from spikevision import flow
from spikevision.errors import SpikevisionError
from spikevision.io.flo import read_flo, write_flo

from ._scenes import scene_spikes


@pytest.fixture
def spikes(rng):
    return (rng.random((50, 8, 12)) < 0.3).astype(np.uint8)


@pytest.mark.parametrize("kw,match", [
    (dict(t=0, dt=0), "dt must be a positive integer"),
    (dict(t=0, dt=-5), "dt must be a positive integer"),
    (dict(t=0, dt=2.5), "dt must be a positive integer"),
    (dict(t=40, dt=10), "past the last frame 49; choose t <= 39"),
    (dict(t=50, dt=1), "outside the 50 frames"),
    (dict(t=0, dt=10, method="raft"), "unknown flow method"),
    (dict(t=0, dt=10, method="dis", preset="slow"), "unknown DIS preset"),
    (dict(t=0, dt=10, method="dis", span=3), "bad option"),
    (dict(t=0, dt=10, window=0), "window must be"),
])
def test_bad_arguments(spikes, kw, match):
    with pytest.raises(flow.FlowInputError, match=match) as e:
        flow.estimate(spikes, **kw)
    assert isinstance(e.value, SpikevisionError) and isinstance(e.value, ValueError)


def test_bad_shapes_and_ranges(spikes):
    with pytest.raises(flow.FlowInputError, match=r"\(T, H, W\)"):
        flow.estimate(spikes[0], 0, 1)
    with pytest.raises(flow.FlowInputError, match="no flow field fits"):
        flow.estimate_sequence(spikes, 10, start=45)
    with pytest.raises(flow.FlowInputError, match="step must be"):
        list(flow.iter_estimate(spikes, 10, step=0))


def test_frames_too_small_for_dis(rng):
    s = (rng.random((40, 6, 30)) < 0.3).astype(np.uint8)
    for method in ("best", "dis"):
        with pytest.raises(flow.FlowInputError, match="too small for OpenCV DIS.*farneback"):
            flow.estimate(s, 0, 10, method=method)
    with pytest.raises(flow.FlowInputError, match="too small"):
        flow.StreamingFlow(6, 30, 10)
    assert flow.estimate(s, 0, 10, method="farneback").shape == (6, 30, 2)


def test_metrics_mismatched_shapes():
    from spikevision.metrics import epe

    with pytest.raises(ValueError, match="differ in shape"):
        epe(np.zeros((4, 5, 2)), np.zeros((4, 6, 2)))
    with pytest.raises(ValueError, match="valid mask"):
        epe(np.zeros((4, 5, 2)), np.zeros((4, 5, 2)), valid=np.ones((4, 4), bool))


def test_flo_round_trip(tmp_path):
    s, _ = scene_spikes("translate")
    f = flow.estimate(s, 100, 20)
    write_flo(tmp_path / "f.flo", f)
    back = read_flo(tmp_path / "f.flo")
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, f)
