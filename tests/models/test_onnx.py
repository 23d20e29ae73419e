"""ONNX export: skipped cleanly without the onnx package; checked with onnxruntime where it is installed."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from spikevision.errors import BackendUnavailable
from spikevision.models import export_onnx, learned_images

from .conftest import spikes


def test_export_without_onnx_is_a_clear_error(tmp_path, tiny_model):
    if importlib.util.find_spec("onnx") is not None:
        pytest.skip("onnx is installed here")
    with pytest.raises(BackendUnavailable, match="pip install onnx"):
        export_onnx(tmp_path / "m.onnx", tiny_model)
    assert not (tmp_path / "m.onnx").exists()


def test_export_runs_in_onnxruntime(tmp_path, tiny_model):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from spikevision.models.data import windows_at

    path = export_onnx(tmp_path / "m.onnx", tiny_model)
    session = ort.InferenceSession(str(path))
    for h, w in ((12, 20), (13, 21)):
        s = spikes(60, h, w)
        got = session.run(None, {"spikes": windows_at(s, [30, 59])})[0]
        assert got.shape == (2, h, w)
        for k, t in enumerate((30, 59)):
            np.testing.assert_allclose(np.clip(got[k], 0, 1), learned_images(s, [t], model=tiny_model)[0], atol=1e-5)
