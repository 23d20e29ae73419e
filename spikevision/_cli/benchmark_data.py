"""``spikevision benchmark-data DIR``: write the versioned synthetic benchmark set."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def run(args: argparse.Namespace) -> int:
    from ..sim.benchmark import TASKS, benchmark_entries, write_benchmark
    from ._common import progress

    tasks = tuple(args.task) if args.task else TASKS
    entries = benchmark_entries(args.height, args.width, args.frames, args.fps, args.seed, tasks)
    total = sum(e.n_streams for e in entries) * args.frames
    with progress(total, "benchmark") as bar:
        path = write_benchmark(args.dir, height=args.height, width=args.width, frames=args.frames, fps=args.fps,
                               seed=args.seed, tasks=tasks, gt_every=args.gt_every, overwrite=args.overwrite,
                               progress=bar.update)
    print(path)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from ..sim.benchmark import BENCHMARK_VERSION, TASKS

    p = sub.add_parser("benchmark-data", help="write the synthetic benchmark set (scenes + exact ground truth)",
                       description=f"Write the deterministic synthetic benchmark ({BENCHMARK_VERSION}): a few "
                       "scenes per task (reconstruction, flow, stereo, rain, HDR, objects), each as a clean and a "
                       "noisy spike stream (.h5) with ground truth (.npz) and a manifest.json.")
    p.add_argument("dir", help="output directory")
    p.add_argument("--height", type=int, default=250)
    p.add_argument("--width", type=int, default=400)
    p.add_argument("--frames", type=int, default=2000, help="spike frames per scene (default 2000)")
    p.add_argument("--fps", type=float, default=20000.0)
    p.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    p.add_argument("--task", action="append", choices=TASKS, help="only these tasks (repeatable)")
    p.add_argument("--gt-every", type=int, default=100, help="frames between ground-truth samples (default 100)")
    p.add_argument("--overwrite", action="store_true", help="replace a benchmark already in DIR")
    p.set_defaults(func=run)
