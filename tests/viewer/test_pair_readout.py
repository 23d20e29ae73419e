"""Hovering a pixel of the "disparity" mode adds its depth to the pixel readout."""

from __future__ import annotations

import spikevision.stereo as st
from tests.stereo._pairs import shifted_texture_pair


def test_disparity_readout_names_the_depth(qt, viewer, qtbot, tmp_path):
    left, right = shifted_texture_pair(5, frames=120)
    assert viewer.open_file(st.save_pair(tmp_path / "pair.h5", left, right, focal=100.0, baseline=0.1))
    qtbot.waitUntil(lambda: viewer.shown is not None, timeout=10000)
    viewer.set_mode("disparity", 64)
    viewer.set_frame(100)
    qtbot.waitUntil(lambda: viewer.shown.key == viewer.current_key() and viewer.shown.key.mode == "disparity",
                    timeout=30000)
    viewer._hovered(10, 30)
    text = viewer.pixel_label.text()
    assert "value" in text and "depth" in text and " m" in text, text
