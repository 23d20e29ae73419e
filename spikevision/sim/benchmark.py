"""The synthetic benchmark set: a few scenes per task, noisy and clean, with exact ground truth.

``write_benchmark(root)`` (CLI: ``spikevision benchmark-data DIR``) writes::

    DIR/manifest.json                      what is where (written last: a DIR without it is incomplete)
    DIR/<id>/spikes_clean.h5               noise-free stream (spikevision HDF5)
    DIR/<id>/spikes_noisy.h5               the same scene and seed through the full noise model
    DIR/<id>/gt.npz                        ground truth sampled every ``gt_every`` frames (see ``gt_keys``)
    denoise: spikes_{dark,flat}.h5         calibration recordings of the scene's sensor (same seed, with hot and
                                           dead pixels: :data:`DENOISE_NOISE`); fixed_pattern.npz its true patterns
    stereo:  spikes_{left,right}_{clean,noisy}.h5
    rain:    rain_mask.h5                  per-frame rain mask as a binary stream (1 = rain)
    hdr:     modulo_{clean,noisy}.npz      8-bit HDR counters read at 0,1,5,25 of every 50 ticks, ground truth

Everything is a pure function of (version, size, frames, fps, seed): the
manifest records the parameters and a SHA-256 of every stream's packed bits,
so two runs can be compared bit for bit. Times in ground truth are spike
frame indices (ticks); frame ``j`` integrates the scene at ``t = j``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import OutputError
from ..io._atomic import atomic_path
from .inputs import frames_alias
from .modulo import save_modulo, savez_atomic, simulate_modulo
from .noise import NoiseModel
from .photometry import expected_rate
from .sample import sample_scene
from .scenes import HDRScene, MovingObjects, RainScene, Scene, StereoScene, TextureMotion
from .simulator import Simulator
from .writer import write_blocks

__all__ = ["BENCHMARK_VERSION", "BenchmarkEntry", "benchmark_entries", "write_benchmark", "TASKS"]

log = logging.getLogger(__name__)

BENCHMARK_VERSION = "svbench-1"
#: read schedule of the HDR counters: nested windows of 1, 5 and 25 ticks in every 50-tick period
HDR_SCHEDULE = "0,1,5,25/50"
TASKS = ("recon", "flow", "stereo", "rain", "hdr", "objects", "denoise")
#: the sensor of the "denoise" task: the calibrated model plus 0.2 % hot and 0.05 % dead pixels
DENOISE_NOISE = NoiseModel(hot_fraction=0.002, dead_fraction=0.0005)
#: radiance of the "denoise" task's flat field (the nominal pixel fires 0.25 spikes per tick at theta = 2)
FLAT_LEVEL = 0.5
THETA = 2.0
#: added to a stereo scene's seed for the right camera's sensor
RIGHT_SEED = 100_000


@dataclass
class BenchmarkEntry:
    """One scene of the benchmark: id, task, the scene and what ground truth it carries."""

    id: str
    task: str
    scene: Scene
    seed: int
    extras: dict = field(default_factory=dict)

    @property
    def n_streams(self) -> int:
        """Spike streams written for this scene: clean and noisy, per camera (two cameras for stereo)."""
        return 4 if isinstance(self.scene, StereoScene) or self.task == "denoise" else 2


def benchmark_entries(height: int = 250, width: int = 400, n_frames: int = 2000, fps: float = 20000.0,
                      seed: int = 0, tasks: tuple[str, ...] = TASKS, *, frames: int | None = None
                      ) -> list[BenchmarkEntry]:
    """The scenes of the benchmark (deterministic in the arguments; ``frames`` is an alias of ``n_frames``)."""
    frames = frames_alias(n_frames, frames, 2000)
    bad = set(tasks) - set(TASKS)
    if bad:
        raise ValueError(f"unknown task(s) {sorted(bad)}; choose from {', '.join(TASKS)}")
    hw = dict(height=height, width=width, n_frames=frames, fps=fps)
    s = seed
    all_entries = [
        BenchmarkEntry("sample", "recon", sample_scene(height, width, frames, seed=s), s),
        BenchmarkEntry("flow_translate", "flow", TextureMotion(**hw, seed=s + 1, velocity=(0.08, -0.03)), s + 1),
        BenchmarkEntry("flow_rotate_zoom", "flow", TextureMotion(**hw, seed=s + 2, velocity=(0.02, 0.01),
                                                                 rotation=3e-4, zoom=1e-4), s + 2),
        BenchmarkEntry("stereo_static", "stereo", StereoScene(**hw, seed=s + 3, speed=0.0), s + 3),
        BenchmarkEntry("stereo_moving", "stereo", StereoScene(**hw, seed=s + 4, speed=0.03), s + 4),
        BenchmarkEntry("rain_light", "rain", RainScene(**hw, seed=s + 5, density=30), s + 5),
        BenchmarkEntry("rain_heavy", "rain", RainScene(**hw, seed=s + 6, density=120, angle=20.0,
                                                       speed=(0.2, 0.5)), s + 6),
        BenchmarkEntry("hdr_static", "hdr", HDRScene(**hw, seed=s + 7), s + 7),
        BenchmarkEntry("hdr_moving", "hdr", HDRScene(**hw, seed=s + 8, moving=True, light_speed=2e-3), s + 8),
        BenchmarkEntry("hdr_color", "hdr", HDRScene(**hw, seed=s + 10, color=True), s + 10),
        BenchmarkEntry("objects", "objects", MovingObjects(**hw, seed=s + 9), s + 9),
        BenchmarkEntry("denoise_sensor", "denoise", TextureMotion(**hw, seed=s + 10, velocity=(0.0, 0.0)), s + 10),
    ]
    return [e for e in all_entries if e.task in tasks]


def _gt_times(frames: int, every: int) -> np.ndarray:
    t = np.arange(0, max(frames, 1), max(1, every), dtype=np.int64)
    return t[t < max(frames, 1)]


def _ground_truth(e: BenchmarkEntry, times: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    sc = e.scene
    gt: dict[str, np.ndarray] = {"times": times}
    keys = {"times": "(S,) spike-frame index of each sample",
            "radiance": "(S, H, W) float32 linear radiance the sensor integrates at that frame (rain included; "
                        "the left view for stereo)",
            "rate": f"(S, H, W) float32 expected spikes per tick min(1, radiance / {THETA}): the intensity to recover"}
    rad = np.stack([sc.radiance(float(t)) for t in times])
    gt["radiance"] = rad
    gt["rate"] = expected_rate(rad, THETA)
    if hasattr(sc, "flow"):
        for dt in (10, 20):
            gt[f"flow_dt{dt}"] = np.stack([sc.flow(float(t), float(dt)) for t in times])
            keys[f"flow_dt{dt}"] = f"(S, H, W, 2) float32 flow (dx, dy) in pixels from frame t to t + {dt}"
    if isinstance(sc, StereoScene):
        gt["radiance_right"] = np.stack([sc.radiance_right(float(t)) for t in times])
        gt["disparity"] = np.stack([sc.disparity(float(t)) for t in times])
        gt["depth"] = np.stack([sc.depth(float(t)) for t in times])
        gt["occlusion"] = np.stack([sc.occlusion(float(t)) for t in times])
        gt["focal"], gt["baseline"] = np.float64(sc.focal), np.float64(sc.baseline)
        keys.update(radiance_right="(S, H, W) right-view radiance", disparity="(S, H, W) left disparity (px)",
                    depth="(S, H, W) left depth (m) = focal * baseline / disparity",
                    occlusion="(S, H, W) bool, left pixels not visible in the right view",
                    focal="focal length (px)", baseline="baseline (m)")
    if isinstance(sc, RainScene):
        gt["clean_radiance"] = np.stack([sc.clean(float(t)) for t in times])
        gt["rain_mask"] = np.stack([sc.rain_mask(float(t)) for t in times])
        keys.update(clean_radiance="(S, H, W) rain-free radiance", rain_mask="(S, H, W) bool rain mask")
    if isinstance(sc, MovingObjects):
        gt["boxes"] = np.stack([sc.boxes(float(t)) for t in times])
        gt["positions"] = np.stack([sc.positions(float(t)) for t in times])
        gt["instances"] = np.stack([sc.instances(float(t)) for t in times])
        keys.update(boxes="(S, N, 4) boxes x0, y0, x1, y1 (px)", positions="(S, N, 2) object centres",
                    instances="(S, H, W) int16 object index, -1 background")
    return gt, keys


def write_benchmark(root: str | os.PathLike, *, height: int = 250, width: int = 400, n_frames: int = 2000,
                    fps: float = 20000.0, seed: int = 0, tasks: tuple[str, ...] = TASKS, gt_every: int = 100,
                    overwrite: bool = False, progress: Callable[[int], Any] | None = None,
                    frames: int | None = None) -> Path:
    """Write the benchmark set under ``root``; return the manifest path.

    Args:
        root: output directory (created; must not hold a manifest unless ``overwrite``).
        height, width, n_frames, fps, seed: size, length (spike frames per scene), readout
            rate, base seed. ``frames`` is an alias of ``n_frames`` (the manifest keeps the key "frames").
        tasks: subset of :data:`TASKS`.
        gt_every: frames between ground-truth samples.
        overwrite: replace an existing benchmark in ``root``.
        progress: called with the number of frames simulated (for a progress bar).
    """
    frames = frames_alias(n_frames, frames, 2000)
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise OutputError(f"{root} exists and is not a directory; give a directory for the benchmark")
    manifest_path = root / "manifest.json"
    if manifest_path.exists() and not overwrite:
        raise OutputError(f"{root} already holds a benchmark (manifest.json); pass overwrite=True "
                          f"(CLI: --overwrite) or choose another directory")
    root.mkdir(parents=True, exist_ok=True)
    noise = NoiseModel()
    sim_opts = dict(fps=fps, theta=THETA, reset="subtract", init="uniform", full_well=2.0)
    entries = benchmark_entries(height, width, frames, fps, seed, tasks)
    records = []
    for e in entries:
        d = root / e.id
        d.mkdir(exist_ok=True)
        files: dict[str, str] = {}
        digests: dict[str, str] = {}
        # two cameras have their own sensors: the right one gets its own seed (fixed patterns, draws)
        views = [("left", e.scene.view("left"), e.seed), ("right", e.scene.view("right"), e.seed + RIGHT_SEED)] \
            if isinstance(e.scene, StereoScene) else [("", e.scene, e.seed)]
        seeds = {}
        if e.task == "denoise":
            seeds["sensor"] = e.seed
            files, digests = _write_denoise(e, d, sim_opts, progress)
            views = []
        for view_name, view, view_seed in views:
            seeds[view_name or "sensor"] = view_seed
            for kind, nz in (("clean", None), ("noisy", noise)):
                name = f"spikes_{view_name + '_' if view_name else ''}{kind}"
                path = d / f"{name}.h5"
                if isinstance(e.scene, HDRScene):
                    stream, rec = simulate_modulo(view, bits=8, schedule=HDR_SCHEDULE, noise=nz, seed=view_seed,
                                                  cfa="bggr" if view.color else None,
                                                  **{k: v for k, v in sim_opts.items() if k != "full_well"})
                    save_modulo(d / f"modulo_{kind}.npz", rec)
                    files[f"modulo_{kind}"] = f"{e.id}/modulo_{kind}.npz"
                    from ..io import save_stream

                    stream.meta.provenance["modulo_file"] = f"modulo_{kind}.npz"  # the viewer's hdr mode
                    save_stream(path, stream)
                    digests[name] = _sha256_packed(stream.packed())
                    if progress:
                        progress(len(stream))
                else:
                    sim = Simulator(view, noise=nz, seed=view_seed, **sim_opts)
                    digests[name] = write_blocks(sim, path, "h5", progress=progress)
                files[name] = f"{e.id}/{path.name}"
        if isinstance(e.scene, RainScene):
            files["rain_mask"] = f"{e.id}/rain_mask.h5"
            digests["rain_mask"] = _write_rain_mask(e.scene, d / "rain_mask.h5")
        times = _gt_times(frames, gt_every)
        gt, keys = _ground_truth(e, times)
        savez_atomic(d / "gt.npz", **gt)
        files["gt"] = f"{e.id}/gt.npz"
        rec = {"id": e.id, "task": e.task, "seed": e.seed, "sensor_seeds": seeds, "frames": frames,
               "scene": e.scene.params(),
               "files": files, "sha256_packed": digests, "gt_keys": keys}
        if e.task == "denoise":
            rec["noise"] = DENOISE_NOISE.as_dict()
            rec["calibration"] = {"flat_level": FLAT_LEVEL, "files": "spikes_dark.h5 (no light), spikes_flat.h5 "
                                  "(uniform radiance flat_level): the sensor of spikes_noisy.h5; fixed_pattern.npz: "
                                  "its FixedPattern (gain, dark, threshold, jitter, hot, dead) and the rate-model "
                                  "dark_rate D and gain G (r = G x + D)"}
        if isinstance(e.scene, HDRScene):
            rec["modulo"] = {"bits": 8, "schedule": HDR_SCHEDULE, "mode": "counter",
                             "cfa": "bggr" if e.scene.color else None,
                             "files": "modulo_{clean,noisy}.npz: 8-bit free-running HDR counters read at the "
                                      "schedule's ticks, with true counts and radiance; spikevision.sim.load_modulo"}
        records.append(rec)
        log.info("benchmark: wrote %s", e.id)
    from .. import __version__

    manifest = {"name": "spikevision-synthetic", "version": BENCHMARK_VERSION, "spikevision": __version__,
                "height": height, "width": width, "frames": frames, "fps": fps, "seed": seed, "tasks": list(tasks),
                "gt_every": gt_every,
                "simulator": {**sim_opts, "noisy": noise.as_dict(),
                              "note": "clean and noisy streams share scene and seed (the clean one is the "
                                      "noise-free twin)"},
                "time_unit": "spike frames (ticks); frame j integrates the scene at t = j",
                "scenes": records}
    with atomic_path(manifest_path) as tmp:
        tmp.write_text(json.dumps(manifest, indent=1, default=str))
    return manifest_path


def _write_denoise(e: BenchmarkEntry, d: Path, sim_opts: dict, progress) -> tuple[dict, dict]:
    """The "denoise" task: dark, flat, clean and noisy recordings of one sensor, and its true fixed pattern."""
    from .scenes import DarkScene, FlatScene

    sc = e.scene
    hw = dict(height=sc.height, width=sc.width, n_frames=sc.n_frames, fps=sc.fps)
    files: dict[str, str] = {}
    digests: dict[str, str] = {}
    for name, scene, nz in (("spikes_clean", sc, None), ("spikes_noisy", sc, DENOISE_NOISE),
                            ("spikes_dark", DarkScene(**hw), DENOISE_NOISE),
                            ("spikes_flat", FlatScene(**hw, level=FLAT_LEVEL), DENOISE_NOISE)):
        sim = Simulator(scene, noise=nz, seed=e.seed, **sim_opts)
        digests[name] = write_blocks(sim, d / f"{name}.h5", "h5", progress=progress)
        files[name] = f"{e.id}/{name}.h5"
    fp = DENOISE_NOISE.draw(sc.height, sc.width, e.seed, sim_opts["theta"], sc.fps)
    dark_rate, gain = fp.rates(sim_opts["theta"])
    savez_atomic(d / "fixed_pattern.npz", gain=fp.gain, dark=fp.dark, threshold=fp.threshold, jitter=fp.jitter,
                 hot=fp.hot, dead=fp.dead, dark_rate=dark_rate, rate_gain=gain)
    files["fixed_pattern"] = f"{e.id}/fixed_pattern.npz"
    return files, digests


def _sha256_packed(packed: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(packed)).hexdigest()


def _write_rain_mask(scene: RainScene, path: Path) -> str:
    from .. import _bits
    from ..io.h5 import H5Writer

    digest = hashlib.sha256()
    with H5Writer(path, scene.height, scene.width, fps=scene.fps, sensor="rain-mask",
                  provenance={"scene": scene.params(), "meaning": "1 = pixel covered by rain at that frame"},
                  atomic=True, overwrite=True) as w:
        block = 256
        for a in range(0, scene.n_frames, block):
            masks = np.stack([scene.rain_mask(float(t)) for t in range(a, min(scene.n_frames, a + block))])
            packed = _bits.pack_frames(masks)
            w.append_packed(packed)
            digest.update(packed)
    return digest.hexdigest()
