"""``open_camera(url)``: parse a camera URL and build the backend.

URLs (query values are typed by each backend's option table):

- ``sim://[scene]?height=250&width=400&fps=20000&speed=1|max&frames=N&seed=0&noise=0&wire=vidar|m1``
- ``replay://path/to/file.dat?speed=1&loop=1&fps=20000`` (``replay:///abs/path.dat`` for absolute paths)
- ``usb://[vid:pid][?serial=...&layout=vidar|m1&header=16&transfer=1048576&queue=16&pipe=0x82&dump=raw.bin]``
- ``sdk://[library path]?type=usb|pcie|file&file=...&dev=...&layout=packed|vidar|m1``

Every backend also takes ``frames_per_block``, ``ring_blocks``, ``policy``
(block / drop_oldest / drop_newest), ``max_latency`` and ``timeout``.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Any

from ._base import Camera
from ._errors import CameraURLError

__all__ = ["open_camera", "parse_url", "SCHEMES"]


def _bool(v: str) -> bool:
    s = v.strip().lower()
    if s in ("1", "true", "yes", "on", ""):
        return True
    if s in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected 1/0/true/false, got {v!r}")


def _int(v: str) -> int:
    return int(v, 0)


def _opt_int(v: str) -> int | None:
    return None if v.lower() in ("", "none", "all", "inf") else int(v, 0)


COMMON = {"frames_per_block": _int, "ring_blocks": _int, "policy": str, "max_latency": float, "timeout": float}

OPTIONS: dict[str, dict[str, Callable[[str], Any]]] = {
    "sim": {"height": _int, "width": _int, "fps": float, "speed": str, "frames": _opt_int, "seed": _int,
            "noise": _bool, "wire": str, "transfer": _int, "loop_frames": _int},
    "replay": {"speed": str, "loop": _bool, "frames": _opt_int, "fps": float, "height": _int, "width": _int,
               "flip": _bool, "head_columns": _int, "frame_header_bytes": _int, "format": str, "strict": _bool},
    "usb": {"serial": str, "layout": str, "header": _int, "height": _int, "width": _int, "fps": float,
            "transfer": _int, "queue": _int, "pipe": _int, "frames": _opt_int, "dump": str},
    "sdk": {"type": str, "file": str, "dev": str, "layout": str, "height": _int, "width": _int, "fps": float,
            "buffers": _int, "mode": _int, "channels": _int, "repeat": _bool},
}

SCHEMES = tuple(OPTIONS)


def parse_url(url: str) -> tuple[str, str, dict[str, Any]]:
    """Split a camera URL into (scheme, location, typed options)."""
    if "://" not in url:
        raise CameraURLError(f"camera URL {url!r} has no scheme; use one of "
                             f"{', '.join(s + '://' for s in SCHEMES)} (e.g. sim:// or replay://rec.dat)")
    scheme, rest = url.split("://", 1)
    scheme = scheme.lower()
    if scheme not in OPTIONS:
        raise CameraURLError(f"unknown camera backend {scheme!r} in {url!r}; choose one of "
                             f"{', '.join(s + '://' for s in SCHEMES)}")
    loc, _, query = rest.partition("?")
    loc = urllib.parse.unquote(loc)
    table = {**OPTIONS[scheme], **COMMON}
    opts: dict[str, Any] = {}
    for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        if key not in table:
            raise CameraURLError(f"option {key!r} does not apply to {scheme}:// cameras; "
                                 f"{scheme}:// accepts {', '.join(sorted(table))}")
        try:
            opts[key] = table[key](value)
        except ValueError as exc:
            raise CameraURLError(f"{scheme}:// option {key}={value!r} is invalid: {exc}") from None
    return scheme, loc, opts


def open_camera(url: str, **options: Any) -> Camera:
    """Build (not yet start) the camera a URL names; keyword options override the URL's query.

    Example:
        >>> with open_camera("sim://?frames=400&speed=max") as cam:   # doctest: +SKIP
        ...     n = sum(block.n_frames for block in cam)
    """
    scheme, loc, opts = parse_url(url)
    opts.update(options)
    try:
        if scheme == "sim":
            from .sim import SimCamera

            cam: Camera = SimCamera(url=url, scene=loc or "sample", **opts)
        elif scheme == "replay":
            from .replay import ReplayCamera

            if not loc:
                raise CameraURLError("replay:// needs a file: replay://path/to/rec.dat")
            cam = ReplayCamera(loc, url=url, **opts)
        elif scheme == "usb":
            from .usb import UsbCamera

            vid_pid = None
            if loc:
                try:
                    v, p = loc.split(":")
                    vid_pid = (int(v, 16), int(p, 16))
                except ValueError:
                    raise CameraURLError(f"usb://{loc}: expected vid:pid in hex, e.g. usb://0403:601f") from None
            cam = UsbCamera(vid_pid=vid_pid, url=url, **opts)
        else:
            from .sdk import SdkCamera

            cam = SdkCamera(loc or None, url=url, **opts)
    except TypeError as exc:
        raise CameraURLError(f"{url}: {exc}") from None
    return cam
