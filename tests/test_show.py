"""Pictures for people: sv.render, sv.show, the Jupyter view of a stream, short reprs."""

from __future__ import annotations

import base64
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest

import spikevision as sv
from spikevision import recon
from spikevision.camera._block import SpikeBlock
from tests.conftest import random_spikes


def gradient_spikes(rng, t=200, h=12, w=20):
    """Spikes whose rate grows from left (0) to right (0.4)."""
    p = np.linspace(0, 0.4, w)[None, None, :]
    return (rng.random((t, h, w)) < p).astype(np.uint8)


def decode_png(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)


def test_render_is_the_auto_exposed_tfp_image(rng):
    x = gradient_spikes(rng)
    s = sv.from_array(x)
    img = sv.render(s, at=100, window=64)
    tfp = recon.reconstruct(x, "tfp", at=100, window=64, rate=recon.auto_rate(x, 68, 132))
    assert img.dtype == np.uint8 and img.shape == (12, 20)
    assert np.abs(img.astype(int) - np.round(tfp * 255)).max() <= 1
    assert (sv.render(x, at=100, window=64) == img).all()  # arrays of spikes too
    assert img[:, -1].mean() > 200 and img[:, 0].max() == 0
    assert (sv.render(s, at=0, window=64) == sv.render(s, at=32, window=64)).all()  # windows stay inside
    assert (sv.render(s, at=-1, window=64) == sv.render(s, at=168, window=64)).all()
    assert (sv.render(s, rate=1.0) <= sv.render(s)).all()


def test_render_images():
    gray = np.linspace(0, 1, 12).reshape(3, 4)
    assert (sv.render(gray) == np.round(gray * 255)).all()
    rgb = np.zeros((3, 4, 3), np.uint8)
    rgb[..., 0] = 200
    assert (sv.render(rgb) == rgb).all()
    assert (decode_png(sv._show.to_png(rgb))[..., 2] == 200).all()  # red stays red (OpenCV is BGR)
    with pytest.raises(ValueError, match="at="):
        sv.render(gray, at=3)


def test_render_refuses_bad_arguments(rng):
    s = sv.from_array(random_spikes(rng, 10, 4, 4))
    with pytest.raises(IndexError, match="0 <= at < 10"):
        sv.render(s, at=10)
    with pytest.raises(ValueError, match="window"):
        sv.render(s, window=0)
    with pytest.raises(ValueError, match="rate"):
        sv.render(s, rate="bright")


def test_show_outside_jupyter_writes_path_or_warns(tmp_path, rng):
    s = sv.from_array(gradient_spikes(rng))
    out = tmp_path / "f.png"
    assert sv.show(s, at=50, path=out) is None
    assert (decode_png(out.read_bytes()) == sv.render(s, at=50)).all()
    assert [p.name for p in tmp_path.iterdir()] == ["f.png"]
    with pytest.warns(UserWarning, match="path="):
        sv.show(s)


def test_show_displays_inline_in_a_kernel(rng, monkeypatch):
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    s = sv.from_array(gradient_spikes(rng))
    shell = InteractiveShell.instance()
    try:
        monkeypatch.setattr(shell, "kernel", object(), raising=False)  # what ipykernel's shell has
        with capture_output() as cap:
            sv.show(s, at=20)
            sv.show(np.eye(4))
        assert len(cap.outputs) == 2
        assert (decode_png(base64.b64decode(cap.outputs[0].data["image/png"])) == sv.render(s, at=20)).all()
        assert (decode_png(base64.b64decode(cap.outputs[1].data["image/png"])) == np.eye(4) * 255).all()
    finally:
        InteractiveShell.clear_instance()


def test_show_does_not_import_ipython(tmp_path):
    code = ("import sys, warnings, numpy as np, spikevision as sv; warnings.simplefilter('ignore');"
            "sv.show(np.eye(4)); print('IPython' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


def test_stream_html_view(tmp_path, rng):
    x = gradient_spikes(rng, t=300, h=250, w=400)
    p = sv.save(tmp_path / "g.dat", x, head_columns=16)
    s = sv.open(p, head_columns=16, fps=40000)
    page = s._repr_html_()
    for fact in ("300 frames", "250", "400", "40,000 Hz", "0.0075 s", "dat", "16 head columns",
                 "bottom-up", "g.dat"):
        assert fact in page
    data = re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1)
    thumb = decode_png(base64.b64decode(data))
    assert thumb.shape == (160, 256)  # the longest side scaled to 256
    want = cv2.resize(sv.render(s), (256, 160), interpolation=cv2.INTER_AREA)
    assert (thumb == want).all()
    assert thumb[:, -20:].mean() > 200 and thumb[:, :5].mean() < 20
    crop = s[:, 10:20, 30:38]._repr_html_()
    assert "crop rows 10..19, columns 30..37" in crop and "data:image/png" in crop
    assert "data:image/png" not in s[5:5]._repr_html_()  # an empty stream has no picture


def test_html_view_survives_a_failing_read(tmp_path, rng):
    p = sv.save(tmp_path / "v.dat", random_spikes(rng, 10, 8, 8))
    s = sv.open(p, height=8, width=8)
    p.write_bytes(b"")  # the file shrank under the stream
    page = s._repr_html_()
    assert "10 frames" in page and "unavailable" in page and "reopen" in page


def test_short_reprs(rng, tmp_path):
    s = sv.from_array(random_spikes(rng, 1000, 250, 400, p=0.01), fps=20000)
    assert repr(s) == "SpikeStream(shape=(1000, 250, 400), fps=20000, duration=0.05s, format='memory')"
    p = sv.save(tmp_path / "r.h5", s)
    assert repr(sv.open(p)[100:200:2, 5:9, 0:16]) == (
        "SpikeStream(shape=(50, 4, 16), fps=10000, duration=0.005s, format='h5', file='r.h5', t0=0.005, "
        "crop=[5, 0, 4, 16])")
    block = SpikeBlock(s[:500].packed(), index=7, height=250, width=400, fps=20000.0, host_time=1.0, partial=True)
    assert repr(block) == "SpikeBlock(n_frames=500, 250x400, index=7, fps=20000, dropped_before=0, partial=True)"
    assert len(repr(block)) < 120
