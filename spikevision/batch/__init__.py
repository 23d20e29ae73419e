"""Batch processing: one pipeline over many recordings, on a laptop or a Dask cluster.

Example:
    >>> from spikevision import batch
    >>> rep = batch.run("data/**/*.dat", "recon:best,flow:dis", "results/", executor="process")  # doctest: +SKIP
    >>> print(rep.table())                                                                      # doctest: +SKIP
"""

from __future__ import annotations

from .dask import overlap_frames, reconstruct_chunked, to_dask
from .runner import (
           EXECUTORS,
           REPORT_NAME,
           BatchReport,
           FileResult,
           expand_inputs,
           is_finished,
           output_path,
           process_one,
           run,
)
from .steps import PipelineError, Step, get_step, parse_pipeline, pipeline_spec, register_step, registered_steps

__all__ = ["run", "process_one", "expand_inputs", "output_path", "is_finished", "BatchReport", "FileResult",
           "EXECUTORS", "REPORT_NAME", "register_step", "get_step", "registered_steps", "parse_pipeline",
           "pipeline_spec", "Step", "PipelineError", "to_dask", "reconstruct_chunked", "overlap_frames"]
