"""Train spikevision's learned reconstruction on simulated spikes (no dataset download).

    python -m spikevision.models.train recon --out DIR [--budget-minutes M] [--steps N] [--seed S]
                                             [--batch B] [--crop C] [--lr LR] [--resume]

Writes ``DIR/checkpoint.pt`` (model, optimiser, step, elapsed time; atomic, every ``--checkpoint-every``
steps and at the end), ``DIR/weights.pt`` (the model alone, what :func:`spikevision.models.load_model`
reads), ``DIR/weights.json`` (SHA-256, command, figures) and ``DIR/validation.md`` (the validation table
on the benchmark's recon scenes). ``--resume`` continues from ``DIR/checkpoint.pt``: batches are a pure
function of ``(seed, step)``, so a resumed run continues exactly as an uninterrupted one would.
Training stops at ``--steps`` or when ``--budget-minutes`` of wall clock (this session) are spent.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ._errors import ModelError
from .data import training_batch
from .net import SpikeUNet

__all__ = ["train", "TrainConfig", "main", "save_checkpoint", "load_checkpoint"]

DEFAULTS: dict[str, Any] = {"seed": 0, "batch": 8, "crop": 48, "lr": 2e-3, "width": 16, "steps": 100_000,
                            "budget_minutes": None, "checkpoint_every": 200, "threads": 2,
                            "half_widths": [2, 5, 10, 20], "light_channel": False}


class TrainConfig(dict):
    """Training options (a dict of :data:`DEFAULTS` keys)."""

    def __init__(self, **kw: Any):
        bad = set(kw) - set(DEFAULTS)
        if bad:
            raise ModelError(f"unknown training option(s) {sorted(bad)}; choose from {sorted(DEFAULTS)}")
        super().__init__({**DEFAULTS, **kw})


def _atomic_torch_save(obj: Any, path: Path) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def save_checkpoint(path: Path, model: SpikeUNet, opt: torch.optim.Optimizer, step: int, elapsed: float,
                    config: dict, losses: list[float]) -> None:
    """Model, optimiser and progress to ``path`` (temp file + rename)."""
    _atomic_torch_save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": elapsed,
                        "config": dict(config), "net": model.config(), "losses": losses}, Path(path))


def load_checkpoint(path: Path) -> dict:
    """A checkpoint written by :func:`save_checkpoint`."""
    return torch.load(Path(path), map_location="cpu", weights_only=False)


def _lr_at(step: int, cfg: dict) -> float:
    """Cosine decay over ``steps`` after 100 warm-up steps (a function of the step alone: resumable)."""
    warm = min(1.0, (step + 1) / 100)
    return cfg["lr"] * warm * (0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * min(1.0, step / cfg["steps"]))))


def train(out: str | os.PathLike, *, resume: bool = False, progress: bool = True, stop_at: int | None = None,
          **options: Any) -> dict:
    """Train the reconstruction network; returns ``{"step", "elapsed", "losses", "model"}``.

    ``stop_at`` ends this call at that step without changing the schedule (tests interrupt a run with it).
    """
    cfg = TrainConfig(**options)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(int(cfg["threads"]))
    torch.manual_seed(cfg["seed"])
    model = SpikeUNet(width=cfg["width"], half_widths=cfg["half_widths"], light_channel=cfg["light_channel"])
    frames = max(96, model.window + 64)
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    step, elapsed, losses = 0, 0.0, []
    ckpt = out / "checkpoint.pt"
    if resume and ckpt.exists():
        state = load_checkpoint(ckpt)
        if state["config"] != dict(cfg) and {k: v for k, v in state["config"].items() if k != "budget_minutes"} != \
                {k: v for k, v in cfg.items() if k != "budget_minutes"}:
            raise ModelError(f"{ckpt} was trained with other options {state['config']}; resume with the same "
                             f"options or choose another --out")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, elapsed, losses = state["step"], state["elapsed"], list(state["losses"])
    budget = None if cfg["budget_minutes"] is None else 60.0 * float(cfg["budget_minutes"])
    end = cfg["steps"] if stop_at is None else min(stop_at, cfg["steps"])
    t0 = time.perf_counter() - elapsed
    model.train()
    while step < end and (budget is None or time.perf_counter() - t0 < budget):
        x, y = training_batch(cfg["seed"], step, batch=cfg["batch"], size=cfg["crop"], frames=frames,
                              window=model.window)
        x, y = torch.from_numpy(x), torch.from_numpy(y)
        for g in opt.param_groups:
            g["lr"] = _lr_at(step, cfg)
        pred = model(x)
        scale = torch.clamp(y.mean(dim=(1, 2), keepdim=True), min=1e-3)
        loss = ((pred - y).abs() / scale).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        step += 1
        if progress and (step % 20 == 0 or step == end):
            el = time.perf_counter() - t0
            print(f"step {step}  loss {np.mean(losses[-20:]):.4f}  lr {_lr_at(step, cfg):.2e}  {el / 60:.1f} min",
                  file=sys.stderr, flush=True)
        if step % cfg["checkpoint_every"] == 0:
            save_checkpoint(ckpt, model, opt, step, time.perf_counter() - t0, cfg, losses)
    elapsed = time.perf_counter() - t0
    save_checkpoint(ckpt, model, opt, step, elapsed, cfg, losses)
    return {"step": step, "elapsed": elapsed, "losses": losses, "model": model}


def write_weights(model: SpikeUNet, out: Path, info: dict) -> dict:
    """``out/weights.pt`` (state dict + config) and ``out/weights.json`` (its SHA-256 and ``info``)."""
    path = Path(out) / "weights.pt"
    _atomic_torch_save({"net": model.config(), "state": model.state_dict()}, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    meta = {"file": path.name, "sha256": digest, "bytes": path.stat().st_size, **info}
    tmp = path.with_name("weights.json.tmp")
    tmp.write_text(json.dumps(meta, indent=2) + "\n")
    os.replace(tmp, path.with_name("weights.json"))
    return meta


def _positive(kind):
    def conv(text: str):
        v = kind(text)
        if not v > 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return v
    return conv


def _half_widths(text: str) -> list[int]:
    try:
        out = [int(v) for v in text.split(",")]
    except ValueError:
        out = []
    if not out or min(out) < 0 or max(out) > 1000:
        raise argparse.ArgumentTypeError(f"must be comma-separated integers in [0, 1000], e.g. 2,5,10,20; got {text}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m spikevision.models.train", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="task", required=True)
    p = sub.add_parser("recon", help="the reconstruction network (SpikeUNet)")
    p.add_argument("--out", required=True, help="run folder (checkpoint, weights, validation table)")
    p.add_argument("--budget-minutes", type=_positive(float), default=None, help="wall-clock budget")
    p.add_argument("--steps", type=_positive(int), default=DEFAULTS["steps"], help="schedule length")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=_positive(int), default=DEFAULTS["batch"])
    p.add_argument("--crop", type=_positive(int), default=DEFAULTS["crop"], help="training crop (pixels)")
    p.add_argument("--lr", type=_positive(float), default=DEFAULTS["lr"])
    p.add_argument("--width", type=_positive(int), default=DEFAULTS["width"], help="channels of the first level")
    p.add_argument("--half-widths", type=_half_widths, default=[2, 5, 10, 20],
                   help="half-widths of the nested TFP windows (the model reads 2 * max + 1 frames)")
    p.add_argument("--light-channel", action="store_true", help="give the network the absolute light level")
    p.add_argument("--threads", type=_positive(int), default=DEFAULTS["threads"])
    p.add_argument("--checkpoint-every", type=_positive(int), default=DEFAULTS["checkpoint_every"])
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument("--val-size", default="96x128", help="HxW of the validation scenes ('0' skips validation)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    a = ap.parse_args(argv)
    opts = dict(seed=a.seed, batch=a.batch, crop=a.crop, lr=a.lr, width=a.width, steps=a.steps,
                budget_minutes=a.budget_minutes, checkpoint_every=a.checkpoint_every, threads=a.threads,
                half_widths=a.half_widths, light_channel=a.light_channel)
    res = train(a.out, resume=a.resume, progress=not a.quiet, **opts)
    info: dict[str, Any] = {"command": "python -m spikevision.models.train " + " ".join(argv or sys.argv[1:]),
                            "steps": res["step"], "train_minutes": round(res["elapsed"] / 60, 2),
                            "final_loss": float(np.mean(res["losses"][-50:])) if res["losses"] else None,
                            "options": opts, "torch": torch.__version__}
    if a.val_size != "0":
        from .evaluate import evaluate, table

        h, w = (int(v) for v in a.val_size.split("x"))
        rows = evaluate(res["model"], h, w)
        text = table(rows)
        (Path(a.out) / "validation.md").write_text(f"validation at {h}x{w}\n\n{text}\n")
        print(text)
        info["validation"] = {"size": f"{h}x{w}", "rows": rows}
    meta = write_weights(res["model"], Path(a.out), info)
    print(f"weights: {Path(a.out) / 'weights.pt'}  sha256 {meta['sha256']}  ({meta['bytes']} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
