"""Public spike datasets: cards, loaders, verification, preparation, and torch Datasets.

Each public dataset has a card (``spikevision/datasets/cards/<name>.toml``) that says what it is, how
its files are laid out and what ground truth it has. Nothing is downloaded implicitly.

Example:
    >>> import spikevision.datasets as svd
    >>> "REDS_BASE" in svd.list_datasets()
    True
    >>> svd.card("REDS_BASE").height
    250
    >>> ds = svd.load("REDS_BASE", root="~/data/REDS_BASE")     # doctest: +SKIP
    >>> svd.verify("REDS_BASE", "~/data/REDS_BASE").ok           # doctest: +SKIP
    True
"""

from __future__ import annotations

from ._card import Card, GroundTruth, parse_card, read_card
from .api import (
    PREPARED_MANIFEST,
    DatasetNotFound,
    Sample,
    SpikeDataset,
    VerifyReport,
    card,
    data_root,
    list_datasets,
    load,
    sha256_file,
    verify,
)
from .evaluate import EVAL_TASKS, EvalReport, EvaluationError, evaluate
from .fetch import DownloadError, fetch
from .prepare import prepare

__all__ = ["list_datasets", "card", "load", "verify", "evaluate", "EvalReport", "EvaluationError", "EVAL_TASKS",
           "fetch", "prepare", "data_root", "Card", "GroundTruth",
           "parse_card", "read_card", "Sample", "SpikeDataset", "VerifyReport", "DatasetNotFound", "DownloadError",
           "sha256_file", "PREPARED_MANIFEST"]


def __getattr__(name: str):
    """``torch`` and ``transforms`` load on first use (torch is optional and heavy)."""
    if name in ("torch", "transforms"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'spikevision.datasets' has no attribute {name!r}")
