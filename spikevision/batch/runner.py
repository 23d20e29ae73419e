"""``batch.run``: one pipeline over many recordings, serially, in a process pool or on a Dask cluster.

Each recording gets one output file ``OUT/<path relative to the inputs' common folder>.h5``,
written to a temporary name and renamed when complete. The file records the SHA-256 of the
input and the pipeline; a later run with the same pair skips it (resume). A failing recording
is reported (summary table, ``OUT/batch-report.json``) and the others go on; Ctrl-C stops the
run, removes unfinished outputs and still writes the report.
"""

from __future__ import annotations

import glob
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import OutputError, SpikevisionError
from ..io._atomic import atomic_path
from .steps import _STREAM, PipelineError, get_step, parse_pipeline, pipeline_spec

__all__ = ["run", "process_one", "expand_inputs", "output_path", "BatchReport", "FileResult", "REPORT_NAME",
           "EXECUTORS", "is_finished"]

REPORT_NAME = "batch-report.json"
EXECUTORS = ("serial", "process", "dask")
_FORMAT = "spikevision-batch-1"


@dataclass
class FileResult:
    """The outcome of one recording: ``status`` is "done", "skipped", "failed" or "interrupted"."""

    input: str
    output: str
    status: str
    frames: int = 0
    seconds: float = 0.0
    error: str = ""
    worker: str = ""


@dataclass
class BatchReport:
    """Per-file results of a run, its totals, and a summary table."""

    pipeline: str
    executor: str
    workers: int
    results: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def ok(self) -> bool:
        """True when no recording failed and the run was not interrupted."""
        return not self.interrupted and not any(r.status in ("failed", "interrupted") for r in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {"format": _FORMAT, "pipeline": json.loads(self.pipeline), "executor": self.executor,
                "workers": self.workers, "seconds": self.seconds, "interrupted": self.interrupted,
                "done": self.count("done"), "skipped": self.count("skipped"), "failed": self.count("failed"),
                "results": [asdict(r) for r in self.results]}

    def table(self) -> str:
        """A plain-text table: one row per recording that failed or was interrupted, then the totals."""
        rows = [r for r in self.results if r.status in ("failed", "interrupted")]
        lines = []
        if rows:
            width = min(60, max(len(Path(r.input).name) for r in rows))
            lines.append(f"{'recording':<{width}}  status       error")
            for r in rows:
                first = r.error.splitlines()[0][:100] if r.error else ""
                lines.append(f"{Path(r.input).name:<{width}}  {r.status:<11}  {first}")
        frames = sum(r.frames for r in self.results if r.status == "done")
        lines.append(f"{self.count('done')} done, {self.count('skipped')} skipped (finished before), "
                     f"{self.count('failed')} failed{', interrupted' if self.interrupted else ''}; "
                     f"{frames:,} spike frames in {self.seconds:.1f} s ({self.executor}, {self.workers} worker(s))")
        return "\n".join(lines)


def expand_inputs(inputs: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    """Files named by a glob (``"data/**/*.dat"``, recursive), a folder (its spike files), or a list of those."""
    from ..io import EXTENSIONS

    items = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    found: list[Path] = []
    for item in items:
        s = str(item)
        if any(c in s for c in "*?["):
            found += [Path(p) for p in sorted(glob.glob(s, recursive=True)) if Path(p).is_file()]
        elif Path(s).is_dir():
            found += sorted(p for p in Path(s).rglob("*") if p.is_file() and p.suffix.lower() in EXTENSIONS)
        else:
            found.append(Path(s))
    seen, out = set(), []
    for p in found:
        key = os.path.realpath(p)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def output_path(inp: Path, base: Path, out: Path) -> Path:
    """``OUT/<inp relative to base>.h5`` (the suffix is kept in the name: ``a.dat`` -> ``a.dat.h5``)."""
    rel = Path(os.path.relpath(os.path.abspath(inp), base))
    return out / rel.parent / f"{rel.name}.h5"


def _sha256(path: Path) -> str:
    from ..datasets.api import sha256_file

    return sha256_file(path)


def is_finished(out: Path, digest: str, spec: str) -> bool:
    """True when ``out`` is a complete batch output of the same input content and pipeline."""
    import h5py

    try:
        with h5py.File(out, "r") as f:
            a = f.attrs
            return (a.get("format") == _FORMAT and a.get("input_sha256") == digest and a.get("pipeline") == spec)
    except (OSError, ValueError):
        return False


def _store(group, value: Any, key: str) -> None:
    if isinstance(value, (str, bytes)):
        group.attrs[key] = value
    elif isinstance(value, (int, float, bool, np.integer, np.floating, np.bool_)):
        group.attrs[key] = value
    elif isinstance(value, dict):
        sub = group.create_group(key)
        for k, v in value.items():
            _store(sub, v, str(k))
    elif value is None:
        group.attrs[key] = "None"
    else:
        from ..backend import to_numpy

        arr = to_numpy(value) if not isinstance(value, np.ndarray) else value
        group.create_dataset(key, data=arr, chunks=True if arr.ndim >= 2 and arr.size > 1 else None)


def _set_threads(threads: int | None) -> None:
    """Limit the compiled kernels' threads in this worker (N workers x all cores would oversubscribe)."""
    if threads:
        import numba

        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))


class _RecordSource:
    """A modulo record where the runner expects a stream (length, size and rate for the output's attributes)."""

    def __init__(self, record) -> None:
        self.record = record
        self.height, self.width = record.y.shape[1:3]
        self.fps = record.fps

    def __len__(self) -> int:
        return len(self.record.y)

    def close(self) -> None:
        pass


def partner_path(left: Path) -> Path | None:
    """The RIGHT file of a LEFT recording: the name with its last 'left' (any case) turned into 'right'."""
    name = left.name
    low = name.lower()
    i = low.rfind("left")
    if i < 0:
        return None
    word = name[i:i + 4]
    right = "RIGHT" if word.isupper() else "Right" if word[0].isupper() else "right"
    return left.with_name(name[:i] + right + name[i + 4:])


def open_source(src: Path, sources: set[str], read_options: dict | None = None):
    """Open ``src`` for steps reading ``sources``: a stream, a stereo pair (as a PairedStream) or a modulo record."""
    from ..io import open_stream

    if "modulo" in sources:
        if len(sources) > 1:
            raise PipelineError("the hdr step reads modulo records; run it in a pipeline of its own")
        from ..sim.modulo import load_modulo

        return _RecordSource(load_modulo(src))
    if "pair" in sources:
        from ..stereo import StereoPair, open_pair

        if src.suffix.lower() in (".h5", ".hdf5"):
            try:
                return open_pair(src).as_stream()
            except SpikevisionError:
                pass
        right = partner_path(src)
        if right is None or not right.is_file():
            why = f"{right.name} is missing" if right else "the name has no 'left'"
            raise PipelineError(f"{src}: not a stereo pair file, and no RIGHT file beside it ({why}); give pair "
                                f"files, or name the views *left*/*right* and pass only the left ones")
        return StereoPair(open_stream(src, **(read_options or {})),
                          open_stream(right, **(read_options or {}))).as_stream()
    return open_stream(src, **(read_options or {}))


def _source(name: str) -> str:
    try:
        return get_step(name).source
    except PipelineError:  # a step registered only in the parent process reads a stream
        return "stream"


def process_one(inp: str, out: str, steps: list[tuple[str, Callable, dict]], spec: str,
                read_options: dict | None = None, checksum: bool = True, threads: int | None = None) -> FileResult:
    """Run the pipeline on one recording and write its output atomically (the task every executor runs).

    ``threads`` caps the threads of the compiled kernels for this task (None: numba's default, all cores).
    Never raises for a bad recording: the failure is returned in the :class:`FileResult`.
    """
    import socket

    import h5py

    from .. import __version__

    t0 = time.perf_counter()
    src, dest = Path(inp), Path(out)
    who = f"{socket.gethostname()}:{os.getpid()}"
    _set_threads(threads)
    try:
        digest = _sha256(src) if checksum else f"size:{src.stat().st_size}:mtime:{src.stat().st_mtime_ns}"
        if dest.exists() and is_finished(dest, digest, spec):
            return FileResult(inp, out, "skipped", worker=who)
        source = stream = open_source(src, {_source(n) for n, _, _ in steps}, read_options)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            state: dict[str, Any] = {}
            with atomic_path(dest) as tmp:
                for name, fn, opts in steps:
                    extra = {"_out": dest} if name == "convert" else {}
                    result = dict(fn(stream, state, **opts, **extra) or {})
                    if _STREAM in result:  # e.g. denoise: the steps after it read its spikes
                        stream = result.pop(_STREAM)
                    state[name] = result
                with h5py.File(tmp, "w") as f:
                    f.attrs.update({"format": _FORMAT, "input": str(src), "input_sha256": digest, "pipeline": spec,
                                    "spikevision": __version__, "frames": len(source), "height": source.height,
                                    "width": source.width, "fps": source.fps})
                    for name, result in state.items():
                        g = f.create_group(name)
                        for k, v in (result or {}).items():
                            _store(g, v, k)
        finally:
            source.close()
        return FileResult(inp, out, "done", len(source), time.perf_counter() - t0, worker=who)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # one bad recording must not stop the run
        msg = " ".join(f"{type(exc).__name__}: {exc}".split("\n"))
        if not isinstance(exc, (SpikevisionError, OSError)):  # unexpected: keep where it happened for a report
            msg += "\n" + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-3:]).strip()
        return FileResult(inp, out, "failed", 0, time.perf_counter() - t0, msg, who)


def _write_report(out: Path, report: BatchReport) -> Path:
    path = out / REPORT_NAME
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(report.as_dict(), indent=1))
    return path


def run(inputs: str | os.PathLike | Iterable[str | os.PathLike], pipeline: str | list, out: str | os.PathLike, *,
        executor: str = "serial", workers: int | None = None, scheduler: str | None = None,
        read_options: dict | None = None, checksum: bool = True, progress: Callable[[FileResult], None] | None = None,
        retries: int = 2, threads: int | None = None) -> BatchReport:
    """Run ``pipeline`` over every recording in ``inputs``; one HDF5 output per recording under ``out``.

    Args:
        inputs: a glob (``"data/**/*.dat"``), a folder, a file, or a list of them.
        pipeline: ``"recon:best,flow:dis"`` or ``[("recon", {"method": "best"}), ...]`` (:func:`parse_pipeline`).
        out: output folder (created); it also receives ``batch-report.json``.
        executor: "serial", "process" (a local process pool) or "dask" (``dask.distributed``: a
            LocalCluster of ``workers`` processes, or the cluster at ``scheduler``); one task per recording.
        workers: worker processes (default: the CPU count for "process" and a LocalCluster).
        scheduler: ``tcp://HOST:8786`` of a running Dask scheduler (implies executor="dask").
        read_options: reader options for every input (``height=``, ``fps=`` ...).
        checksum: record and compare the SHA-256 of each input (False: its size and mtime).
        progress: called with each :class:`FileResult` as it arrives.
        retries: Dask only: times a recording is resubmitted after its worker died.
        threads: kernel threads per task. Default: all cores for "serial" (the kernels are parallel),
            cores / workers for "process" and a LocalCluster, 1 on a remote cluster (run one worker
            process per core there).

    Returns:
        a :class:`BatchReport` (also written to ``out/batch-report.json``).

    Raises:
        SpikevisionError: no inputs, a bad pipeline, an output path clash, or an unknown executor.
        KeyboardInterrupt: after Ctrl-C, once unfinished outputs are removed and the report written.
    """
    if scheduler:
        executor = "dask"
    if executor not in EXECUTORS:
        raise SpikevisionError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    if workers is not None and workers < 1:
        raise SpikevisionError(f"workers must be >= 1, got {workers}")
    files = expand_inputs(inputs)
    if not files:
        raise SpikevisionError(f"no input files match {inputs!r}; check the pattern (quote it so the shell does "
                               f"not expand it) or the folder")
    missing = [p for p in files if not p.is_file()]
    if missing:
        raise SpikevisionError(f"input {missing[0]} is not a file; check the path")
    parsed = parse_pipeline(pipeline)
    spec = pipeline_spec(parsed)
    steps = [(name, get_step(name).fn, opts) for name, opts in parsed]
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} exists and is not a folder; give a folder for the outputs")
    out.mkdir(parents=True, exist_ok=True)
    base = Path(os.path.commonpath([os.path.abspath(p.parent) for p in files]))
    dests = [output_path(p, base, out) for p in files]
    clash = {os.path.realpath(p) for p in files} & {os.path.realpath(d) for d in dests}
    if clash:
        raise OutputError(f"input {sorted(clash)[0]} would be replaced by an output; choose another output folder")
    n_workers = workers or (1 if executor == "serial" else max(1, os.cpu_count() or 1))
    if threads is None and executor != "serial":
        threads = 1 if scheduler else max(1, (os.cpu_count() or 1) // n_workers)
    report = BatchReport(spec, executor, n_workers)
    jobs = [(str(p), str(d)) for p, d in zip(files, dests)]
    t0 = time.perf_counter()

    def note(r: FileResult) -> None:
        report.results.append(r)
        if progress:
            progress(r)

    try:
        if executor == "serial":
            for inp, dst in jobs:
                note(process_one(inp, dst, steps, spec, read_options, checksum, threads))
        elif executor == "process":
            _run_pool(jobs, steps, spec, read_options, checksum, n_workers, note, threads)
        else:
            from .dask import run_dask

            run_dask(jobs, steps, spec, read_options, checksum, workers, scheduler, note, retries, threads)
    except KeyboardInterrupt:
        report.interrupted = True
        finished = {r.input for r in report.results}
        report.results += [FileResult(i, d, "interrupted") for i, d in jobs if i not in finished]
        report.seconds = time.perf_counter() - t0
        _write_report(out, report)
        raise
    order = {inp: k for k, (inp, _) in enumerate(jobs)}
    report.results.sort(key=lambda r: order.get(r.input, 0))
    report.seconds = time.perf_counter() - t0
    _write_report(out, report)
    return report


def _run_pool(jobs, steps, spec, read_options, checksum, n_workers, note, threads) -> None:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    # never fork this process: a loaded OpenMP runtime (torch, numba's omp layer) or a held lock would break the
    # children; a fork server starts clean workers (each imports spikevision and loads the cached kernels once)
    ctx = mp.get_context("forkserver" if sys.platform == "linux" else "spawn")
    pool = ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx)
    futures = {}
    try:
        futures = {pool.submit(process_one, i, d, steps, spec, read_options, checksum, threads): (i, d)
                   for i, d in jobs}
        for fut in as_completed(futures):
            try:
                note(fut.result())
            except BrokenProcessPool as exc:
                i, d = futures[fut]
                note(FileResult(i, d, "failed", error=f"worker process died: {exc}"))
    except KeyboardInterrupt:
        for f in futures:
            f.cancel()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
