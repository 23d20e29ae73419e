"""Simulate straight to a file in constant memory (``.dat`` or spikevision ``.h5``)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import FormatError
from .simulator import Simulator

__all__ = ["simulate_to_file", "write_blocks"]


def write_blocks(sim: Simulator, path: str | os.PathLike, format: str | None = None, *,
                 progress: Callable[[int], Any] | None = None, block: int = 1024, overwrite: bool = True,
                 provenance: dict | None = None, on_block: Callable[[Any], Any] | None = None) -> str:
    """Run ``sim`` to the end, appending each block to ``path`` atomically; return the sha256 of the packed bits.

    Args:
        sim: a :class:`Simulator` (frames already generated are not written again).
        path: output file; the format comes from ``format`` or the extension (.dat or .h5).
        progress: called with the number of frames of each block.
        block: frames per block.
        overwrite: replace an existing file.
        provenance: stored in the .h5 container (default: the simulator's).
        on_block: called with each packed block (e.g. to collect statistics).
    """
    from ..io import detect_format

    p = Path(path)
    fmt = format or detect_format(p, for_writing=True)
    digest = hashlib.sha256()
    if fmt == "dat":
        from ..io.dat import DatWriter

        writer = DatWriter(p, sim.height, sim.width, flip=True, overwrite=overwrite, atomic=True, fps=sim.fps,
                           sensor="sim", cfa=sim.engine.cfa)
    elif fmt == "h5":
        from ..io.h5 import H5Writer

        writer = H5Writer(p, sim.height, sim.width, fps=sim.fps, sensor="sim", cfa=sim.engine.cfa,
                          provenance=provenance or sim.provenance(), atomic=True, overwrite=overwrite,
                          block_frames=block)
    else:
        raise FormatError(f"{p}: simulate writes .dat or .h5, not {fmt}; use one of those extensions "
                          f"(convert afterwards with `spikevision convert`)")
    with writer:
        for packed in sim.blocks(block):
            writer.append_packed(packed)
            digest.update(packed)  # a contiguous block: hashed in place, no copy
            if on_block is not None:
                on_block(packed)
            if progress is not None:
                progress(len(packed))
    return digest.hexdigest()


def simulate_to_file(radiance: Any, path: str | os.PathLike, format: str | None = None, *,
                     progress: Callable[[int], Any] | None = None, block: int = 1024, overwrite: bool = True,
                     **kwargs: Any) -> Path:
    """Simulate ``radiance`` (see :func:`~.simulator.simulate`) straight into a .dat or .h5 file.

    Memory stays constant (one block of frames); the file appears only when complete.
    """
    sim = Simulator(radiance, **kwargs)
    write_blocks(sim, path, format, progress=progress, block=block, overwrite=overwrite)
    return Path(path)
