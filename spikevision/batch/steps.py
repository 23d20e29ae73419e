"""Pipeline steps of :func:`spikevision.batch.run`, registered in one place.

A step is a function ``fn(stream, state, **options) -> dict`` of a recording's
:class:`~spikevision.SpikeStream`; what it returns (arrays, numbers, text) is stored under
``/<step name>/<key>`` of the recording's output file, and is also put in ``state`` for the
steps after it (``state["recon"]["images"]`` ...). A result key ``"_stream"`` replaces the
stream the later steps read (``denoise,recon:best`` reconstructs the denoised spikes). Every
module's step is registered at the end of this file (its module is imported on first use); a
step's ``source`` says what the runner opens for it: a spike stream, a stereo pair (a pair
file, or LEFT/RIGHT files matched by name) or a modulo record. Third-party code adds a step
with :func:`register_step`; the runner needs no change.
"""

from __future__ import annotations

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
    #: what the step reads: "stream" (a spike stream), "pair" (a stereo pair) or "modulo" (a modulo record)
    source: str = "stream"


_STEPS: dict[str, Step] = {}
#: key of a step result that replaces the stream the steps after it read (not stored)
_STREAM = "_stream"


def register_step(name: str, fn: Callable[..., dict[str, Any]], *, primary: str | None = "method", help: str = "",
                  defaults: dict[str, Any] | None = None, replace: bool = True, source: str = "stream") -> Step:
    """Register (or replace) the pipeline step ``name``."""
    if not name.isidentifier():
        raise PipelineError(f"step name {name!r} must be an identifier such as 'recon'")
    if name in _STEPS and not replace:
        raise PipelineError(f"a step named {name!r} is already registered; pass replace=True to override it")
    if source not in ("stream", "pair", "modulo"):
        raise PipelineError(f"step source {source!r} is not one of 'stream', 'pair', 'modulo'")
    step = Step(name, fn, primary, help, dict(defaults or {}), source)
    _STEPS[name] = step
    return step


def get_step(name: str) -> Step:
    """The registered step ``name``."""
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


def _flow(stream, state, method: str = "best", dt: int = 40, step: int = 40, start: int = 0,
          stop: int | None = None, **params: Any) -> dict[str, Any]:
    """Dense flow fields every ``step`` frames over ``dt`` frames (:func:`spikevision.flow.estimate_sequence`)."""
    from ..flow import estimate_sequence

    end = len(stream) if stop is None else min(stop, len(stream))
    if start + dt >= end:
        raise PipelineError(f"the recording has {len(stream)} frames, too few for flow over dt={dt} "
                            f"from frame {start}; give a smaller dt (flow:dt=N)")
    fields = estimate_sequence(stream, dt, step=step, start=start, stop=stop, method=method, **params)
    last = (len(stream) if stop is None else min(stop, len(stream))) - dt
    frames = np.arange(start, last + 1, step, dtype=np.int64)[:len(fields)]
    return {"flow": np.asarray(fields, np.float32), "frames": frames, "dt": int(dt), "method": method}


def _denoise(stream, state, method: str = "best", calibration: str | None = None, **params: Any) -> dict[str, Any]:
    """Denoised spikes (:func:`spikevision.denoise.denoise`); the steps after it read the denoised stream."""
    from ..denoise import denoise, load_calibration

    cal = load_calibration(calibration) if calibration else None
    out = denoise(stream, calibration=cal, method=method, **params)
    before, after = stream.spike_counts(), out.spike_counts()
    return {_STREAM: out, "spike_counts": after.astype(np.int64),
            "removed": int(before.sum()) - int(after.sum()), "method": method}


def _stereo(stream, state, method: str = "best", step: int = 20, start: int = 0, stop: int | None = None,
            max_disparity: int = 64, **params: Any) -> dict[str, Any]:
    """Disparity maps every ``step`` frames of a stereo recording (:func:`spikevision.stereo.disparity_sequence`)."""
    from ..stereo import disparity_sequence

    pair = getattr(stream, "stereo_pair", None)
    if pair is None:
        raise PipelineError("the stereo step needs a stereo recording: a pair file (spikevision.stereo.save_pair) "
                            "or a LEFT file whose name has 'left' with its 'right' file beside it")
    maps = disparity_sequence(pair.left, pair.right, step=step, start=start, stop=stop, method=method,
                              max_disparity=max_disparity, **params)
    return {"disparity": np.asarray(maps, np.float32),
            "frames": np.arange(len(maps), dtype=np.int64) * step + start, "method": method}


def _derain(stream, state, method: str = "best", step: int = 40, start: int | None = None, stop: int | None = None,
            **params: Any) -> dict[str, Any]:
    """Rain-free images every ``step`` frames (:func:`spikevision.derain.derain_sequence`)."""
    from ..derain import derain_sequence
    from ..recon.api import frame_range

    images = derain_sequence(stream, step=step, start=start, stop=stop, method=method, **params)
    return {"images": np.asarray(images, np.float32),
            "frames": np.asarray(frame_range(len(stream), start, stop, step), np.int64)[:len(images)],
            "method": method}


def _hdr(stream, state, method: str = "best", window: int | None = None, **_: Any) -> dict[str, Any]:
    """Unwrapped fire counts and radiance of a modulo record (:func:`spikevision.hdr.unwrap`)."""
    from ..hdr import unwrap

    record = getattr(stream, "record", None)
    if record is None:
        raise PipelineError("the hdr step needs a modulo record file (spikevision.sim.save_modulo), not a spike stream")
    res = unwrap(record, method=method, window=window)
    return {"counts": np.asarray(res.counts, np.int64), "ticks": np.asarray(res.ticks, np.int64),
            "radiance": np.asarray(res.radiance(), np.float32), "ambiguous": int(np.asarray(res.flags).sum()),
            "method": res.method}


def _convert(stream, state, format: str = "h5", _out=None, **options: Any) -> dict[str, Any]:
    from ..io import save_stream

    if _out is None:
        raise PipelineError("the convert step writes next to the recording's output; run it through batch.run")
    dest = _out.with_name(_out.name[: -len(".h5")] + f".spikes.{format}")
    save_stream(dest, stream, format=format, **options)
    return {"file": dest.name, "format": format}


register_step("info", _info, primary=None, help="frames, size, fps, spike density and per-pixel firing rate")
register_step("recon", _recon, help="images every STEP frames (method best|tfp|tfi|tfstp|adaptive)")
register_step("denoise", _denoise, help="denoised spikes feed the steps after it (method best|hot|fpn|temporal; "
                                         "calibration=FILE.h5)")
register_step("flow", _flow, help="flow fields every STEP frames over DT frames (method best|spike|dis|farneback)")
register_step("stereo", _stereo, source="pair",
              help="disparity every STEP frames of a pair file or LEFT/RIGHT files (method best|spike|sgbm)")
register_step("derain", _derain, help="rain-free images every STEP frames (method best|temporal|motion|rpca)")
register_step("hdr", _hdr, source="modulo",
              help="unwrapped counts and radiance of a modulo record (method best|temporal|hierarchical|spatial)")
register_step("convert", _convert, primary="format", help="write the spikes as FORMAT (h5|dat|npz) next to the output")
