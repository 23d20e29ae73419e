"""Inference of the learned reconstruction on NumPy, CuPy and torch inputs, offline and streaming.

- NumPy arrays and SpikeStreams run on the CPU through torch (``torch.set_num_threads`` applies).
- CuPy arrays are handed to torch through DLPack with no host copy when torch has CUDA (the model runs
  on the array's device and the images come back as CuPy arrays, again through DLPack); with a CPU-only
  torch they are copied to the host and the images copied back.
- torch tensors run on their own device; images are tensors on that device.

Images are (H, W) float32 in [0, 1] (1.0 = ``rate`` spikes per tick), like every ``spikevision.recon``
method. Windows reaching past either end of the stream are mirrored in time (see :mod:`.net`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .. import _bits
from ..backend import backend_name
from ..stream import SpikeStream
from ._errors import ModelError
from .data import window_indices

__all__ = ["load_model", "learned_images", "reconstruct_learned", "iter_learned", "StreamingLearned", "BATCH"]

#: images per forward pass
BATCH = 4


def load_model(weights: Any = None, *, device: Any = None, sha256: str | None = None, download: bool = False):
    """The :class:`~spikevision.models.SpikeUNet` of ``weights`` in eval mode.

    Args:
        weights: a registered name (default :data:`spikevision.models.DEFAULT`), a path to a weights file
            written by the training script, or a ``SpikeUNet`` (returned as it is).
        device: torch device ("cpu", "cuda:0" ...); default CPU.
        sha256, download: see :func:`spikevision.models.weights_path`.
    """
    from .net import SpikeUNet

    if isinstance(weights, SpikeUNet):
        return weights
    from .weights import weights_path

    path = weights_path(weights, sha256=sha256, download=download)
    return _load(str(path.resolve()), path.stat().st_mtime_ns, str(device or "cpu"))


@functools.lru_cache(maxsize=8)
def _load(path: str, mtime: int, device: str):
    import torch

    from .net import SpikeUNet

    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        model = SpikeUNet(**blob["net"])
        model.load_state_dict(blob["state"])
    except Exception as exc:
        raise ModelError(f"{path} is not a SpikeUNet weights file ({exc}); use a weights.pt written by "
                         f"python -m spikevision.models.train") from exc
    return model.eval().to(device)


def _model_for(model: Any, weights: Any, device: Any):
    if model is not None:
        return model.to(device) if device is not None else model
    return load_model(weights, device=device)


def _windows(spikes: Any, frames: Sequence[int], t_len: int, window: int):
    """(N, window, H, W) uint8 windows on the compute backend (NumPy, CuPy or torch)."""
    idx = [window_indices(int(t), t_len, window) for t in frames]
    if isinstance(spikes, SpikeStream):
        lo = min(int(i.min()) for i in idx)
        hi = max(int(i.max()) for i in idx) + 1
        part = spikes[lo:hi].unpack()
        return np.stack([part[i - lo] for i in idx])
    name = backend_name(spikes)
    if name == "torch":
        import torch

        sel = torch.as_tensor(np.stack(idx), device=spikes.device)
        return (spikes[sel.reshape(-1)] != 0).to(torch.uint8).reshape(len(frames), window, *spikes.shape[1:])
    if name == "cupy":
        import cupy

        w = spikes[cupy.asarray(np.stack(idx).reshape(-1))].reshape(len(frames), window, *spikes.shape[1:])
        return (w != 0).astype(cupy.uint8)
    w = np.asarray(spikes)[np.stack(idx).reshape(-1)].reshape(len(frames), window, *spikes.shape[1:])
    return w if w.dtype == np.uint8 and w.max(initial=0) <= 1 else (w != 0).astype(np.uint8)


def _forward(model: Any, windows: Any, rate: float):
    """Images of a window batch on the windows' backend."""
    import torch

    name = backend_name(windows)
    if name == "cupy":
        if torch.cuda.is_available():
            x = torch.from_dlpack(windows)
            out = _run(model, x, rate)
            import cupy

            return cupy.from_dlpack(out.contiguous())
        import cupy

        return cupy.asarray(_run(model, torch.from_numpy(windows.get()), rate).numpy())
    if name == "torch":
        return _run(model, windows, rate)
    return _run(model, torch.from_numpy(np.ascontiguousarray(windows)), rate).numpy()


def _run(model: Any, x: Any, rate: float):
    import torch

    dev = next(model.parameters()).device
    moved = x.device != dev
    with torch.inference_mode():
        y = model(x.to(dev))
        y = torch.clamp(y / float(rate), 0.0, 1.0).to(torch.float32)
    return y.to(x.device) if moved else y


def _check_rate(rate: Any) -> float:
    if isinstance(rate, str) or not (float(rate) > 0 and np.isfinite(float(rate))):
        raise ModelError(f"rate must be a positive number of spikes per tick shown as white, got {rate!r}")
    return float(rate)


def _shape(spikes: Any) -> tuple[int, int, int]:
    from ..recon._input import shape_of

    return shape_of(spikes)


def learned_images(spikes: Any, frames: Sequence[int], *, model: Any = None, weights: Any = None,
                   rate: float = 1.0, batch: int = BATCH, device: Any = None) -> list[Any]:
    """Images of ``frames`` (each (H, W) float32 on the caller's backend; NumPy for streams)."""
    return [img for _, img in iter_learned(spikes, frames, model=model, weights=weights, rate=rate, batch=batch,
                                           device=device)]


def iter_learned(spikes: Any, frames: Sequence[int], *, model: Any = None, weights: Any = None, rate: float = 1.0,
                 batch: int = BATCH, device: Any = None) -> Iterator[tuple[int, Any]]:
    """Yield ``(frame, image)`` for ``frames``, ``batch`` images per forward pass."""
    from ..recon._input import check_frame

    t_len, _, _ = _shape(spikes)
    rate = _check_rate(rate)
    if not isinstance(batch, (int, np.integer)) or batch < 1:
        raise ModelError(f"batch must be an integer >= 1 (images per forward pass), got {batch!r}")
    frames = [check_frame(t, t_len) for t in frames]
    if device is None and backend_name(spikes) == "torch":
        device = spikes.device
    elif device is None and backend_name(spikes) == "cupy":
        import torch

        if torch.cuda.is_available():     # run where the data is (DLPack both ways, no host copy)
            device = f"cuda:{spikes.device.id}"
    net = _model_for(model, weights, device)
    for i in range(0, len(frames), batch):
        part = frames[i:i + batch]
        out = _forward(net, _windows(spikes, part, t_len, net.window), rate)
        for k, t in enumerate(part):
            yield t, out[k]


def reconstruct_learned(spikes: Any, at: int | None = None, *, weights: Any = None, model: Any = None,
                        rate: float = 1.0, device: Any = None) -> Any:
    """One learned image at frame ``at`` (default the middle frame): ``recon.reconstruct(..., "learned")``.

    Args:
        spikes: SpikeStream or (T, H, W) array of any backend (nonzero = spike).
        weights: registered name (default "recon-unet16", shipped), path, or a ``SpikeUNet``.
        rate: spikes per tick shown as 1.0.
        device: torch device for NumPy/stream inputs (default CPU; arrays on a GPU run there).
    """
    t_len, _, _ = _shape(spikes)
    return learned_images(spikes, [t_len // 2 if at is None else at], model=model, weights=weights, rate=rate,
                          device=device)[0]


class StreamingLearned:
    """Streaming learned reconstruction over packed blocks (live cameras, the viewer).

    Same interface as :class:`spikevision.recon.StreamingTFP`: ``iter_packed(block)`` yields ``(t, image)`` for
    frames ``start, start + emit_every, ...`` once the 20 frames after them have arrived; ``flush()`` emits the
    last ones (windows mirrored at the end) and resets. Images equal :func:`learned_images` on the same frames.
    """

    def __init__(self, height: int, width: int, emit_every: int = 40, start: int = 0, *, weights: Any = None,
                 model: Any = None, rate: float = 1.0, batch: int = BATCH, device: Any = None):
        if height < 1 or width < 1:
            raise ModelError(f"height and width must be positive, got {height}x{width}")
        if not isinstance(emit_every, (int, np.integer)) or emit_every < 1:
            raise ModelError(f"emit_every must be an integer >= 1 (frames between images), got {emit_every!r}")
        if start < 0:
            raise ModelError(f"start must be a frame index >= 0, got {start}")
        self.height, self.width = int(height), int(width)
        self.emit_every, self.start = int(emit_every), int(start)
        self.rate, self.batch = _check_rate(rate), int(batch)
        self.model = _model_for(model, weights, device)
        self.window = self.model.window
        #: frames after (and before) an emitted frame that its image depends on
        self.lookahead = self.lookback = self.window // 2
        self.reset()

    def reset(self) -> None:
        """Forget all frames: the next frame pushed is frame 0."""
        self._buf = np.zeros((0, self.height, self.width), np.uint8)
        self._base = 0
        self._seen = 0
        self._next = self.start

    @property
    def frames_seen(self) -> int:
        """Frames pushed since construction or :meth:`reset`."""
        return self._seen

    @property
    def next_frame(self) -> int:
        """Index of the next frame an image will be emitted for."""
        return self._next

    def push(self, frames: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Push unpacked (n, H, W) spikes; return the ``(t, image)`` that became ready."""
        frames = np.asarray(frames)
        if frames.ndim != 3 or frames.shape[1:] != (self.height, self.width):
            raise ModelError(f"frames must be (n, {self.height}, {self.width}), got {frames.shape}")
        self._buf = np.concatenate([self._buf, (frames != 0).astype(np.uint8)])
        self._seen += frames.shape[0]
        ready = []
        while self._next + self.lookahead < self._seen:
            ready.append(self._next)
            self._next += self.emit_every
        out = self._emit(ready, None)
        keep_from = max(0, min(self._seen - self.window, self._next - self.lookback) - self._base)
        if self._seen <= self.window:
            keep_from = 0
        self._buf, self._base = self._buf[keep_from:], self._base + keep_from
        return out

    def push_packed(self, packed: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Push canonical packed (n, ceil(H*W/8)) frames."""
        return self.push(_bits.unpack_frames(np.asarray(packed, np.uint8), self.height, self.width))

    def iter_packed(self, packed: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
        """Push packed frames; yield ``(frame_index, image)`` for each image that became ready."""
        yield from self.push_packed(packed)

    def flush(self) -> list[tuple[int, np.ndarray]]:
        """Images of the frames within the lookahead of the end (windows mirrored there), then reset."""
        ready = list(range(self._next, self._seen, self.emit_every))
        out = self._emit(ready, self._seen)
        self.reset()
        return out

    def _emit(self, frames: list[int], t_len: int | None) -> list[tuple[int, np.ndarray]]:
        out = []
        big = t_len or (1 << 40)
        for i in range(0, len(frames), self.batch):
            part = frames[i:i + self.batch]
            win = np.stack([self._buf[window_indices(t, big, self.window) - self._base] for t in part])
            imgs = _forward(self.model, win, self.rate)
            out += [(t, imgs[k].copy()) for k, t in enumerate(part)]
        return out
