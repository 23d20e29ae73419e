"""The "derain" and "rain mask" view modes render real streams, through the viewer's export path."""

import numpy as np

from spikevision.derain import derain, rain_mask
from spikevision.stream import from_array
from spikevision.viewer.display import DisplaySettings
from spikevision.viewer.export import frame_rgb
from spikevision.viewer.modes import get_mode, mode_names

from ._scenes import drop_spikes


def test_modes_registered_and_render():
    assert {"derain", "rain mask"} <= set(mode_names())
    s, where = drop_spikes()
    stream = from_array(s)
    img = get_mode("derain").render(stream, 240, 320)
    np.testing.assert_array_equal(img, derain(s, 240, method="temporal", block=40, blocks=8))
    rgb = get_mode("rain mask").render(stream, 240, 320)
    assert rgb.shape == (12, 16, 3)
    red = (rgb[..., 0] > 0) & (rgb[..., 1] == 0) & (rgb[..., 2] == 0)
    np.testing.assert_array_equal(red, rain_mask(s, 240, block=40, blocks=8))
    before, after = get_mode("derain").span(320)
    assert before >= 20 + 4 * 40 - 1 and after >= 3 * 40 + 19


def test_colour_display_and_export():
    s, _ = drop_spikes()
    out = frame_rgb(from_array(s), 240, "rain mask", 320, DisplaySettings(levels=(0.0, 1.0)))
    assert out.shape == (12, 16, 3) and out.dtype == np.uint8
    assert (out[4, 5] == [255, 0, 0]).all() and out[0, 0, 0] == out[0, 0, 1]   # red rain, grey elsewhere


def test_mp4_export_of_the_overlay_is_colour(tmp_path):
    import cv2

    from spikevision.viewer.export import export_range

    s, _ = drop_spikes()
    out = export_range(from_array(s), 200, 280, tmp_path / "rain.mp4", mode="rain mask", window=320, step=40,
                       display=DisplaySettings(levels=(0.0, 1.0)))
    cap = cv2.VideoCapture(str(out))
    ok, frame = cap.read()
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    assert ok and n == 2 and frame.shape == (12, 16, 3)
