"""Pair container, calibration files, rectification."""

import json

import cv2
import numpy as np
import pytest

import spikevision as sv
import spikevision.stereo as st
from spikevision.errors import FormatError, OutputError

from ._pairs import shifted_texture_pair


def test_pair_roundtrip(tmp_path):
    left, right = shifted_texture_pair(3, frames=40)
    cal = st.StereoCalibration.ideal(64, 32, 100.0, 0.1)
    p = st.save_pair(tmp_path / "pair.h5", left, right, calibration=cal)
    pair = st.open_pair(p)
    np.testing.assert_array_equal(pair.left.unpack(), left.unpack())
    np.testing.assert_array_equal(pair.right[5:9].unpack(), right[5:9].unpack())
    assert pair.focal == pytest.approx(cal.focal) and pair.baseline == pytest.approx(0.1)
    assert pair.calibration == cal and pair.calibration != st.StereoCalibration.ideal(64, 32, 99.0, 0.1)
    assert pair.left.fps == left.fps and pair.rectified
    lv, rv = pair
    assert lv is pair.left and rv is pair.right
    with pytest.raises(OutputError):
        st.save_pair(p, left, right)
    st.save_pair(p, left[:10], right[:10], overwrite=True)
    assert len(st.open_pair(p).left) == 10
    assert not list(tmp_path.glob("*.part*"))


def test_sv_open_names_open_pair(tmp_path):
    left, right = shifted_texture_pair(2, frames=10)
    p = st.save_pair(tmp_path / "pair.h5", left, right)
    with pytest.raises(FormatError, match="open_pair"):
        sv.open(p)


def test_open_pair_refuses_other_files(tmp_path):
    s = sv.from_array(np.zeros((4, 8, 8), np.uint8))
    sv.save(tmp_path / "one.h5", s)
    with pytest.raises(FormatError, match="not a stereo pair"):
        st.open_pair(tmp_path / "one.h5")
    (tmp_path / "x.h5").write_bytes(b"nope")
    with pytest.raises(FormatError, match="not an HDF5"):
        st.open_pair(tmp_path / "x.h5")
    with pytest.raises(FormatError, match="no such file"):
        st.open_pair(tmp_path / "missing.h5")


def test_calibration_files(tmp_path):
    cal = st.StereoCalibration.ideal(64, 32, 90.0, 0.05)
    for ext in (".yml", ".json", ".xml"):
        cal.save(tmp_path / f"c{ext}")
        back = st.StereoCalibration.load(tmp_path / f"c{ext}")
        np.testing.assert_allclose(back.K2, cal.K2)
        np.testing.assert_allclose(back.T, cal.T)
        assert back.image_size == (64, 32)
    # OpenCV's stereo_calib sample spells the camera matrices M1/M2 and uses separate width/height
    fs = cv2.FileStorage(str(tmp_path / "ocv.yml"), cv2.FILE_STORAGE_WRITE)
    for k, v in dict(M1=cal.K1, D1=cal.D1[None], M2=cal.K2, D2=cal.D2[None], R=cal.R, T=cal.T[:, None]).items():
        fs.write(k, v)
    fs.write("width", 64)
    fs.write("height", 32)
    fs.release()
    assert st.StereoCalibration.load(tmp_path / "ocv.yml").image_size == (64, 32)
    (tmp_path / "bad.json").write_text(json.dumps({"K1": 1}))
    with pytest.raises(FormatError):
        st.StereoCalibration.load(tmp_path / "bad.json")
    with pytest.raises(st.StereoInputError, match="rotation"):
        st.StereoCalibration(cal.K1, cal.D1, cal.K2, cal.D2, 2 * np.eye(3), cal.T, (64, 32))


def test_rectify_identity():
    left, right = shifted_texture_pair(3, frames=20)
    cal = st.StereoCalibration.ideal(64, 32, 80.0, 0.1)
    rl, rr = cal.rectify((left, right))
    np.testing.assert_array_equal(rl.unpack(), left.unpack())
    np.testing.assert_array_equal(rr.unpack(), right.unpack())
    assert rl.meta.provenance["rectified"]["baseline"] == pytest.approx(0.1)
    with pytest.raises(st.StereoInputError, match="calibration is for"):
        cal.rectify((left[:, :16], right[:, :16]))


def _rot(rx, ry, rz):
    return cv2.Rodrigues(np.array([rx, ry, rz], np.float64))[0]


def test_rectify_rotated_rig_aligns_rows():
    """Raw views of a rig with a known rotation, built from a rectified pair, rectify back to aligned rows."""
    h, w, d = 48, 96, 6
    k = np.array([[120.0, 0, 47.5], [0, 120.0, 23.5], [0, 0, 1]])
    cal = st.StereoCalibration(k, np.zeros(5), k, np.zeros(5), _rot(0.01, -0.02, 0.035), [-0.1, 0.004, 0.0],
                               (w, h))
    left_r, right_r = shifted_texture_pair(d, h=h, w=w, frames=260)
    r = cal.rectification()
    raw = []
    uv = np.stack(np.meshgrid(np.arange(w), np.arange(h)), -1).reshape(-1, 1, 2).astype(np.float64)
    for s, kk, rr, pp in ((left_r, cal.K1, r["R1"], r["P1"]), (right_r, cal.K2, r["R2"], r["P2"])):
        rect = cv2.undistortPoints(uv, kk, np.zeros(5), R=rr, P=pp).reshape(h, w, 2)
        xi, yi = np.rint(rect[..., 0]).astype(int), np.rint(rect[..., 1]).astype(int)
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        frames = s.unpack()[:, np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)] * inside
        raw.append(sv.from_array(frames.astype(np.uint8)))
    rl, rr_ = cal.rectify((raw[0], raw[1]))
    assert set(np.unique(rl[:50].unpack())) <= {0, 1}
    core = (slice(8, h - 8), slice(d + 12, w - 12))
    d_rect = st.disparity(rl, rr_, 259, max_disparity=16)[core]
    d_raw = st.disparity(raw[0], raw[1], 259, max_disparity=16)[core]
    assert (np.abs(d_rect - d) < 1).mean() > 0.9
    assert (np.abs(d_rect - d) < 1).mean() > (np.abs(d_raw - d) < 1).mean() + 0.2


def test_depth_policy():
    d = np.array([[23.1792, 0.0, -1.0, np.nan]], np.float32)
    z = st.depth(d, 289.74, 0.08)
    assert z.dtype == np.float32 and z[0, 0] == pytest.approx(1.0, rel=1e-5)
    assert np.isinf(z[0, 1]) and np.isnan(z[0, 2]) and np.isnan(z[0, 3])
    back = st.disparity_from_depth(z, 289.74, 0.08)
    assert back[0, 0] == pytest.approx(23.1792, rel=1e-5) and back[0, 1] == 0 and np.isnan(back[0, 2])
    with pytest.raises(st.StereoInputError, match="positive"):
        st.depth(d, 0, 0.08)
