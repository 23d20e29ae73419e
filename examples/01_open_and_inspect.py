"""Simulate a small recording, open it lazily, slice it, iterate over blocks, measure the firing rate.

Usage: python examples/01_open_and_inspect.py [OUT_DIR]   (default OUT_DIR: a new temporary directory)
"""

import sys
import tempfile
from pathlib import Path

import numpy as np

import spikevision as sv
from spikevision import sim

out = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="spikevision-"))
out.mkdir(parents=True, exist_ok=True)

# A recording to play with: 1000 frames (50 ms at 20 kHz) of a moving texture, written as a vidar .dat.
scene = sim.TextureMotion(frames=1000, seed=1)
path = sim.simulate_to_file(scene, out / "recording.dat", seed=1)

# Lazy: only the file size is read. A .dat has no header: the size is inferred only when the file size fits
# exactly one known sensor layout (1000 vidar frames are as long as 250 SPIFT frames), so give it here.
stream = sv.open(path, height=250, width=400, fps=20000)
print(stream)
print("shape", stream.shape, "fps", stream.fps, "duration", stream.duration, "s")

clip = stream[200:600]                        # a lazy view: nothing is read yet
frames = clip.unpack()                        # (400, 250, 400) uint8 0/1, display orientation
print("clip", frames.shape, frames.dtype, "spikes in the clip:", int(frames.sum()))

first_ms = stream.time_slice(0.0, 0.001)      # frames by time: the first millisecond = 20 frames
print("first millisecond:", len(first_ms), "frames")

total = 0
for block in stream.iter_blocks(256):         # constant memory: the buffer is reused between blocks
    total += int(block.sum())
print("spikes in the whole stream:", total)

rate = stream.firing_rate()                   # per-pixel spikes per frame, one streaming pass
expected = sim.expected_rate(scene.radiance(500))   # min(1, L / theta) at the middle frame
print(f"mean firing rate {rate.mean():.4f} (expected {expected.mean():.4f})")

assert total == int(stream.spike_counts().sum())
assert abs(float(rate.mean()) - float(expected.mean())) < 0.01
np.save(out / "firing_rate.npy", rate)
print("wrote", out / "firing_rate.npy")
