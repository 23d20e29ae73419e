"""The `make demo` job: the main spikevision pipeline on the bundled, deterministically generated sample.

Stages (each prints what it did and leaves its outputs in --out):
  1. sample: simulate a small recording (moving texture, 250x400 at 20 kHz)
  2. io:     write it as .dat and HDF5, read both back bit-exactly, print `spikevision info`
  3. preview: export a firing-rate preview PNG
  4. recon:  reconstruct images with TFP, TFI, TFSTP and the best method; save PNGs (auto exposure) and PSNR/SSIM
  5. camera: record 0.25 s from a simulated 40 kHz camera at real time, read the recording back
  6. denoise: calibrate a simulated sensor from dark and flat recordings, denoise a scene, before/after PNG
  7. flow:   optical flow of a simulated moving texture, EPE against its ground truth, colour-wheel PNG
  8. stereo: disparity of a simulated noisy stereo pair, EPE against the exact disparity, a colour-mapped PNG
  9. derain: remove rain from a simulated rainy stream, before/after PNG and PSNR
  10. color: colour images from a simulated Bayer spike stream, CPSNR per demosaic method
  11. hdr:    unwrap 8-bit modulo counters on a 10^4:1 scene; clipped 8-bit vs unwrapped picture, fold errors
  12. batch: process several recordings with the batch runner, one HDF5 output per recording
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from _demo_batch import stage as stage_batch
from _demo_denoise import stage_denoise
from _demo_derain import stage_color, stage_derain
from _demo_flow import stage_flow
from _demo_hdr import stage_hdr
from _demo_models import stage_models
from _demo_stereo import stage_stereo

import spikevision as sv


def _stage(name: str):
    print(f"\n== {name} " + "=" * max(0, 60 - len(name)), flush=True)
    return time.perf_counter()


def _done(t0: float) -> None:
    print(f"   ({time.perf_counter() - t0:.2f} s)", flush=True)


def stage_sample(out: Path, frames: int):
    from spikevision.sim import make_sample

    t = _stage("1. sample: simulate a recording")
    stream = make_sample(height=250, width=400, frames=frames, seed=0)
    print(f"   {stream}")
    _done(t)
    return stream


def stage_io(out: Path, stream):
    from spikevision.cli import main as cli

    t = _stage("2. io: write .dat and HDF5, read back, check bit-exact")
    frames = stream.unpack()
    for name in ("sample.dat", "sample.h5"):
        path = out / name
        sv.save(path, stream)
        opts = {"height": 250, "width": 400} if name.endswith(".dat") else {}
        back = sv.open(path, **opts)
        same = bool((back.unpack() == frames).all())
        print(f"   {path} ({path.stat().st_size:,} bytes): read back {back.shape}, bit-exact: {same}")
        if not same:
            raise SystemExit(f"round trip through {name} changed the spikes")
    print("\n   $ spikevision info sample.h5")
    cli(["info", str(out / "sample.h5")])
    _done(t)


def stage_preview(out: Path, stream) -> None:
    import cv2

    from spikevision.recon import auto_rate

    t = _stage("3. preview: firing-rate map")
    rate = stream.firing_rate()
    white = auto_rate(stream)  # the 99.5th percentile is white: one hot pixel cannot darken the picture
    img = np.clip(rate / white * 255 + 0.5, 0, 255).astype(np.uint8)
    path = out / "firing_rate.png"
    cv2.imwrite(str(path), img)
    print(f"   {path}: mean firing rate {rate.mean():.4f} spikes/frame (white = {white:.3f})")
    _done(t)


def stage_recon(out: Path, stream) -> None:
    import cv2

    from spikevision import metrics, recon
    from spikevision.sim import sample_scene

    t = _stage("4. recon: images from spikes, scored against the true firing rate")
    at = len(stream) // 2
    rate = 0.5  # the simulator's theta = 2 fires at most every other tick at radiance 1
    truth = sample_scene(frames=len(stream)).rate(at) / rate
    gain = rate / recon.auto_rate(stream)  # the PNGs are for people: auto exposure, as `spikevision recon`
    for method in ("tfp", "tfi", "tfstp", "best"):
        img = recon.reconstruct(stream, method=method, at=at, rate=rate)
        path = out / f"recon_{method}.png"
        cv2.imwrite(str(path), np.clip(img * gain * 255 + 0.5, 0, 255).astype(np.uint8))
        print(f"   {method:<6} frame {at}: PSNR {metrics.psnr(img, truth, data_range=1.0):5.2f} dB, "
              f"SSIM {metrics.ssim(img, truth, data_range=1.0):.3f}  {path}")
    _done(t)


def stage_camera(out: Path) -> None:
    from spikevision.camera import record

    t = _stage("5. camera: record a live sim:// camera at 40 kHz")
    path = out / "capture.h5"
    result = record("sim://?fps=40000&height=250&width=400", path, duration=0.25, overwrite=True)
    back = sv.open(path)
    print(f"   {path}: {result.frames:,} frames in {result.elapsed:.2f} s of wall time, "
          f"{result.dropped_frames} dropped; reads back as {back.shape} at {back.fps:g} Hz")
    _done(t)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="demo_out", help="output directory (default demo_out)")
    ap.add_argument("--frames", type=int, default=2000, help="frames to simulate (default 2000 = 0.1 s)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stream = stage_sample(out, args.frames)
    stage_io(out, stream)
    stage_preview(out, stream)
    stage_recon(out, stream)
    stage_camera(out)
    stage_denoise(out)
    stage_flow(out)
    stage_stereo(out, args.frames)
    stage_derain(out)
    stage_color(out)
    stage_hdr(out)
    stage_models(out)
    stage_batch(out, stream)
    print(f"\nAll outputs are in {out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
