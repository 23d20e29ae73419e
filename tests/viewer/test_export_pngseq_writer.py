"""The viewer's PNG-sequence export goes through io.video's PngSequenceWriter: names, colour, atomicity."""

import cv2
import numpy as np
import pytest

from spikevision.io.video import PngSequenceWriter


def test_png_writer_prefix_names_and_round_trip(tmp_path):
    rgb = (np.arange(4 * 6 * 3).reshape(4, 6, 3) * 3 % 256).astype(np.uint8)
    with PngSequenceWriter(tmp_path / "seq", prefix="frame_") as w:
        w.write(rgb.astype(np.float32) / np.float32(255.0), frame_index=17)
    assert sorted(p.name for p in (tmp_path / "seq").glob("*.png")) == ["frame_000017.png"]
    back = cv2.imread(str(tmp_path / "seq" / "frame_000017.png"))[..., ::-1]
    np.testing.assert_array_equal(back, rgb)


def test_png_writer_rejects_a_path_in_the_prefix(tmp_path):
    with pytest.raises(ValueError, match="prefix"):
        PngSequenceWriter(tmp_path / "seq", prefix="a/b")
