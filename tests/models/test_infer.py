"""method="learned" through spikevision.recon, streaming, the viewer mode and stream.to("torch")."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import spikevision as sv
from spikevision import _bits
from spikevision.models import ModelError, StreamingLearned, learned_images
from spikevision.recon import iter_reconstruct, reconstruct, reconstruct_sequence

from .conftest import spikes


def test_recon_dispatch(tiny_model):
    s = spikes()
    ref = learned_images(s, [7, 35], model=tiny_model)
    one = reconstruct(s, "learned", at=7, model=tiny_model)
    np.testing.assert_allclose(one, ref[0], atol=1e-6)
    it = dict(iter_reconstruct(s, "learned", start=7, stop=36, step=28, model=tiny_model))
    assert sorted(it) == [7, 35]
    np.testing.assert_allclose(it[35], ref[1], atol=1e-6)
    seq = reconstruct_sequence(s, "learned", start=7, stop=36, step=28, model=tiny_model)
    assert seq.shape == (2, *s.shape[1:]) and seq.dtype == np.float32


def test_rate_scales_the_display(tiny_model):
    s = spikes(p=0.1)
    a = reconstruct(s, "learned", at=30, model=tiny_model)
    b = reconstruct(s, "learned", at=30, model=tiny_model, rate=0.25)
    np.testing.assert_allclose(b, np.minimum(a * 4, 1), atol=1e-5)
    auto = reconstruct(s, "learned", at=30, model=tiny_model, rate="auto")
    assert auto.max() <= 1 and auto.max() > a.max()
    with pytest.raises(ModelError, match="rate"):
        learned_images(s, [3], model=tiny_model, rate=0)


def test_stream_input_and_to_torch(tiny_model):
    s = spikes(50, 10, 14)
    stream = sv.from_array(s)
    ref = learned_images(s, [0, 25, 49], model=tiny_model)
    for a, b in zip(ref, learned_images(stream, [0, 25, 49], model=tiny_model)):
        np.testing.assert_allclose(b, a, atol=1e-6)
    t = stream.to("torch")
    assert isinstance(t, torch.Tensor) and t.dtype == torch.uint8 and tuple(t.shape) == s.shape
    assert torch.equal(t, torch.from_numpy(s))
    assert np.array_equal(stream[5:9].to("torch").numpy(), s[5:9])
    got = reconstruct(t, "learned", at=25, model=tiny_model)
    assert isinstance(got, torch.Tensor)
    np.testing.assert_allclose(got.numpy(), ref[1], atol=1e-6)


@pytest.mark.parametrize("block,every,start", [(1, 1, 0), (13, 7, 0), (64, 5, 3), (200, 9, 30)])
def test_streaming_equals_offline(tiny_model, block, every, start):
    s = spikes(90, 9, 13, seed=block)
    frames = list(range(start, 90, every))
    ref = learned_images(s, frames, model=tiny_model)
    rec = StreamingLearned(9, 13, emit_every=every, start=start, model=tiny_model)
    pk = _bits.pack_frames(s)
    got = []
    for a in range(0, 90, block):
        got += list(rec.iter_packed(pk[a:a + block]))
        assert all(t + rec.lookahead < min(a + block, 90) for t, _ in got)
    got += rec.flush()
    assert [t for t, _ in got] == frames
    for (_, img), r in zip(got, ref):
        np.testing.assert_allclose(img, r, atol=1e-6)
    assert rec.frames_seen == 0   # flush resets


def test_bad_input(tiny_model):
    with pytest.raises(IndexError):
        reconstruct(spikes(), "learned", at=500, model=tiny_model)
    with pytest.raises(ValueError, match="T, H, W"):
        reconstruct(np.zeros((4, 4), np.uint8), "learned", model=tiny_model)
    with pytest.raises(ModelError, match="frames must be"):
        StreamingLearned(9, 13, model=tiny_model).push(np.zeros((3, 9, 12), np.uint8))
    with pytest.raises(ModelError, match="emit_every"):
        StreamingLearned(9, 13, emit_every=0, model=tiny_model)


def test_shipped_default_weights():
    from spikevision.models import DEFAULT, REGISTRY, sha256_file
    from spikevision.models.weights import PACKAGE_DIR

    entry = REGISTRY[DEFAULT]
    path = PACKAGE_DIR / entry.file
    assert path.stat().st_size < 1_000_000 and sha256_file(path) == entry.sha256
    s = spikes(60, 16, 24)
    img = reconstruct(s, "learned", at=30)
    assert img.shape == (16, 24) and img.dtype == np.float32


def test_view_mode_renders(tiny_model):
    from spikevision.viewer.modes import get_mode

    mode = get_mode("learned")
    assert mode.unavailable() is None
    stream = sv.from_array(spikes(60, 16, 24))
    img = mode.render(stream, 30, 41)
    assert img.shape == (16, 24) and img.dtype == np.float32
    it = dict(mode.iterate(stream, 0, 60, 20, 41))
    assert sorted(it) == [0, 20, 40]
    np.testing.assert_allclose(it[20], mode.render(stream, 20, 41), atol=1e-6)


def test_cli_recon_learned(tmp_path, capsys):
    import h5py

    from spikevision.cli import main as cli

    s = spikes(60, 16, 24, seed=4)
    sv.save(tmp_path / "in.h5", s)
    assert cli(["recon", str(tmp_path / "in.h5"), str(tmp_path / "out.h5"), "--method", "learned", "--step", "25",
                "--rate", "0.5"]) == 0
    with h5py.File(tmp_path / "out.h5") as f:
        assert f["frame_index"][:].tolist() == [0, 25, 50]
        np.testing.assert_allclose(f["images"][1], reconstruct(s, "learned", at=25, rate=0.5), atol=1e-6)
    assert cli(["recon", str(tmp_path / "in.h5"), str(tmp_path / "o.h5"), "--method", "learned", "--window",
                "9"]) == 1
    assert "learned" in capsys.readouterr().err and not (tmp_path / "o.h5").exists()


def test_long_window_model_streams_like_offline():
    from spikevision.models import SpikeUNet

    torch.manual_seed(5)
    m = SpikeUNet(width=4, half_widths=(2, 10, 45)).eval()
    torch.nn.init.normal_(m.head.weight, std=0.2)
    s = spikes(150, 8, 10, seed=8)
    frames = list(range(0, 150, 11))
    ref = learned_images(s, frames, model=m)
    rec = StreamingLearned(8, 10, emit_every=11, model=m)
    assert rec.lookahead == 45
    pk = _bits.pack_frames(s)
    got = [x for a in range(0, 150, 17) for x in rec.iter_packed(pk[a:a + 17])] + rec.flush()
    assert [t for t, _ in got] == frames
    for (_, img), r in zip(got, ref):
        np.testing.assert_allclose(img, r, atol=1e-6)
