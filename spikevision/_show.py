"""Pictures of spike streams for people: ``sv.render``, ``sv.show`` and the Jupyter view of a stream.

A stream is shown as its texture-from-playback (TFP) image: the spike count of
every pixel over a window of frames around ``at`` divided by the window length
(Zhu et al., ICME 2019), with automatic exposure: the 99.5th percentile of the
firing rate over the window is drawn as white (:func:`spikevision.recon.auto_rate`).

IPython is optional: :func:`show` displays inline only inside a Jupyter kernel
(where IPython is already loaded); elsewhere it writes ``path=`` or warns.

Example:
    >>> import numpy as np, spikevision as sv
    >>> s = sv.from_array(np.random.default_rng(0).random((64, 8, 8)) < 0.2)
    >>> sv.render(s).dtype, sv.render(s).shape
    (dtype('uint8'), (8, 8))
"""

from __future__ import annotations

import base64
import html
import os
import sys
import warnings
from typing import Any

import numpy as np

from .stream import SpikeStream

__all__ = ["render", "show", "to_png", "stream_html", "DEFAULT_WINDOW", "THUMBNAIL_SIZE"]

#: Frames a picture of a stream averages (fewer when the stream is shorter).
DEFAULT_WINDOW = 128
#: Longest side of the thumbnail in a stream's Jupyter view, in pixels.
THUMBNAIL_SIZE = 256


def _is_image(x: Any) -> bool:
    return not isinstance(x, SpikeStream) and (np.ndim(x) == 2 or (np.ndim(x) == 3 and np.shape(x)[-1] in (3, 4)))


def render(x: Any, at: int | None = None, *, window: int | None = None, rate: float | str = "auto") -> np.ndarray:
    """The picture :func:`show` displays, as a uint8 array.

    Args:
        x: a SpikeStream or (T, H, W) spikes (TFP image of ``window`` frames centred on ``at``),
            or an image: (H, W) gray or (H, W, 3|4) RGB(A), float in [0, 1] or uint8.
            A 3-D array whose last axis has 3 or 4 entries is an image; wrap such spikes in
            :func:`spikevision.from_array`.
        at: frame of a stream to show (default: the middle one); not for images.
        window: frames averaged (default :data:`DEFAULT_WINDOW`, clipped to the stream).
        rate: firing rate drawn as white, or "auto" (the 99.5th percentile over the window).

    Returns:
        (H, W) uint8 for spikes and gray images, (H, W, 3|4) uint8 RGB(A) for color images.
    """
    if _is_image(x):
        if at is not None:
            raise ValueError("at= picks a frame of a spike stream; an image has none, drop at=")
        from .backend import to_numpy

        img = to_numpy(x)
        if img.dtype == np.uint8:
            return np.ascontiguousarray(img)
        if img.dtype == bool:
            return img.astype(np.uint8) * 255
        if img.dtype.kind not in "fiu":
            raise TypeError(f"an image must be numeric (float in [0, 1] or uint8), got dtype {img.dtype}")
        return (np.clip(np.nan_to_num(img.astype(np.float32)), 0, 1) * 255 + 0.5).astype(np.uint8)
    from .recon._input import shape_of

    t_len = shape_of(x)[0]
    at = t_len // 2 if at is None else at
    if not -t_len <= at < t_len:
        raise IndexError(f"at={at} is outside the {t_len} frames; choose 0 <= at < {t_len}")
    at %= t_len
    window = min(t_len, DEFAULT_WINDOW if window is None else int(window))
    if window < 1:
        raise ValueError(f"window must be >= 1 frame, got {window}")
    a = max(0, min(at - window // 2, t_len - window))
    rates = _firing_rate(x, a, a + window)  # the TFP image at physical scale: one pass over the window
    if isinstance(rate, str):
        if rate != "auto":
            raise ValueError(f"rate must be a positive number or 'auto', got {rate!r}")
        rate = _auto_rate(rates)
    elif not rate > 0:
        raise ValueError(f"rate must be a positive number or 'auto', got {rate!r}")
    return (np.clip(rates / rate, 0, 1) * 255 + 0.5).astype(np.uint8)


def _firing_rate(x: Any, a: int, b: int) -> np.ndarray:
    if isinstance(x, SpikeStream):
        return x[a:b].firing_rate()
    from .backend import to_numpy

    return to_numpy(x[a:b] != 0).mean(axis=0, dtype=np.float64)


def _auto_rate(rates: np.ndarray) -> float:
    """:func:`spikevision.recon.auto_rate` from per-pixel rates already measured."""
    from .recon.exposure import AUTO_PERCENTILE

    value = float(np.percentile(rates, AUTO_PERCENTILE))
    if value <= 0:
        value = float(rates.max())
    return min(1.0, value) if value > 0 else 1.0


def to_png(img: np.ndarray) -> bytes:
    """PNG bytes of a uint8 (H, W) gray or (H, W, 3|4) RGB(A) image."""
    import cv2

    img = np.ascontiguousarray(img)
    if img.ndim == 3:
        img = np.ascontiguousarray(img[..., [2, 1, 0, 3][: img.shape[2]]])  # OpenCV writes BGR(A)
    ok, data = cv2.imencode(".png", img)
    if not ok:
        raise ValueError(f"OpenCV could not encode a {img.shape} {img.dtype} image as PNG")
    return data.tobytes()


def _kernel_display():
    """``IPython.display.display`` when running inside a Jupyter kernel, else None (IPython is never imported)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    from IPython.display import display

    return display


def show(x: Any, at: int | None = None, *, window: int | None = None, rate: float | str = "auto",
         path: str | os.PathLike | None = None) -> None:
    """Display a frame of spikes (its TFP image, see :func:`render`) or an image inline in Jupyter.

    Inside a Jupyter kernel the picture is displayed as a PNG below the cell. ``path=`` also
    writes the PNG there (atomically), anywhere. Outside Jupyter without ``path`` nothing can
    be shown: a warning says so (use :func:`render` for the array).

    Args:
        x, at, window, rate: as for :func:`render`.
        path: write the PNG to this file too.
    """
    png = to_png(render(x, at, window=window, rate=rate))
    if path is not None:
        from .io._atomic import atomic_path

        with atomic_path(path, suffix=".part.png") as tmp:
            tmp.write_bytes(png)
    display = _kernel_display()
    if display is not None:
        from IPython.display import Image

        display(Image(data=png, format="png"))
    elif path is None:
        warnings.warn("sv.show: not in a Jupyter kernel, so nothing was shown; pass path='frame.png' to save the "
                      "picture, or use sv.render(...) for the array", stacklevel=2)


def _thumbnail(stream: SpikeStream) -> np.ndarray | None:
    if len(stream) == 0:
        return None
    import cv2

    img = render(stream)
    scale = THUMBNAIL_SIZE / max(img.shape[:2])
    if scale < 1:
        size = (max(1, round(img.shape[1] * scale)), max(1, round(img.shape[0] * scale)))
        img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    return img


def _layout_text(stream: SpikeStream) -> str:
    prov = stream.meta.provenance
    parts = [str(prov.get("format", "memory"))]
    if prov.get("format") == "dat":
        parts.append("rows bottom-up (flipped)" if stream.meta.flip else "rows top-down")
        if prov.get("head_columns"):
            parts.append(f"{prov['head_columns']} head columns")
        if prov.get("frame_header_bytes"):
            parts.append(f"{prov['frame_header_bytes']}-byte frame headers")
    if "crop" in prov:
        t, left, h, w = prov["crop"]
        parts.append(f"crop rows {t}..{t + h - 1}, columns {left}..{left + w - 1}")
    return ", ".join(parts)


def stream_html(stream: SpikeStream, thumbnail: bool = True) -> str:
    """The HTML of a stream's Jupyter view: its facts and a TFP thumbnail of the middle frames."""
    t, h, w = stream.shape
    m = stream.meta
    rows = [("shape", f"{t:,} frames &times; {h} &times; {w}"),
            ("rate", f"{stream.fps:,.6g} Hz"),
            ("duration", f"{stream.duration:.6g} s (t0 = {stream.t0:.6g} s)"),
            ("layout", html.escape(_layout_text(stream)))]
    if m.sensor:
        rows.append(("sensor", html.escape(str(m.sensor))))
    if m.cfa:
        rows.append(("color filter", html.escape(m.cfa)))
    if "path" in m.provenance:
        rows.append(("path", html.escape(str(m.provenance["path"]))))
    img = ""
    if thumbnail:
        try:
            small = _thumbnail(stream)
        except Exception as exc:  # a view must never fail: show the facts and say why the picture is missing
            rows.append(("thumbnail", html.escape(f"unavailable ({type(exc).__name__}: {exc})")))
            small = None
        if small is not None:
            win = min(t, DEFAULT_WINDOW)
            data = base64.b64encode(to_png(small)).decode("ascii")
            img = (f'<img src="data:image/png;base64,{data}" alt="TFP of {win} frames around frame {t // 2}" '
                   f'title="TFP of {win} frames around frame {t // 2}, auto exposure" '
                   f'style="image-rendering: pixelated; min-width: 128px; margin-left: 1em"/>')
    table = "".join(f'<tr><th style="text-align: left">{k}</th><td style="text-align: left">{v}</td></tr>'
                    for k, v in rows)
    return (f'<div style="display: flex; align-items: flex-start"><div><b>SpikeStream</b><table>{table}</table>'
            f'</div>{img}</div>')
