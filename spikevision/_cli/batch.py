"""``spikevision batch INPUTS --pipeline P --out DIR``: one pipeline over many recordings, resumably."""

from __future__ import annotations

import argparse

from ._common import add_read_options, positive_int, progress, read_options, report

__all__ = ["register"]


def run(args: argparse.Namespace) -> int:
    from ..batch import registered_steps
    from ..batch import run as run_batch

    if args.list_steps:
        from ..batch import get_step

        for name in registered_steps():
            print(f"{name:<10} {get_step(name).help}")
        return 0
    if not args.inputs or not args.pipeline or not args.out:
        raise SystemExit("spikevision batch: error: give INPUTS, --pipeline and --out (or --list-steps)")
    from ..batch import expand_inputs

    total = len(expand_inputs(args.inputs))
    with progress(total, "batch", unit="file") as bar:
        rep = run_batch(args.inputs, args.pipeline, args.out, executor=args.executor, workers=args.workers,
                        scheduler=args.scheduler, read_options=read_options(args) or None,
                        checksum=not args.no_checksum, progress=lambda r: bar.update(1), threads=args.threads)
    if getattr(args, "json", False):
        report(args, "", rep.as_dict())
    else:
        report(args, rep.table() + f"\nreport: {args.out}/batch-report.json")
    return 0 if rep.ok else 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("batch", help="run a pipeline over many recordings (serial, process pool or Dask)",
                       description="Run a pipeline of steps over every recording that INPUTS names (quoted globs "
                       "such as 'data/**/*.dat', folders or files). Each recording gets one HDF5 output under --out "
                       "(its path relative to the inputs' common folder + '.h5'), written whole or not at all. A "
                       "finished output with the same input checksum and pipeline is skipped, so running the same "
                       "command again resumes. Failures are listed in a table and in OUT/batch-report.json; the "
                       "exit status is 1 when any recording failed.")
    p.add_argument("inputs", nargs="*", help="spike files, folders or quoted globs ('data/**/*.dat')")
    p.add_argument("--pipeline", help="steps separated by commas, options by colons: 'recon:best,flow:dis', "
                   "'recon:tfp:window=21:step=20,info' (see --list-steps)")
    p.add_argument("--out", help="output folder (created)")
    p.add_argument("--executor", choices=["serial", "process", "dask"], default="serial",
                   help="serial (default), process (a local process pool) or dask (dask.distributed)")
    p.add_argument("--workers", type=positive_int, help="worker processes (default: the CPU count)")
    p.add_argument("--scheduler", metavar="tcp://HOST:8786",
                   help="address of a running Dask scheduler (implies --executor dask)")
    p.add_argument("--threads", type=positive_int,
                   help="kernel threads per task (default: all cores serially, cores/workers locally, 1 on a "
                   "remote cluster)")
    p.add_argument("--no-checksum", action="store_true",
                   help="identify finished inputs by size and mtime instead of their SHA-256")
    p.add_argument("--list-steps", action="store_true", help="list the registered pipeline steps and exit")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    add_read_options(p)
    p.set_defaults(func=run)
