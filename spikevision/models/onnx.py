"""ONNX export of a :class:`~spikevision.models.SpikeUNet` (needs the ``onnx`` package for the exporter).

The graph takes a (B, window, H, W) uint8 spike window (41 frames for the shipped weights) and returns
(B, H, W) float32 rates (spikes per tick); batch, height and width are dynamic. onnxruntime is not a
dependency: check an export with it where it is installed
(``onnxruntime.InferenceSession(path).run(None, {"spikes": window})``).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from ..errors import BackendUnavailable
from ..io._atomic import PendingFile

__all__ = ["export_onnx"]


def export_onnx(path: str | os.PathLike, weights: Any = None, *, height: int = 64, width: int = 64,
                opset: int = 18) -> Path:
    """Write the model of ``weights`` (name, path or ``SpikeUNet``; default the shipped weights) as ONNX.

    Raises:
        BackendUnavailable: the ``onnx`` package (needed by torch's exporter) is not installed.
    """
    import importlib.util

    if importlib.util.find_spec("onnx") is None:
        raise BackendUnavailable("ONNX export needs the onnx package: pip install onnx (and onnxruntime to run it)")
    import torch

    from .infer import load_model

    model = load_model(weights).to("cpu").eval()
    example = torch.zeros((1, model.window, int(height), int(width)), dtype=torch.uint8)
    dest = Path(path)
    pending = PendingFile(dest, overwrite=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # the legacy exporter's deprecation and tracer notes
            torch.onnx.export(model, (example,), str(pending.tmp), input_names=["spikes"], output_names=["rate"],
                              dynamic_axes={"spikes": {0: "batch", 2: "height", 3: "width"},
                                            "rate": {0: "batch", 1: "height", 2: "width"}},
                              opset_version=opset, dynamo=False)
        pending.commit()
    except BaseException:
        pending.discard()
        raise
    return dest
