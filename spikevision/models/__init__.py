"""Learned reconstruction with torch: a compact network trained on simulated spikes, named weights with SHA-256.

- :class:`SpikeUNet` (:mod:`.net`): a two-level U-Net over classical rate features (nested TFP windows,
  TFI) of a 41-frame window, a residual on TFP-41 (Spk2ImgNet / Spike-Zoo recipe, compact).
- Training from the simulator on the fly: ``python -m spikevision.models.train recon --out DIR``.
- Weights (:mod:`.weights`): a registry of named files with SHA-256, shipped in the package or cached in
  ``$SPIKEVISION_CACHE/models``; mirrors are used only with ``download=True``.
- Inference on NumPy, CuPy (DLPack) and torch inputs, batched, streaming (:class:`StreamingLearned`),
  through ``spikevision.recon.reconstruct(spikes, method="learned", weights=...)``, and ONNX export.

torch (the ``learn`` extra, ``torch==2.13.0``) is imported only by the functions that need it: the
registry works without it.

Example:
    >>> import numpy as np, spikevision.recon as rc
    >>> s = (np.random.default_rng(0).random((60, 16, 24)) < 0.3).astype(np.uint8)
    >>> rc.reconstruct(s, "learned", at=30).shape     # the shipped default weights
    (16, 24)
"""

from __future__ import annotations

import importlib
from typing import Any

from ._errors import ModelError, WeightsError
from .weights import DEFAULT, REGISTRY, WeightsEntry, cache_dir, register_weights, sha256_file, weights_path

__all__ = ["SpikeUNet", "spike_features", "load_model", "learned_images", "reconstruct_learned", "iter_learned",
           "StreamingLearned", "export_onnx", "train", "ModelError", "WeightsError", "DEFAULT", "REGISTRY",
           "WeightsEntry", "cache_dir", "register_weights", "sha256_file", "weights_path", "WINDOW"]

_LAZY = {"SpikeUNet": "net", "spike_features": "net", "WINDOW": "net", "load_model": "infer",
         "learned_images": "infer", "reconstruct_learned": "infer", "iter_learned": "infer",
         "StreamingLearned": "infer", "export_onnx": "onnx", "train": "train"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
