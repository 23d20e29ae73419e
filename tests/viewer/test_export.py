"""Export: PNG snapshot, PNG sequence, mp4, .dat and .h5 ranges; cancellation leaves nothing."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import spikevision as sv
from spikevision import recon
from spikevision.errors import OutputError
from spikevision.viewer.display import DisplaySettings, to_rgb
from spikevision.viewer.export import ExportCancelled, export_kind, export_range, frame_rgb, save_png

from ._data import if_spikes


@pytest.fixture(scope="module")
def spikes():
    return if_spikes(120, 16, 24)


@pytest.fixture(scope="module")
def stream(spikes):
    return sv.from_array(spikes, fps=20000)


def _read_png(path):
    return cv2.imread(str(path), cv2.IMREAD_COLOR)[..., ::-1]


def test_kinds():
    assert [export_kind(p) for p in ("a.mp4", "a.DAT", "a.h5", "a.hdf5", "frames", "x.png")] == \
        ["mp4", "dat", "h5", "h5", "png", "png"]
    with pytest.raises(OutputError, match="unknown extension '.avi'"):
        export_kind("a.avi")


def test_snapshot_png_round_trips(tmp_path, rng):
    rgb = rng.integers(0, 256, (7, 9, 3), dtype=np.uint8)
    save_png(rgb, tmp_path / "s.png")
    np.testing.assert_array_equal(_read_png(tmp_path / "s.png"), rgb)
    with pytest.raises(OutputError, match="must end in .png"):
        save_png(rgb, tmp_path / "s.jpg")


def test_png_sequence_equals_displayed_frames(tmp_path, stream, spikes):
    disp = DisplaySettings(levels=(0.1, 0.7), gamma=0.8, colormap="inferno")
    out = export_range(stream, 40, 60, tmp_path / "seq", mode="tfp", window=21, display=disp, step=5)
    files = sorted(p.name for p in out.glob("*.png"))
    assert files == [f"frame_{i:06d}.png" for i in (40, 45, 50, 55)]
    for i in (40, 45, 50, 55):
        ref = to_rgb(recon.tfp(spikes, at=i, window=21), (0.1, 0.7), 0.8, "inferno")
        np.testing.assert_array_equal(_read_png(out / f"frame_{i:06d}.png"), ref)
    assert [p.name for p in tmp_path.iterdir()] == ["seq"]  # no temporary left behind


def test_mp4_has_every_frame(tmp_path, stream):
    disp = DisplaySettings()
    out = export_range(stream, 10, 40, tmp_path / "clip.mp4", mode="tfp", window=41, display=disp, video_fps=25)
    cap = cv2.VideoCapture(str(out))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f[..., ::-1])
    cap.release()
    assert len(frames) == 30 and frames[0].shape == (16, 24, 3)
    ref = frame_rgb(stream, 25, "tfp", 41, disp)
    assert np.abs(frames[15].astype(int) - ref.astype(int)).mean() < 12  # lossy codec, same picture
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]


@pytest.mark.parametrize("name,opts", [("r.dat", {"height": 16, "width": 24}), ("r.h5", {})])
def test_spike_ranges_are_bit_exact(tmp_path, stream, spikes, name, opts):
    out = export_range(stream, 30, 90, tmp_path / name)
    back = sv.open(out, **opts)
    np.testing.assert_array_equal(back.unpack(), spikes[30:90])


@pytest.mark.parametrize("name", ["c.mp4", "seq", "c.h5"])
def test_cancel_leaves_nothing(tmp_path, stream, name):
    calls = []

    def progress(done, total):
        calls.append(done)
        return done < 3

    with pytest.raises(ExportCancelled, match="nothing was written"):
        export_range(stream, 0, 20, tmp_path / name, progress=progress)
    assert list(tmp_path.iterdir()) == []


def test_empty_range_and_missing_directory(tmp_path, stream):
    with pytest.raises(OutputError, match="nothing to export"):
        export_range(stream, 50, 50, tmp_path / "a.mp4")
    with pytest.raises(OutputError, match="does not exist"):
        export_range(stream, 0, 5, tmp_path / "nope" / "a.mp4")


def test_sequential_modes_export_the_same_images(tmp_path, stream, spikes):
    disp = DisplaySettings()
    out = export_range(stream, 40, 70, tmp_path / "best", mode="best", window=65, display=disp, step=10)
    for i in (40, 50, 60):
        ref = to_rgb(recon.reconstruct(spikes, "best", at=i, span=32))
        np.testing.assert_array_equal(_read_png(out / f"frame_{i:06d}.png"), ref)


def test_dat_export_keeps_fps_in_its_sidecar(tmp_path, spikes):
    s = sv.from_array(spikes, fps=37000)
    back = sv.open(export_range(s, 0, 20, tmp_path / "m.dat"))  # the sidecar gives layout and fps
    assert back.fps == 37000 and back.shape == (20, 16, 24)
