"""Pipeline steps of :func:`spikevision.batch.run`, registered in one place.

A step is a function ``fn(stream, state, **options) -> dict`` of a recording's
:class:`~spikevision.SpikeStream`; what it returns (arrays, numbers, text) is stored under
``/<step name>/<key>`` of the recording's output file, and is also put in ``state`` for the
steps after it (``state["recon"]["images"]`` ...). A module adds its step with
:func:`register_step`, usually in its own ``__init__``; steps whose module is not imported
yet (``denoise``, ``stereo``, ``derain``, ``hdr``) are looked up in ``spikevision.<name>`` on
first use, so a new module needs no change here.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import SpikevisionError

__all__ = ["Step", "register_step", "get_step", "registered_steps", "parse_pipeline", "pipeline_spec",
           "PipelineError"]


class PipelineError(SpikevisionError, ValueError):
    """A pipeline names an unknown step or gives a step options it does not take."""


@dataclass(frozen=True)
class Step:
    """A registered step: its function, the option a bare ``name:value`` sets, and a one-line help."""

    name: str
    fn: Callable[..., dict[str, Any]]
    primary: str | None = "method"
    help: str = ""
    defaults: dict[str, Any] = field(default_factory=dict)


_STEPS: dict[str, Step] = {}
_TRIED: set[str] = set()
#: step name -> module that registers it when imported
_MODULES = {name: f"spikevision.{name}" for name in ("denoise", "flow", "stereo", "derain", "hdr")}


def register_step(name: str, fn: Callable[..., dict[str, Any]], *, primary: str | None = "method", help: str = "",
                  defaults: dict[str, Any] | None = None, replace: bool = True) -> Step:
    """Register (or replace) the pipeline step ``name``."""
    if not name.isidentifier():
        raise PipelineError(f"step name {name!r} must be an identifier such as 'recon'")
    if name in _STEPS and not replace:
        raise PipelineError(f"a step named {name!r} is already registered; pass replace=True to override it")
    step = Step(name, fn, primary, help, dict(defaults or {}))
    _STEPS[name] = step
    return step


def get_step(name: str) -> Step:
    """The step ``name``, importing ``spikevision.<name>`` first (once) when that module may register it."""
    mod = _MODULES.get(name)
    if mod and mod not in _TRIED:
        _TRIED.add(mod)
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                raise
    if name not in _STEPS:
        raise PipelineError(f"unknown pipeline step {name!r}; registered steps: {', '.join(registered_steps())} "
                            f"(a module adds its own with spikevision.batch.register_step)")
    return _STEPS[name]


def registered_steps() -> list[str]:
    """Names of the registered steps, sorted."""
    return sorted(_STEPS)


def _value(text: str) -> Any:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_pipeline(pipeline: str | list) -> list[tuple[str, dict[str, Any]]]:
    """``"recon:best,flow:dis"`` or ``[("recon", {"method": "best"}), "info"]`` -> ``[(name, options), ...]``.

    In text, steps are separated by commas and options by colons: ``name:value`` sets the step's
    primary option (its method), ``name:key=value`` any option (``recon:tfp:window=21:step=20``).
    Every step name is checked against the registry.
    """
    if isinstance(pipeline, str):
        items: list = []
        for part in filter(None, (p.strip() for p in pipeline.split(","))):
            name, *opts = part.split(":")
            d: dict[str, Any] = {}
            for o in opts:
                if "=" in o:
                    k, v = o.split("=", 1)
                    d[k.strip().replace("-", "_")] = _value(v.strip())
                else:
                    step = get_step(name.strip())
                    if step.primary is None:
                        raise PipelineError(f"step {name!r} takes no bare value ({o!r}); write key=value")
                    d[step.primary] = _value(o.strip())
            items.append((name.strip(), d))
    else:
        items = [(p, {}) if isinstance(p, str) else (p[0], dict(p[1])) for p in pipeline]
    if not items:
        raise PipelineError("the pipeline is empty; give at least one step, e.g. 'recon:best'")
    out = []
    for name, opts in items:
        step = get_step(name)
        out.append((name, {**step.defaults, **opts}))
    return out


def pipeline_spec(pipeline: list[tuple[str, dict[str, Any]]]) -> str:
    """Canonical JSON of a parsed pipeline (recorded in every output, compared when resuming)."""
    return json.dumps([[n, o] for n, o in pipeline], sort_keys=True, default=str)


# --- built-in steps ---------------------------------------------------------------------------------------
def _info(stream, state, **_: Any) -> dict[str, Any]:
    counts = stream.spike_counts()
    return {"frames": len(stream), "height": stream.height, "width": stream.width, "fps": stream.fps,
            "spike_density": float(counts.sum() / max(1, counts.size * len(stream))),
            "firing_rate": (counts / max(1, len(stream))).astype(np.float32)}


def _recon(stream, state, method: str = "best", step: int = 40, start: int | None = None, stop: int | None = None,
           **params: Any) -> dict[str, Any]:
    from ..recon import reconstruct_sequence
    from ..recon.api import frame_range

    frames = frame_range(len(stream), start, stop, step)
    images = reconstruct_sequence(stream, method, step=step, start=start, stop=stop, **params)
    return {"images": np.asarray(images, np.float32), "frames": np.asarray(frames, np.int64), "method": method}


def _flow_dis(stream, state, method: str = "dis", step: int = 40, window: int = 41, preset: str = "medium",
              **_: Any) -> dict[str, Any]:
    """Dense flow between consecutive reconstructed images with OpenCV's DIS (Kroeger et al., ECCV 2016)."""
    import cv2

    if method != "dis":
        raise PipelineError(f"the built-in flow step has method 'dis' only, got {method!r}")
    rec = state.get("recon")
    if rec is None:
        rec = _recon(stream, state, "tfp", step=step, window=window)
    imgs = (np.clip(rec["images"], 0, 1) * 255).astype(np.uint8)
    presets = {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
               "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}
    dis = cv2.DISOpticalFlow_create(presets[preset])
    flows = [dis.calc(imgs[i], imgs[i + 1], None) for i in range(len(imgs) - 1)]
    h, w = imgs.shape[1:] if len(imgs) else (stream.height, stream.width)
    return {"flow": np.asarray(flows, np.float32).reshape(-1, h, w, 2), "frames": rec["frames"],
            "interval_frames": int(rec["frames"][1] - rec["frames"][0]) if len(rec["frames"]) > 1 else 0}


def _convert(stream, state, format: str = "h5", _out=None, **options: Any) -> dict[str, Any]:
    from ..io import save_stream

    if _out is None:
        raise PipelineError("the convert step writes next to the recording's output; run it through batch.run")
    dest = _out.with_name(_out.name[: -len(".h5")] + f".spikes.{format}")
    save_stream(dest, stream, format=format, **options)
    return {"file": dest.name, "format": format}


register_step("info", _info, primary=None, help="frames, size, fps, spike density and per-pixel firing rate")
register_step("recon", _recon, help="images every STEP frames (method best|tfp|tfi|tfstp|adaptive)")
register_step("flow", _flow_dis, defaults={"method": "dis"},
              help="dense flow between consecutive reconstructions (built in: OpenCV DIS)")
register_step("convert", _convert, primary="format", help="write the spikes as FORMAT (h5|dat|npz) next to the output")
