"""The viewer shows a colour (Bayer) stream in colour, with a toggle to its raw mosaic."""

import numpy as np

from spikevision.io import h5
from spikevision.stream import from_array
from spikevision.viewer.playback import RenderKey, render_frame


def test_raw_mosaic_toggle_switches_colour_and_mosaic(viewer, tmp_path, rng):
    spikes = (rng.random((120, 16, 24)) < 0.3).astype(np.uint8)
    path = tmp_path / "colour.h5"
    h5.write(path, from_array(spikes, cfa="rggb"))
    assert viewer.open_file(path)
    viewer.set_mode("tfi")
    colour = render_frame(viewer.stream, RenderKey(60, "tfi", 41)).image
    assert colour.shape == (16, 24, 3)
    viewer.raw_mosaic_action.trigger()          # View > Raw mosaic
    assert viewer.raw_mosaic and viewer.stream.meta.cfa is None
    mosaic = render_frame(viewer.stream, RenderKey(60, "tfi", 41)).image
    assert mosaic.shape == (16, 24)
    # the mosaic is what the colour image was demosaiced from: each site keeps its own channel's value
    np.testing.assert_allclose(colour[0::2, 0::2, 0], mosaic[0::2, 0::2], atol=1e-6)
    np.testing.assert_allclose(colour[1::2, 1::2, 2], mosaic[1::2, 1::2], atol=1e-6)
    viewer.raw_mosaic_action.trigger()
    assert not viewer.raw_mosaic and viewer.stream.meta.cfa == "rggb"
    assert render_frame(viewer.stream, RenderKey(60, "tfi", 41)).image.shape == (16, 24, 3)


def test_rate_modes_in_colour_and_mosaic(viewer, tmp_path, rng):
    """tfp, denoised and hdr (no record: the tone-mapped rate) show a Bayer stream in colour, demosaiced from the
    very mosaic they show with the toggle on; the per-pixel diagnostics (raw, rate) stay on the mosaic."""
    spikes = (rng.random((400, 16, 24)) < 0.3).astype(np.uint8)
    path = tmp_path / "colour.h5"
    h5.write(path, from_array(spikes, cfa="rggb"))
    assert viewer.open_file(path)
    colour = {m: render_frame(viewer.stream, RenderKey(200, m, 41)).image for m in ("tfp", "denoised", "hdr", "raw",
                                                                                   "rate")}
    viewer.raw_mosaic_action.trigger()
    mosaic = {m: render_frame(viewer.stream, RenderKey(200, m, 41)).image for m in colour}
    for m in ("tfp", "denoised"):
        assert colour[m].shape == (16, 24, 3) and mosaic[m].shape == (16, 24), m
        np.testing.assert_allclose(colour[m][0::2, 0::2, 0], mosaic[m][0::2, 0::2], atol=1e-6)
        np.testing.assert_allclose(colour[m][1::2, 1::2, 2], mosaic[m][1::2, 1::2], atol=1e-6)
    assert colour["hdr"].shape == (16, 24, 3) and mosaic["hdr"].shape == (16, 24)
    for m in ("raw", "rate"):
        np.testing.assert_array_equal(colour[m], mosaic[m])
