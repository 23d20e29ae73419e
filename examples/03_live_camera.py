"""A live (simulated) camera: read blocks, record to a crash-safe .h5, read the recording back.

Usage: python examples/03_live_camera.py [OUT_DIR]   (default OUT_DIR: a new temporary directory)
The same code runs a real camera with a usb:// or sdk:// URL (see hardware/README.md).
"""

import sys
import tempfile
from pathlib import Path

import spikevision as sv
from spikevision.camera import open_camera, record

out = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="spikevision-"))
out.mkdir(parents=True, exist_ok=True)

# speed=max: as fast as possible instead of real time; frames=N: the stream ends after N frames
url = "sim://?height=128&width=192&fps=40000&speed=max&frames=4000"

with open_camera(url) as cam:                 # a context manager and an iterator of SpikeBlocks
    print("camera:", cam.info)
    n = 0
    for block in cam:
        frames = block.unpack()               # (n, H, W) uint8 0/1
        n += len(frames)
        print(f"block at frame {block.index}: {len(frames)} frames, t = {block.index / block.fps * 1e3:.2f} ms, "
              f"dropped before: {block.dropped_before}")
        if n >= 2000:
            break
    print("stats:", cam.stats())

path = out / "live.h5"
result = record(url, path, frames=3000)      # lossless; every block is committed as it arrives
print("recorded:", result)

rec = sv.open(path)
print("read back:", rec.shape, "at", rec.fps, "Hz")
assert rec.shape == (3000, 128, 192) and rec.fps == 40000
first = rec[:1000].unpack()
print("spikes in the first 1000 frames:", int(first.sum()))
