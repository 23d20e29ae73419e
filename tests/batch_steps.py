"""Pipeline steps used by the batch tests; importable by worker processes (``tests.batch_steps``)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def die_once(stream, state, marker: str = "", **_):
    """Kill the worker process the first time it runs (the marker file remembers), then count spikes."""
    m = Path(marker)
    if not m.exists():
        m.write_text(str(os.getpid()))
        os._exit(1)
    return {"total": int(stream.spike_counts().sum())}


def interrupt_on(stream, state, name: str = "", **_):
    """Raise KeyboardInterrupt on the recording called ``name`` (a Ctrl-C mid-run)."""
    if stream.meta.provenance.get("path", "").endswith(name):
        raise KeyboardInterrupt
    return {"mean": np.float64(stream.firing_rate().mean())}
