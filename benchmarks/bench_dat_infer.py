"""Opening a .dat whose size fits several layouts: inference by content vs a layout given or in the sidecar.

20,000 vidar frames (250 MB) are also 5,000 frames of 500x800 and 2,000 of 1000x1000, so
``sv.open`` reads a few short windows under each candidate (see spikevision.io._dat_layout).
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

from _common import best_times

import spikevision as sv
from spikevision._source import StoredLayout
from spikevision.io._dat_sidecar import Sidecar, write_sidecar


def _make_capture(path: Path, frames: int) -> None:
    """A simulated 250x400 scene (64 frames, looped) written as a vidar camera does, no sidecar."""
    from spikevision.sim import NoiseModel, make_scene, simulate

    packed = simulate(make_scene("texture_motion", height=250, width=400, frames=64, seed=1), n_frames=64,
                      noise=NoiseModel(), seed=1).packed()
    stored = StoredLayout(250, 400, 400, 0, True).from_canonical(packed).tobytes()
    with open(path, "wb") as f:
        for _ in range(frames // 64):
            f.write(stored)
        f.write(stored[: (frames % 64) * 12500])


def run(quick: bool = False) -> list[dict]:
    frames = 2000 if quick else 20000
    with tempfile.TemporaryDirectory(prefix="sv-bench-") as d:
        p = Path(d) / "clip.dat"
        _make_capture(p, frames)
        size_mb = p.stat().st_size / 1e6
        q = Path(d) / "with-sidecar.dat"  # the same bytes, plus a sidecar
        q.symlink_to(p)
        write_sidecar(q, Sidecar(250, 400, fps=20000.0, frames=frames, complete=True))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            s = sv.open(p)  # warm: page cache, compiled kernels
            assert s.shape == (frames, 250, 400) and s.meta.provenance["layout_from"] == "content"
            assert sv.open(q).meta.provenance["layout_from"] == "sidecar"
        t_infer, t_given, t_sidecar = best_times([lambda: sv.open(p), lambda: sv.open(p, height=250, width=400),
                                                  lambda: sv.open(q)], repeat=7)
    case = f"{size_mb:.0f} MB, {frames:,} vidar frames (fits 3 layouts)"
    return [
        {"benchmark": "io.dat open, layout by content", "case": case, "ours": t_infer * 1e3,
         "reference": "height/width given", "ref": t_given * 1e3, "unit": "ms", "ratio": None,
         "target": "< 50 ms"},
        {"benchmark": "io.dat open, layout from the sidecar", "case": case, "ours": t_sidecar * 1e3,
         "reference": "height/width given", "ref": t_given * 1e3, "unit": "ms", "ratio": None, "target": ""},
    ]


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(r)
