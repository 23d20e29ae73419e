"""The viewer with default settings on a recorded file: exposure, zoom, the frame shown, the ROI plot, the end."""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("PyQt6.QtWidgets")

import spikevision as sv
from spikevision import recon
from spikevision.viewer.display import to_rgb
from spikevision.viewer.exposure import exposure_segment
from spikevision.viewer.modes import FunctionMode, get_mode, register_mode, unregister_mode
from spikevision.viewer.window import qimage_to_rgb

from ._data import if_spikes

H, W = 24, 32


def dim_spikes(t: int, seed: int = 0) -> np.ndarray:
    """A low-light recording: integrate-and-fire at 0.1% to 6% of a spike per tick, a ramp that brightens
    from half to one and a half of 0.2% .. 4.2% over the recording (plus a moving bar)."""
    rng = np.random.default_rng(seed)
    x = np.arange(W) / (W - 1)
    light = np.broadcast_to(0.002 + 0.04 * x, (H, W))
    acc = rng.random((H, W))
    out = np.empty((t, H, W), np.uint8)
    for k in range(t):
        lit = light * (0.5 + k / t)
        lit[:, (k // 20) % W] = 0.03
        acc += lit
        out[k] = acc >= 1.0
        acc -= out[k]
    return out


@pytest.fixture(scope="module")
def dim():
    return dim_spikes(2000)


@pytest.fixture
def dim_dat(tmp_path, dim):
    path = tmp_path / "dim.dat"
    sv.save(path, dim)
    return path


@pytest.fixture
def dat(tmp_path):
    path = tmp_path / "rec.dat"
    sv.save(path, if_spikes(400, H, W))
    return path


def _open(viewer, qtbot, path, frame=0):
    assert viewer.open_file(path, height=H, width=W)
    viewer.set_frame(frame)
    qtbot.waitUntil(lambda: viewer.shown is not None and viewer.shown.key.index == frame, timeout=10000)


def test_low_light_is_shown_with_automatic_exposure(viewer, qtbot, dim_dat, dim):
    _open(viewer, qtbot, dim_dat, 1000)
    assert viewer.view_panel.mode_name == "tfp" and viewer.display_panel.auto.isChecked()
    rate = recon.auto_rate(dim, *exposure_segment(len(dim), 1000))  # measured on the frames around 1000
    assert rate < 0.05
    assert viewer.display_panel.levels == pytest.approx((0.0, rate), abs=1e-4)
    # the picture equals the library's reconstruction at that exposure (within float rounding)
    ref = to_rgb(recon.tfp(dim, at=1000, window=41, rate=rate))
    assert np.abs(viewer.rgb.astype(int) - ref.astype(int)).max() <= 1
    np.testing.assert_array_equal(viewer.shown.image, recon.tfp(dim, at=1000, window=41))  # physical values
    # and it is bright on screen: on the physical scale (levels 0..1) it was nearly black
    qtbot.wait(20)
    grab = qimage_to_rgb(viewer.canvas.grab().toImage())
    r = viewer.canvas.image_rect()
    drawn = grab[int(r.top()) + 2:int(r.bottom()) - 2, int(r.left()) + 2:int(r.right()) - 2]
    assert drawn.mean() > 60
    assert to_rgb(recon.tfp(dim, at=1000, window=41)).mean() < 15


def test_exposure_is_fixed_during_playback_and_measured_again_after_a_seek(viewer, qtbot, dim_dat, dim):
    viewer.exposure.frames = 200  # small segments, so playback crosses several
    _open(viewer, qtbot, dim_dat, 100)
    first = viewer.display_panel.levels
    assert first == pytest.approx((0.0, recon.auto_rate(dim, 0, 200)), abs=1e-4)
    seen = set()
    viewer.frameReady.connect(lambda: seen.add(viewer.display_panel.levels))
    viewer.set_speed(4000.0)
    viewer.set_playing(True)
    qtbot.waitUntil(lambda: viewer.index > 700, timeout=20000)
    viewer.set_playing(False)
    for _ in range(5):
        seen.add(viewer.display_panel.levels)
        qtbot.wait(20)
    assert seen == {first}, "the levels must not change while playing"
    viewer.set_frame(1500)  # a seek out of the segment: shown at once, then measured there once seeking settles
    qtbot.waitUntil(lambda: viewer.shown.key.index == 1500, timeout=10000)
    there = (0.0, recon.auto_rate(dim, 1400, 1600))
    qtbot.waitUntil(lambda: viewer.display_panel.levels == pytest.approx(there, abs=1e-4), timeout=5000)
    assert viewer.exposure.segment == (1400, 1600)


def test_best_window_is_the_library_default(viewer, qtbot, dat, monkeypatch):
    from spikevision.recon.adaptive import ADAPTIVE_DEFAULTS

    spikes = if_spikes(400, H, W)
    _open(viewer, qtbot, dat, 200)
    viewer.set_mode("best")
    qtbot.waitUntil(lambda: viewer.shown.key.mode == "best" and viewer.shown.key.index == 200, timeout=30000)
    assert viewer.view_panel.window.value() // 2 == ADAPTIVE_DEFAULTS["span"]
    # what `spikevision recon --method best` writes (no --window): the library's defaults
    np.testing.assert_allclose(viewer.shown.image, recon.reconstruct(spikes, "best", at=200), atol=1e-6)
    monkeypatch.setitem(ADAPTIVE_DEFAULTS, "span", 10)  # read by reference, not a copied number
    assert get_mode("best").default_window // 2 == 10


def test_zoom_before_the_first_image_is_kept(viewer, qtbot, dat):
    import argparse

    from spikevision.viewer.app import apply_state
    from spikevision.viewer.options import add_view_arguments

    p = argparse.ArgumentParser()
    add_view_arguments(p)
    apply_state(viewer, p.parse_args([str(dat), "--height", str(H), "--width", str(W), "--zoom", "3"]))
    qtbot.waitUntil(lambda: viewer.shown is not None, timeout=10000)
    qtbot.wait(20)
    assert viewer.canvas.zoom == 3.0
    r = viewer.canvas.image_rect()
    assert (r.width(), r.height()) == (3 * W, 3 * H)
    c = viewer.canvas
    assert abs(r.center().x() - c.width() / 2) <= 1 and abs(r.center().y() - c.height() / 2) <= 1


def _slow(s, at, w):
    time.sleep(0.03)  # slower than the display timer: playback draws skip frames
    return s[at].astype(np.float32)


@pytest.fixture
def slow_mode():
    """A plug-in mode slower than the display timer (registered before the window builds its menus)."""
    yield register_mode(FunctionMode("slow_test", "Slow (test)", _slow, default_window=1, window_range=(1, 1)),
                        replace=True)
    unregister_mode("slow_test")


def test_overlay_frame_box_and_status_bar_name_the_drawn_frame(slow_mode, viewer, qtbot, dat):
    _open(viewer, qtbot, dat)
    viewer.set_mode("slow_test")
    viewer.set_speed(600.0)
    viewer.set_playing(True)
    checked = 0
    deadline = time.monotonic() + 5
    while viewer.playing and time.monotonic() < deadline and checked < 12:
        qtbot.wait(37)
        if viewer.shown is None or viewer.shown.key.mode != "slow_test":
            continue
        i = viewer.shown.key.index
        assert viewer.canvas.overlay.startswith(f"frame {i:,} ")
        assert viewer.transport.frame.value() == i and viewer.transport.slider.value() == i
        assert viewer.status_frame.text().startswith(f"frame {i:,}/")
        checked += 1
    assert checked >= 5
    viewer.set_playing(False)


@pytest.mark.parametrize("mode", ["best", "tfp"])
def test_playback_stops_on_the_last_frame_and_shows_it(viewer, qtbot, dat, mode):
    _open(viewer, qtbot, dat, 360)
    viewer.set_mode(mode)
    viewer.set_speed(3000.0)
    viewer.set_playing(True)
    qtbot.waitUntil(lambda: not viewer.playing, timeout=20000)
    qtbot.waitUntil(lambda: viewer.shown.key.index == 399, timeout=10000)
    assert viewer.index == 399 and viewer.shown.key.mode == mode and viewer.shown.error is None
    assert viewer.canvas.overlay.startswith("frame 399 ") and "⚠" not in viewer.canvas.overlay
    assert viewer.transport.frame.value() == 399 and viewer.status_frame.text().startswith("frame 399/")
    qtbot.wait(100)
    assert not viewer.playing and viewer.shown.key.index == 399  # stays there
    viewer.set_playing(True)  # play again: from the start
    assert viewer.index == 0
    viewer.set_playing(False)


def test_roi_plot_is_visible_with_a_camera(viewer, qtbot):
    viewer.open_camera("sim://?height=24&width=32&fps=20000&seed=3")
    qtbot.waitUntil(lambda: viewer.shown is not None, timeout=20000)
    viewer.canvas.set_roi((2, 10, 4, 20))
    qtbot.waitUntil(lambda: len(viewer.trace.values("intensity")) >= 3, timeout=20000)
    assert viewer.camera_panel.isVisible()
    assert viewer.display_panel.auto.isChecked() and viewer.exposure.rate is not None  # cameras: exposure too
    assert viewer.display_panel.levels == pytest.approx((0.0, viewer.exposure.rate), abs=1e-4)
    trace = viewer.trace
    assert trace.isVisible() and trace.height() >= 100
    assert trace.visibleRegion().boundingRect().size() == trace.size()  # not clipped by a scroll area
    top_left = trace.mapTo(viewer, trace.rect().topLeft())
    assert viewer.rect().contains(top_left) and viewer.rect().contains(top_left + trace.rect().bottomRight())
    # its plot is drawn in the window's pixels (the intensity curve's colour)
    grab = qimage_to_rgb(viewer.grab().toImage())
    region = grab[top_left.y():top_left.y() + trace.height(), top_left.x():top_left.x() + trace.width()]
    assert (np.abs(region.astype(int) - region.astype(int).mean(axis=(0, 1))).sum(axis=2) > 60).any()
    viewer.close_source()
