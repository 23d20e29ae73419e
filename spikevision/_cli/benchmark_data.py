"""``spikevision benchmark-data DIR``: write the versioned synthetic benchmark set."""

from __future__ import annotations

import argparse
import os
import time

from ..errors import OutputError
from ._common import add_output_options, guard_output, nonneg_int, positive_float, positive_int, report

__all__ = ["register"]


def run(args: argparse.Namespace) -> int:
    from ..sim.benchmark import TASKS, benchmark_entries, write_benchmark
    from ._common import progress

    root = guard_output(args.dir, overwrite=args.overwrite, folder=True)
    if root.is_dir() and any(root.iterdir()) and not (root / "manifest.json").exists():
        raise OutputError(f"{root} holds files but no benchmark (manifest.json); spikevision replaces only what it "
                          f"wrote: choose an empty or new folder")
    tasks = tuple(args.task) if args.task else TASKS
    entries = benchmark_entries(args.height, args.width, args.frames, args.fps, args.seed, tasks)
    total = sum(e.n_streams for e in entries) * args.frames
    t0 = time.perf_counter()
    with progress(total, "benchmark") as bar:
        path = write_benchmark(root, height=args.height, width=args.width, frames=args.frames, fps=args.fps,
                               seed=args.seed, tasks=tasks, gt_every=args.gt_every, overwrite=args.overwrite,
                               progress=bar.update)
    elapsed = time.perf_counter() - t0
    nbytes = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs)
    report(args, f"wrote {len(entries)} scenes ({', '.join(tasks)}) to {root}/ (manifest {path}) in {elapsed:.1f} s",
           {"output": str(root), "manifest": str(path), "scenes": [e.id for e in entries], "tasks": list(tasks),
            "frames": args.frames, "bytes": nbytes, "elapsed_s": elapsed})
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from ..sim.benchmark import BENCHMARK_VERSION, TASKS

    p = sub.add_parser("benchmark-data", help="write the synthetic benchmark set (scenes + exact ground truth)",
                       description=f"Write the deterministic synthetic benchmark ({BENCHMARK_VERSION}): a few "
                       "scenes per task (reconstruction, flow, stereo, rain, HDR, objects, denoise), each as a clean "
                       "and a "
                       "noisy spike stream (.h5) with ground truth (.npz) and a manifest.json.")
    p.add_argument("dir", help="output directory (an existing one only with --overwrite and a manifest.json)")
    p.add_argument("--height", type=positive_int, default=250)
    p.add_argument("--width", type=positive_int, default=400)
    p.add_argument("--frames", type=positive_int, default=2000, help="spike frames per scene (default 2000)")
    p.add_argument("--fps", type=positive_float, default=20000.0)
    p.add_argument("--seed", type=nonneg_int, default=0, help="base seed (default 0)")
    p.add_argument("--task", action="append", choices=TASKS, help="only these tasks (repeatable)")
    p.add_argument("--gt-every", type=positive_int, default=100, help="frames between ground-truth samples "
                   "(default 100)")
    add_output_options(p)
    p.set_defaults(func=run)
