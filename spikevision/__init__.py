"""spikevision: read, simulate, stream and process spike-camera data.

The core (``SpikeStream``, ``open``, ``save``) loads at once; heavier
subpackages (``sim``, ``recon``, ``camera``, ``viewer`` ...) load on first use.

Example:
    >>> import spikevision as sv
    >>> stream = sv.open("recording.dat")          # doctest: +SKIP
    >>> frames = stream[:1000].unpack()            # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

from ._jit_cache import guard_cache_writes
from ._show import render, show
from .errors import FormatError, SpikevisionError
from .io import open_stream as open
from .io import save_stream as save
from .stream import SpikeStream, StreamMeta, from_array, from_packed

guard_cache_writes()  # kernels compile at their first call, after this

__version__ = "0.1.0"

__all__ = ["SpikeStream", "StreamMeta", "from_array", "from_packed", "open", "save", "show", "render",
           "SpikevisionError", "FormatError", "__version__"]

_LAZY = {"backend", "io", "sim", "recon", "metrics", "denoise", "flow", "stereo", "derain", "hdr", "camera",
         "viewer", "batch", "datasets", "models", "cli"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'spikevision' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | _LAZY)
