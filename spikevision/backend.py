"""The one place that knows about NumPy, CuPy and torch.

CuPy and torch are imported lazily, never at package import. CuPy imports on
machines without a GPU, so ``cupy.cuda.is_available()`` decides whether it is
usable, not whether the import works.

Example:
    >>> import numpy as np
    >>> from spikevision.backend import get_namespace
    >>> get_namespace(np.zeros(3)).__name__
    'numpy'
"""

from __future__ import annotations

import functools
import importlib
from types import ModuleType
from typing import Any

import numpy as np

from .errors import BackendUnavailable

__all__ = ["cupy_available", "torch_available", "get_namespace", "to_numpy", "asarray", "like", "backend_name",
           "available_backends"]


@functools.cache
def cupy_available() -> bool:
    """True when CuPy imports and a CUDA device is usable."""
    try:
        cupy = importlib.import_module("cupy")
        return bool(cupy.cuda.is_available())
    except Exception:
        return False


@functools.cache
def torch_available() -> bool:
    """True when torch imports."""
    try:
        importlib.import_module("torch")
        return True
    except Exception:
        return False


def available_backends() -> list[str]:
    """Backends usable on this machine, NumPy first."""
    return ["numpy"] + (["cupy"] if cupy_available() else []) + (["torch"] if torch_available() else [])


def backend_name(array: Any) -> str:
    """"numpy", "cupy" or "torch" for an array, judged by its type's module (no import needed)."""
    mod = type(array).__module__.split(".")[0]
    if mod == "cupy":
        return "cupy"
    if mod == "torch":
        return "torch"
    return "numpy"


def get_namespace(array: Any) -> ModuleType:
    """The array module to compute with: numpy or cupy (torch tensors compute through numpy)."""
    if backend_name(array) == "cupy":
        return importlib.import_module("cupy")
    return np


def to_numpy(array: Any) -> np.ndarray:
    """A NumPy view or copy of a NumPy, CuPy or torch array."""
    name = backend_name(array)
    if name == "cupy":
        return array.get()
    if name == "torch":
        return array.detach().cpu().numpy()
    return np.asarray(array)


def asarray(array: Any, backend: str = "numpy", device: Any = None) -> Any:
    """Move an array to ``backend`` ("numpy", "cupy" or "torch")."""
    if backend == "numpy":
        return to_numpy(array)
    if backend == "cupy":
        if not cupy_available():
            raise BackendUnavailable("CuPy with a CUDA GPU is not available here; install the 'gpu' extra on a "
                                     "machine with an NVIDIA GPU, or use backend='numpy'")
        cupy = importlib.import_module("cupy")
        if backend_name(array) == "torch" and array.is_cuda:
            return cupy.from_dlpack(array)
        return cupy.asarray(to_numpy(array) if backend_name(array) != "cupy" else array)
    if backend == "torch":
        if not torch_available():
            raise BackendUnavailable("torch is not installed; pip install 'spikevision[learn]' (torch==2.13.0)")
        torch = importlib.import_module("torch")
        if backend_name(array) == "cupy":
            t = torch.from_dlpack(array)
        else:
            t = torch.from_numpy(np.ascontiguousarray(to_numpy(array)))
        return t.to(device) if device is not None else t
    raise ValueError(f"unknown backend {backend!r}; choose 'numpy', 'cupy' or 'torch'")


def like(result: np.ndarray, reference: Any) -> Any:
    """Return ``result`` (NumPy) on the backend of ``reference``."""
    name = backend_name(reference)
    if name == "numpy":
        return result
    device = getattr(reference, "device", None) if name == "torch" else None
    return asarray(result, name, device)
