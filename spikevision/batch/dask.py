"""The Dask executor and lazy Dask views of spike files (``dask[distributed]``, the ``dist`` extra)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import BackendUnavailable, SpikevisionError

__all__ = ["run_dask", "to_dask", "reconstruct_chunked", "overlap_frames"]


def _need_dask():
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise BackendUnavailable("the dask executor needs dask[distributed]; pip install 'spikevision[dist]'") \
            from exc


def run_dask(jobs, steps, spec, read_options, checksum, workers, scheduler, note: Callable, retries: int,
             threads: int | None = None) -> None:
    """One task per recording on a ``distributed`` cluster; results are passed to ``note`` as they arrive.

    A task whose worker dies is rescheduled by the scheduler (up to its ``allowed-failures``), and,
    if it still fails, resubmitted up to ``retries`` more times.
    """
    _need_dask()
    from distributed import Client, LocalCluster, as_completed

    from .runner import FileResult, process_one

    cluster = None
    if scheduler:
        client = Client(scheduler, timeout="30s")
    else:
        n = workers or max(1, os.cpu_count() or 1)
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                               host="127.0.0.1")
        client = Client(cluster)
    try:
        futs = {}
        for i, d in jobs:
            f = client.submit(process_one, i, d, steps, spec, read_options, checksum, threads, pure=False,
                              key=f"spikevision-batch-{abs(hash((i, d, spec))):x}-0")
            futs[f] = (i, d, 0)
        ac = as_completed(list(futs))
        for f in ac:
            i, d, tries = futs.pop(f)
            try:
                note(f.result())
            except Exception as exc:  # the worker died (KilledWorker) or the task could not run
                if tries < retries:
                    g = client.submit(process_one, i, d, steps, spec, read_options, checksum, threads, pure=False,
                                      key=f"spikevision-batch-{abs(hash((i, d, spec))):x}-{tries + 1}")
                    futs[g] = (i, d, tries + 1)
                    ac.add(g)
                else:
                    note(FileResult(i, d, "failed", error=f"{type(exc).__name__}: {exc}"))
    except KeyboardInterrupt:
        client.cancel(list(futs))
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


class _Frames:
    """Array-like view of a SpikeStream for ``dask.array.from_array`` (pickles by path)."""

    def __init__(self, stream):
        self.stream = stream
        self.shape = stream.shape
        self.dtype = np.dtype(np.uint8)
        self.ndim = 3

    def __getitem__(self, key):
        if not isinstance(key, tuple):
            key = (key,)
        t = key[0] if key else slice(None)
        rest = key[1:]
        if isinstance(t, slice) and (t.step in (None, 1)):
            a, b, _ = t.indices(self.shape[0])
            block = self.stream[a:b].unpack()
        else:
            block = self.stream.unpack()[t]
        return block[(slice(None), *rest)] if rest and block.ndim == 3 else block


def to_dask(stream, chunk_frames: int = 1024):
    """A lazy dask array (T, H, W) uint8 over ``stream``; each chunk of ``chunk_frames`` frames is read on demand.

    File-backed streams pickle by path, so the chunks are read by the workers that compute them.

    Example:
        >>> arr = sv.open("rec.dat").to_dask(chunk_frames=2048)       # doctest: +SKIP
        >>> rate = arr.mean(axis=0).compute()                         # doctest: +SKIP
    """
    try:
        import dask.array as da
    except ImportError as exc:
        raise BackendUnavailable("to_dask needs dask; pip install 'spikevision[dist]'") from exc
    if chunk_frames < 1:
        raise ValueError(f"chunk_frames must be >= 1, got {chunk_frames}")
    prov = stream.meta.provenance
    import hashlib

    token = hashlib.sha1(repr((str(prov.get("path", id(stream.source))), stream.source_frames, stream.shape,
                               prov.get("crop"))).encode()).hexdigest()[:16]
    t, h, w = stream.shape
    return da.from_array(_Frames(stream), chunks=(max(1, min(chunk_frames, t)), h, w), name=f"spikes-{token}",
                         lock=True, asarray=True, meta=np.empty((0, 0, 0), np.uint8))  # a source reuses its read buffer


def overlap_frames(method: str, params: dict[str, Any]) -> int:
    """Frames each side of an image's frame that ``method`` reads (the overlap a time chunk needs).

    Raises:
        SpikevisionError: for TFSTP, whose recursive state reaches back to frame 0 (not chunkable exactly).
    """
    from ..recon.adaptive import ADAPTIVE_DEFAULTS
    from ..recon.api import resolve_method

    name = resolve_method(method)
    if name == "adaptive":
        return int(params.get("span", ADAPTIVE_DEFAULTS["span"])) + 1
    if name in ("tfp", "tfi"):
        return int(params.get("window", 41)) // 2 + 2
    raise SpikevisionError(f"{name} keeps a recursive state from frame 0, so time chunks cannot reproduce it "
                           f"exactly; use tfp, tfi or best (adaptive) for chunked reconstruction")


def _piece(stream, a: int, b: int, first: int, last: int, step: int, method: str, params: dict) -> np.ndarray:
    import pickle

    from ..recon import reconstruct_sequence

    if "path" in stream.meta.provenance:  # its own file handle and read buffer (threads share the stream object)
        stream = pickle.loads(pickle.dumps(stream))
    return np.asarray(reconstruct_sequence(stream[a:b], method, step=step, start=first - a, stop=last - a + 1,
                                           **params))


def reconstruct_chunked(stream, method: str = "best", *, step: int = 40, chunk_frames: int = 8192,
                        client: Any = None, **params: Any) -> np.ndarray:
    """Images every ``step`` frames of one long recording, computed in time chunks in parallel.

    Each chunk reads its frames plus the overlap the method's window needs
    (:func:`overlap_frames`), so the result equals :func:`spikevision.recon.reconstruct_sequence`
    bit for bit. ``rate="auto"`` is resolved once over the whole recording first.

    Args:
        stream: a file-backed SpikeStream (it travels to the workers by path).
        client: a ``distributed.Client`` (None: dask's default scheduler in this process).
    """
    import dask
    from dask import delayed

    from ..recon import auto_rate

    if isinstance(params.get("rate"), str):
        params = dict(params, rate=auto_rate(stream, 0, len(stream)))
    halo = overlap_frames(method, params)
    t = len(stream)
    images = list(range(0, t, step))
    per = max(1, chunk_frames // step)
    tasks = []
    for k in range(0, len(images), per):
        first, last = images[k], images[min(k + per, len(images)) - 1]
        a, b = max(0, first - halo), min(t, last + halo + 1)
        tasks.append(delayed(_piece)(stream, a, b, first, last, step, method, params))
    parts = client.compute(tasks, sync=True) if client is not None else dask.compute(*tasks)
    return np.concatenate(parts)
