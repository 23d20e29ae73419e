"""Reconstruct images with every method, score them against the simulator's ground truth, save a PNG.

Usage: python examples/02_reconstruct.py [OUT_DIR]   (default OUT_DIR: a new temporary directory)
"""

import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

from spikevision import metrics, recon, sim

out = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="spikevision-"))
out.mkdir(parents=True, exist_ok=True)

# A moving texture with exact ground truth; theta = 2, so radiance 1.0 fires every other tick (rate 0.5).
scene = sim.TextureMotion(height=128, width=192, frames=400, seed=2)
stream = sim.simulate(scene, seed=2)
at, rate = 200, 0.5
truth = scene.rate(at) / rate                 # the firing rate a perfect reconstruction recovers, in [0, 1]

images = {}
for method in ("tfp", "tfi", "tfstp", "best"):
    img = recon.reconstruct(stream, method, at=at, rate=rate)
    images[method] = img
    print(f"{method:6s} PSNR {metrics.psnr(img, truth, data_range=1.0):6.2f} dB   "
          f"SSIM {metrics.ssim(img, truth, data_range=1.0):.3f}")

# The same image through another toolkit's convention (Spike-Zoo's TFP: window [at-20, at+20], / rate, clipped)
zoo = recon.tfp(stream, at=at, window=41, convention="spikezoo", rate=rate)
print(f"tfp (spikezoo convention) PSNR {metrics.psnr(zoo, truth, data_range=1.0):.2f} dB")

# A streaming reconstructor gives the same images as the offline function, block by block.
live = recon.StreamingTFP(stream.height, stream.width, window=41, emit_every=100, rate=rate)
for packed in stream.iter_packed(128):
    for t, img in live.iter_packed(packed):
        if t == at:
            assert np.array_equal(img, recon.tfp(stream, at=at, window=41, rate=rate))
            print("streaming TFP at frame", t, "equals the offline image")

strip = np.concatenate([truth, *images.values()], axis=1)       # truth | tfp | tfi | tfstp | best
png = out / "reconstructions.png"
cv2.imwrite(str(png), np.round(np.clip(strip, 0, 1) * 255).astype(np.uint8))
print("wrote", png)

assert metrics.psnr(images["best"], truth) > metrics.psnr(images["tfi"], truth)
