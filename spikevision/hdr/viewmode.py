"""The viewer's "hdr" mode: a modulo record unwrapped, tone mapped, with the ambiguous folds overlaid.

The viewer shows spike streams; the modulo record of the same scene travels beside the stream file.
The mode finds it from the stream's provenance (``modulo_file``, written by ``spikevision simulate
--modulo`` and ``benchmark-data``), else as a sibling file (``<stem>.npz``, or ``modulo_<kind>.npz``
beside ``spikes_<kind>.h5``), or from :meth:`HDRMode.attach`. The image at tick ``at`` is the radiance
over the reads spanning the window around it, mu-law tone mapped against the record's brightest
rate; pixels flagged as ambiguous in that span are shown inverted (``1 - v``), so they stand out in
any colormap. A stream with no record beside it shows its own firing rate over the window, mu-law
tone mapped (what the binary spikes alone give), and :attr:`HDRMode.last_source` says which was shown.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..viewer.modes import ViewMode, in_colour

__all__ = ["HDRMode", "find_record"]


def find_record(spikes: Any) -> Path | None:
    """The modulo record (.npz) that belongs to a stream opened from a file, or None."""
    prov = getattr(getattr(spikes, "meta", None), "provenance", {}) or {}
    path = prov.get("path")
    base = Path(str(path)).parent if path else None
    src = prov.get("source") if isinstance(prov.get("source"), dict) else {}
    named = prov.get("modulo_file") or src.get("modulo_file")  # the writer's provenance is kept under "source"
    cands = []
    if named:
        cands.append(Path(named) if os.path.isabs(named) or base is None else base / named)
    if path:
        p = Path(str(path))
        cands += [p.with_suffix(".npz"), p.with_name(p.stem + ".modulo.npz")]
        if p.stem.startswith("spikes_"):
            cands.append(p.with_name("modulo_" + p.stem[len("spikes_"):] + ".npz"))
    return next((c for c in cands if c.is_file()), None)


class HDRMode(ViewMode):
    """Tone-mapped HDR radiance of the modulo record beside the stream (module docstring)."""

    name, label = "hdr", "HDR (modulo unwrapping)"
    default_window, window_range = 50, (2, 4000)
    levels = (0.0, 1.0)
    description = "modulo counter reads unwrapped (best), mu-law tone mapped; ambiguous folds inverted"

    def __init__(self, method: str = "best", mu: float = 5000.0):
        self.method, self.mu = method, float(mu)
        self._attached: dict[int, Any] = {}
        self._cache: dict[str, tuple[Any, Any, float]] = {}
        #: "record" or "spikes": what the last image was made from
        self.last_source = ""

    def attach(self, spikes: Any, record: Any) -> None:
        """Use ``record`` (a ModuloRecord or a path to one) for ``spikes`` (a stream with no record beside it)."""
        self._attached[id(spikes)] = record

    def _result(self, spikes: Any):
        from ..sim.modulo import load_modulo
        from .api import unwrap

        rec = self._attached.get(id(spikes))
        if rec is None:
            rec = find_record(spikes)
            if rec is None:
                return None
        key = str(rec) if isinstance(rec, (str, Path)) else str(id(rec))
        if key not in self._cache:
            r = load_modulo(rec) if isinstance(rec, (str, Path)) else rec
            res = unwrap(r, method=self.method)
            peak = float(np.max(res.radiance(0, -1, demosaic=False))) or 1.0
            self._cache[key] = (r, res, peak)
        return self._cache[key]

    def render(self, spikes: Any, at: int, window: int) -> np.ndarray:
        from .tonemap import mu_law

        found = self._result(spikes)
        if found is None:  # no record: the spikes' own firing rate, tone mapped
            a = max(0, at - window // 2)
            b = min(len(spikes), max(a + 1, a + window))
            rate = spikes[a:b].spike_counts().astype(np.float32) / (b - a)
            self.last_source = "spikes"
            return mu_law(in_colour(rate, spikes), self.mu)
        rec, res, peak = found
        self.last_source = "record"
        t = rec.ticks
        a = int(np.clip(np.searchsorted(t, at - window // 2, side="right") - 1, 0, len(t) - 2))
        b = int(np.clip(np.searchsorted(t, at + (window - window // 2), side="left"), a + 1, len(t) - 1))
        img = res.radiance(a, b, demosaic=False)
        if img.shape != tuple(spikes.shape[1:]):
            raise RuntimeError(f"the modulo record is {img.shape}, the stream {tuple(spikes.shape[1:])}: not the "
                               f"same sensor")
        v = mu_law(in_colour((img / peak).astype(np.float32), spikes), self.mu)  # demosaic the linear radiance
        flags = res.flags[a + 1 : b + 1].any(axis=0)
        return np.where(flags[..., None] if v.ndim == 3 else flags, 1.0 - v, v).astype(np.float32)


def _register() -> None:
    from ..viewer import modes

    if "hdr" not in modes._REGISTRY:  # noqa: SLF001 - the registry of the same package
        modes.register_mode(HDRMode())


_register()
