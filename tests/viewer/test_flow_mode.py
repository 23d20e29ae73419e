"""The optical-flow view modes: RGB images through the registry, the display path and the window's pixels."""

from __future__ import annotations

import numpy as np
import pytest

import spikevision as sv
from spikevision import flow
from spikevision.viewer.display import to_rgb
from spikevision.viewer.export import frame_rgb
from spikevision.viewer.modes import FunctionMode, get_mode, mode_names, register_mode, unregister_mode
from spikevision.viewer.playback import RenderKey, render_frame

from ..flow._scenes import scene_spikes

H, W = 48, 64


@pytest.fixture(scope="module")
def spikes():
    return np.ascontiguousarray(scene_spikes("translate")[0][:200])


@pytest.fixture(scope="module")
def stream(spikes):
    return sv.from_array(spikes, fps=20000)


def test_flow_modes_registered_after_the_builtins():
    names = mode_names()
    assert names[:6] == ["raw", "tfp", "tfi", "tfstp", "best", "rate"]
    assert "flow" in names and "flow_arrows" in names
    assert get_mode("flow").rgb and not get_mode("tfp").rgb


def test_flow_mode_renders_the_colour_wheel(stream, spikes):
    from spikevision.flow.view import flow_scale

    img = render_frame(stream, RenderKey(60, "flow", 20)).image
    f = flow.estimate(spikes, 60, 20)
    assert img.dtype == np.uint8 and img.shape == (H, W, 3)
    np.testing.assert_array_equal(img, flow.to_color(f, max_magnitude=flow_scale(f)))
    # motion right (and a little up): red dominates, saturated
    mid = img[12:36, 16:48].reshape(-1, 3).mean(axis=0)
    assert mid[0] > 200 and mid[1] < 150
    # the display path passes RGB through: levels, gamma and colormap do not apply
    np.testing.assert_array_equal(to_rgb(img, (0.3, 0.4), 2.0, "inferno"), img)
    from spikevision.viewer.display import DisplaySettings

    np.testing.assert_array_equal(frame_rgb(stream, 60, "flow", 20, DisplaySettings(colormap="jet")), img)
    # near the end the field is the last one that fits
    last = render_frame(stream, RenderKey(199, "flow", 20))
    assert last.error is None and last.image.shape == (H, W, 3)


def test_arrows_mode(stream, spikes):
    from spikevision.recon import tfp

    img = render_frame(stream, RenderKey(60, "flow_arrows", 20)).image
    assert img.dtype == np.uint8 and img.shape == (H, W, 3)
    base = tfp(spikes, at=60, window=41)
    base = np.clip(base / np.percentile(base, 99.5), 0, 1)
    np.testing.assert_array_equal(img, flow.to_arrows(base, flow.estimate(spikes, 60, 20), step=16))
    grey = np.clip(base * 255 + 0.5, 0, 255).astype(np.uint8)
    drawn = (img != grey[..., None]).any(axis=2)
    assert drawn.sum() > 20 and (img[drawn][:, 0].astype(int) - img[drawn][:, 2]).mean() > 20   # orange arrows


def test_rgb_function_mode_and_grey_modes_unchanged(stream, spikes):
    register_mode(FunctionMode("rgbtest", "RGB test", lambda s, at, w: np.full((H, W, 3), (10, 20, 30)), rgb=True))
    try:
        img = render_frame(stream, RenderKey(5, "rgbtest", 1)).image
        assert img.dtype == np.uint8 and img[0, 0].tolist() == [10, 20, 30]
        assert to_rgb(img)[3, 4].tolist() == [10, 20, 30]
    finally:
        unregister_mode("rgbtest")
    tfp = render_frame(stream, RenderKey(60, "tfp", 41)).image
    assert tfp.dtype == np.float32 and tfp.shape == (H, W)
    np.testing.assert_array_equal(to_rgb(np.float32([[0.0, 1.0]]))[0, :, 0], [0, 255])


def test_window_shows_flow_pixels(qt, qtbot, viewer, tmp_path, spikes):
    from spikevision.viewer.window import qimage_to_rgb

    path = tmp_path / "rec.dat"
    sv.save(path, spikes)
    assert viewer.open_file(path, height=H, width=W)
    qtbot.waitUntil(lambda: viewer.shown is not None, timeout=10000)
    viewer.set_mode("flow", 20)
    viewer.set_display(levels=(0.2, 0.3), gamma=0.5, colormap="inferno")   # ignored for an RGB mode
    viewer.set_frame(60)
    qtbot.waitUntil(lambda: viewer.shown.key == viewer.current_key() and viewer.shown.key.mode == "flow",
                    timeout=30000)
    ref = render_frame(sv.from_array(spikes, fps=20000), RenderKey(60, "flow", 20)).image
    np.testing.assert_array_equal(viewer.rgb, ref)
    grab = qimage_to_rgb(viewer.canvas.grab().toImage())
    r, z = viewer.canvas.image_rect(), viewer.canvas.zoom
    ys = int(r.y()) + (np.arange(H) * z + z // 2).astype(int)
    xs = int(r.x()) + (np.arange(W) * z + z // 2).astype(int)
    drawn = grab[np.ix_(ys, xs)]
    cap = viewer.canvas.overlay_rect()
    visible = ~((ys[:, None] >= cap.top() - 1) & (ys[:, None] <= cap.bottom() + 1)
                & (xs[None, :] >= cap.left() - 1) & (xs[None, :] <= cap.right() + 1))
    assert visible.mean() > 0.5
    np.testing.assert_array_equal(drawn[visible], ref[visible])
    viewer._hovered(10, 10)   # the pixel readout names the RGB value
    assert "rgb" in viewer.pixel_label.text()
