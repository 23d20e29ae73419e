"""Convert between spike formats: .dat -> .h5 -> .npz -> .dat, every step bit-exact.

Usage: python examples/04_convert_formats.py [OUT_DIR]   (default OUT_DIR: a new temporary directory)
The CLI does the same: spikevision convert IN OUT [--start N --stop N] [--out-no-flip ...]
"""

import sys
import tempfile
from pathlib import Path

import numpy as np

import spikevision as sv
from spikevision import sim

out = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="spikevision-"))
out.mkdir(parents=True, exist_ok=True)

original = sim.simulate(sim.TextureMotion(frames=300, seed=3), seed=3)   # (300, 250, 400) in memory
spikes = original.unpack()

dat = sv.save(out / "clip.dat", original)                  # vidar .dat: stored upside down, no header
vidar = {"height": 250, "width": 400}                       # a .dat has no header: say what it holds
h5 = sv.save(out / "clip.h5", sv.open(dat, **vidar))       # spikevision HDF5: compressed, random access
npz = sv.save(out / "clip.npz", sv.open(h5), label=0, label_name="texture")   # UHSR layout: spk, label, label_name
back = sv.save(out / "back.dat", sv.open(npz))

for path in (dat, h5, npz, back):
    s = sv.open(path, **vidar) if path.suffix == ".dat" else sv.open(path)
    same = np.array_equal(s.unpack(), spikes)
    print(f"{path.name:10s} {path.stat().st_size:>10,} bytes  {s.shape}  identical: {same}")
    assert same
assert dat.read_bytes() == back.read_bytes()

# Layout options: a top-down .dat (as SPCS / SCSim write) and a capture with head columns + frame headers.
sv.save(out / "topdown.dat", original, flip=False)
assert np.array_equal(sv.open(out / "topdown.dat", flip=False, **vidar).unpack(), spikes)
sv.save(out / "with_head.dat", original, head_columns=16, frame_header_bytes=16)
s = sv.open(out / "with_head.dat")                          # 250x416 + 16-byte headers inferred from the size
print("with_head.dat:", s.shape, s.meta.provenance["head_columns"], "head columns,",
      s.meta.provenance["frame_header_bytes"], "header bytes per frame")
assert np.array_equal(s.unpack(), spikes)

# A slice of the recording, by frames and by time (what `spikevision convert --start/--stop` writes)
part = sv.save(out / "part.h5", sv.open(h5)[100:200])
print("part.h5:", sv.open(part).shape, "| first 2 ms:", sv.open(h5).time_slice(0, 0.002).shape)
