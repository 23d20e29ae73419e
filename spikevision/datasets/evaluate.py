"""Score a spikevision method against a dataset's ground truth in one call.

``evaluate("SPIFT", "flow", method="dis")`` loads every recording of the dataset
(:func:`spikevision.datasets.load`), runs the method and scores it with
:mod:`spikevision.metrics`: flow end-point error (``flow_metrics``), disparity end-point
error (``disparity_metrics``) or reconstruction PSNR/SSIM. Where a ground truth is a
sequence, its first item is scored (flow from frame ``t`` to ``t + dt``; reconstruction
at frame ``at``); set ``t``/``dt``/``at`` to the dataset's timing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import SpikevisionError

__all__ = ["evaluate", "EvalReport", "EVAL_TASKS", "EvaluationError"]

#: task -> the ground-truth kind it scores against
EVAL_TASKS = {"flow": "flow", "stereo": "disparity", "recon": "image"}


class EvaluationError(SpikevisionError, ValueError):
    """The dataset has no ground truth for the task, or the task's options do not fit its recordings."""


@dataclass
class EvalReport:
    """Per-recording scores and their means (``mean["epe"]`` ...)."""

    dataset: str
    task: str
    method: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def mean(self) -> dict[str, float]:
        keys = [k for k in (self.rows[0] if self.rows else {}) if k not in ("id", "split")]
        return {k: float(np.mean([r[k] for r in self.rows])) for k in keys}

    def as_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "task": self.task, "method": self.method, "recordings": len(self.rows),
                "mean": self.mean, "rows": self.rows}

    def table(self) -> str:
        keys = list(self.mean)
        lines = [f"{self.dataset} {self.task} method={self.method}: {len(self.rows)} recordings",
                 "  " + f"{'recording':<28}" + "".join(f"{k:>10}" for k in keys)]
        for r in self.rows:
            lines.append("  " + f"{r['split'] + '/' + r['id']:<28.28}" + "".join(f"{r[k]:>10.4g}" for k in keys))
        lines.append("  " + f"{'mean':<28}" + "".join(f"{v:>10.4g}" for v in self.mean.values()))
        return "\n".join(lines)


def _gt(sample, kind: str, names: list[str]):
    for n in names:
        v = sample.gt.get(n)
        if v is not None:
            return v[0] if isinstance(v, list) else v
    raise EvaluationError(f"recording {sample.id} has no {kind} ground truth; check the dataset with "
                          f"`spikevision datasets verify`")


def _gray(img: np.ndarray) -> np.ndarray:
    img = np.asarray(img, np.float32)
    return img @ np.float32([0.299, 0.587, 0.114]) if img.ndim == 3 else img


def _score_flow(sample, names, method, t: int = 0, dt: int = 10, **params) -> dict[str, float]:
    from ..flow import estimate
    from ..metrics import flow_metrics

    if t + dt >= len(sample.spikes):
        raise EvaluationError(f"recording {sample.id} has {len(sample.spikes)} frames, too few for t={t}, dt={dt}; "
                              f"pass a smaller dt= (the dataset's flow interval)")
    gt = np.asarray(_gt(sample, "flow", names), np.float32)
    est = np.asarray(estimate(sample.spikes, t, dt, method=method, **params), np.float32)
    return {k: float(v) for k, v in flow_metrics(est, gt).items()}


def _score_stereo(sample, names, method, t: int | None = None, max_disparity: int = 64,
                  **params) -> dict[str, float]:
    from ..metrics import disparity_metrics
    from ..stereo import disparity

    if sample.right is None:
        raise EvaluationError(f"recording {sample.id} has no right view; the stereo task needs a stereo dataset")
    gt = np.asarray(_gt(sample, "disparity", names), np.float32)
    at = len(sample.spikes) // 2 if t is None else t
    est = np.asarray(disparity(sample.spikes, sample.right, at, method=method, max_disparity=max_disparity,
                               **params), np.float32)
    return {k: float(v) for k, v in disparity_metrics(est, gt, np.isfinite(gt) & (gt > 0)).items()}


def _score_recon(sample, names, method, at: int | None = None, **params) -> dict[str, float]:
    from ..metrics import psnr, ssim
    from ..recon import reconstruct

    gt = np.asarray(_gt(sample, "image", names), np.float32)
    est = np.clip(np.asarray(reconstruct(sample.spikes, method, at, **params), np.float32), 0, 1)
    if est.ndim != gt.ndim:
        est, gt = _gray(est), _gray(gt)
    return {"psnr": float(psnr(est, gt)), "ssim": float(ssim(_gray(est), _gray(gt)))}


_SCORERS: dict[str, Callable[..., dict[str, float]]] = {"flow": _score_flow, "stereo": _score_stereo,
                                                         "recon": _score_recon}


def evaluate(name: str, task: str, *, method: str = "best", root: str | os.PathLike | None = None,
             split: str | None = None, limit: int | None = None, progress: Callable[[int], Any] | None = None,
             **options: Any) -> EvalReport:
    """Score ``method`` on dataset ``name`` for ``task`` ("flow", "stereo" or "recon").

    Args:
        name, root, split: as :func:`spikevision.datasets.load` (nothing is downloaded).
        task: "flow" (flow EPE, AAE, Fl; options ``t``, ``dt``), "stereo" (disparity EPE, bad1/bad3, D1; options
            ``t``, ``max_disparity``) or "recon" (PSNR and SSIM in [0, 1]; option ``at``).
        method: the module's method name.
        limit: score only the first ``limit`` recordings.
        **options: the task's options above, then the method's parameters.

    Returns:
        An :class:`EvalReport` (``.rows``, ``.mean``, ``.table()``, ``.as_dict()``).
    """
    from .api import card, load

    if task not in _SCORERS:
        raise EvaluationError(f"unknown task {task!r}; choose one of {', '.join(_SCORERS)}")
    kind = EVAL_TASKS[task]
    c = card(name)
    names = [g.name for g in c.gt.values() if g.kind == kind]
    if not names:
        have = ", ".join(sorted({g.kind for g in c.gt.values()})) or "none"
        raise EvaluationError(f"dataset {name} has no {kind} ground truth (it has: {have}); pick a dataset "
                              f"with `spikevision datasets list --task {task}`")
    ds = load(name, root, split=split)
    rep = EvalReport(name, task, method)
    n = len(ds) if limit is None else min(limit, len(ds))
    for i in range(n):
        sample = ds[i]
        try:
            rep.rows.append({"id": sample.id, "split": sample.split,
                             **_SCORERS[task](sample, names, method, **options)})
        finally:
            sample.spikes.close()
            if sample.right is not None:
                sample.right.close()
        if progress is not None:
            progress(1)
    return rep
