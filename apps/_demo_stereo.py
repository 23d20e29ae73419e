"""`make demo` stage: disparity of a simulated stereo pair (noisy sensors), EPE printed, colour map saved."""

from __future__ import annotations

import time
from pathlib import Path


def stage_stereo(out: Path, frames: int = 400) -> float:
    """Simulate a 250x400 pair, write the pair file, compute the best disparity and SGBM-on-TFP-41, print EPE."""
    import spikevision.stereo as st
    from spikevision.metrics import disparity_metrics
    from spikevision.sim import NoiseModel, StereoScene, simulate
    from spikevision.stereo.export import write_color_png

    print("\n== stereo: disparity of a simulated pair " + "=" * 20, flush=True)
    t0 = time.perf_counter()
    n = max(300, min(frames, 600))
    scene = StereoScene(250, 400, n_frames=n, seed=4, speed=0.03)
    left = simulate(scene.view("left"), noise=NoiseModel(), seed=4, init="uniform")
    right = simulate(scene.view("right"), noise=NoiseModel(), seed=100_004, init="uniform")
    path = st.save_pair(out / "stereo_pair.h5", left, right, overwrite=True,
                        calibration=st.StereoCalibration.ideal(400, 250, scene.focal, scene.baseline))
    t = n - 1
    gt, occ = scene.disparity(t), scene.occlusion(t)
    best = st.disparity(left, right, t, max_disparity=64)
    tb = n // 2     # the baseline's reconstructions are centred on their frame
    base = st.disparity(left, right, tb, method="sgbm", recon="tfp", window=41, max_disparity=64)
    m, mb = disparity_metrics(best, gt, ~occ), disparity_metrics(base, scene.disparity(tb), ~scene.occlusion(tb))
    z = st.depth(best, scene.focal, scene.baseline)
    write_color_png(out / "stereo_disparity.png", best, 64)
    write_color_png(out / "stereo_disparity_sgbm_tfp41.png", base, 64)
    print(f"   {path}: a noisy pair, {n} frames of 250x400, focal {scene.focal} px, baseline {scene.baseline} m")
    print(f"   best (spike timing):  EPE {m['epe']:.3f} px, >3 px {100 * m['bad3']:.1f} % (non-occluded)")
    print(f"   SGBM on TFP-41:       EPE {mb['epe']:.3f} px, >3 px {100 * mb['bad3']:.1f} %")
    print(f"   depth at the centre: {z[125, 200]:.2f} m (true {scene.depth(t)[125, 200]:.2f} m)")
    print(f"   {out / 'stereo_disparity.png'} (turbo colour map, 0..64 px)")
    print(f"   ({time.perf_counter() - t0:.2f} s)", flush=True)
    return m["epe"]
