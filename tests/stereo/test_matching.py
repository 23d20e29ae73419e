"""Disparity of known pairs: constant shifts recovered exactly, the sign pinned, every pixel filled."""

import numpy as np
import pytest

import spikevision as sv
import spikevision.stereo as st
from spikevision.stereo.sgbm import to_uint8_pair

from ._pairs import shifted_texture_pair


@pytest.mark.parametrize("d", [3, 7])
def test_constant_disparity_recovered_exactly(d):
    left, right = shifted_texture_pair(d)
    disp = st.disparity(left, right, 299, max_disparity=16)
    assert disp.shape == (32, 64) and disp.dtype == np.float32 and np.isfinite(disp).all()
    inner = disp[:, d + 4:]                    # left columns < d have no match in the right view
    assert np.median(inner) == pytest.approx(d, abs=0.05)
    assert (np.abs(inner - d) < 0.5).mean() > 0.97


def test_sign_convention():
    """Left column x is right column x - d: swapping the views is not the same pair."""
    left, right = shifted_texture_pair(5)
    assert np.median(st.disparity(left, right, -1, max_disparity=12)[:, 10:]) == pytest.approx(5, abs=0.1)
    swapped = st.disparity(right, left, -1, max_disparity=12)
    assert np.median(np.abs(swapped[:, 10:] - 5)) > 2


def test_confidence_and_dense():
    left, right = shifted_texture_pair(6)
    disp, conf = st.disparity(left, right, -1, max_disparity=16, return_confidence=True)
    assert conf.dtype == np.float32 and conf.min() >= 0 and conf.max() <= 1
    assert conf[:, :6].mean() < conf[:, 12:].mean()          # unmatched left border: low confidence
    assert np.isfinite(disp).all() and disp.min() >= 0 and disp.max() <= 16


def test_sgbm_method_and_params():
    left, right = shifted_texture_pair(4, frames=200)
    d = st.disparity(left, right, 100, method="sgbm", max_disparity=16, recon="tfp", window=41)
    assert np.median(d[:, 10:-4]) == pytest.approx(4, abs=0.3)
    a, b = to_uint8_pair(np.full((2, 2), 0.5, np.float32), np.full((2, 2), 1.0, np.float32))
    assert b.max() == 255 and a.max() == 128
    with pytest.raises(st.StereoInputError, match="block_size"):
        st.disparity(left, right, 100, method="sgbm", max_disparity=16, block_size=4)
    # 64 columns: OpenCV's search of 64 disparities (max_disparity 60 rounded up) needs 67; the error names the fix
    with pytest.raises(st.StereoInputError, match="at least 67 pixels wide.*max_disparity <= 47"):
        st.disparity(left, right, 100, method="sgbm", max_disparity=60)
    assert st.disparity(left, right, 100, method="sgbm", max_disparity=47).shape == (32, 64)


def test_arrays_and_streams_agree():
    left, right = shifted_texture_pair(3, frames=120)
    a = st.disparity(left, right, 100, max_disparity=8)
    b = st.disparity(left.unpack(), right.unpack(), 100, max_disparity=8)
    np.testing.assert_array_equal(a, b)


def test_sequence_and_iterator():
    left, right = shifted_texture_pair(3, frames=160)
    seq = st.disparity_sequence(left, right, step=50, start=10, max_disparity=8)
    assert seq.shape == (3, 32, 64)
    for i, t in enumerate((10, 60, 110)):
        np.testing.assert_array_equal(seq[i], st.disparity(left, right, t, max_disparity=8))


def test_bad_input():
    left, right = shifted_texture_pair(2, frames=50)
    with pytest.raises(st.StereoInputError, match="differ in size"):
        st.disparity(left, right[:, :, :60], 10)
    with pytest.raises(st.StereoInputError, match="different rates"):
        st.disparity(left, right.with_meta(fps=40000.0), 10, max_disparity=8)
    with pytest.raises(st.StereoInputError, match=">= 1"):
        st.disparity(left, right, 10, max_disparity=0)
    with pytest.raises(st.StereoInputError, match="not smaller than the image width"):
        st.disparity(left, right, 10, max_disparity=64)
    with pytest.raises(st.StereoInputError, match="integer"):
        st.disparity(left, right, 10, max_disparity=8.5)
    with pytest.raises(st.StereoInputError, match="outside"):
        st.disparity(left, right, 50, max_disparity=8)
    with pytest.raises(st.StereoInputError, match="unknown stereo method"):
        st.disparity(left, right, 10, method="bm")
    with pytest.raises(st.StereoInputError, match="unknown option"):
        st.disparity(left, right, 10, max_disparity=8, windwo=3)
    with pytest.raises(st.StereoInputError, match="p2"):
        st.disparity(left, right, 10, max_disparity=8, p1=20, p2=10)
    with pytest.raises(st.StereoInputError, match=r"\(T, H, W\)"):
        st.disparity(np.zeros((4, 4)), np.zeros((4, 4)), 0)
    assert isinstance(st.StereoInputError("x"), sv.SpikevisionError if hasattr(sv, "SpikevisionError")
                      else Exception)
