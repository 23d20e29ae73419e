"""View modes: how the viewer turns the spikes around frame ``t`` into an image.

A view mode is a small object with a name, a default window and a
``render(spikes, at, window) -> (H, W) float32`` method, or, for a mode with
``rgb = True`` (optical flow's colour wheel ...), ``-> (H, W, 3) uint8`` RGB shown as
it is (levels, gamma and colormap do not apply). The viewer knows modes
only through this registry, so later modules (optical flow, stereo, deraining,
HDR) add a mode with :func:`register_mode` (or the ``spikevision.view_modes``
entry-point group) and appear in the mode menu without changes to the viewer.

Built in: ``raw`` (the spike plane of frame t), ``tfp``, ``tfi``, ``tfstp`` and
``best`` (:mod:`spikevision.recon`), and ``rate`` (firing-rate map over a long
window, spikes per frame). Modes that need a reconstruction function the
installed :mod:`spikevision.recon` lacks report why from :meth:`ViewMode.unavailable`.

Example:
    >>> import numpy as np, spikevision as sv
    >>> from spikevision.viewer.modes import get_mode
    >>> s = sv.from_array(np.ones((5, 2, 3), np.uint8))
    >>> get_mode("raw").render(s, at=2, window=1).shape
    (2, 3)
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..stream import SpikeStream

__all__ = ["ViewMode", "FunctionMode", "in_colour", "register_mode", "unregister_mode", "get_mode", "mode_names",
           "available_modes", "recon_function", "ENTRY_POINT_GROUP"]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "spikevision.view_modes"


class ViewMode:
    """Base class of a view mode (subclass it, or wrap a function with :class:`FunctionMode`).

    Attributes:
        name: registry key (``"tfp"``), also the CLI ``--mode`` value.
        label: menu text.
        default_window: frames of the reconstruction window the mode starts with.
        window_range: (min, max) window the mode accepts.
        colormap: default colormap name (see :mod:`spikevision.viewer.display`).
        levels: default display levels, or None to auto-level every new frame.
        exposure: the image is a firing rate in spikes per tick clipped to [0, 1] (the scale of
            :mod:`spikevision.recon`): auto levels, on by default, show 0 .. the source's automatic
            exposure (:mod:`spikevision.viewer.exposure`) instead of each frame's percentiles.
        description: one line shown as a tooltip.
        rgb: :meth:`render` returns an (H, W, 3) uint8 RGB image, shown as it is (the display
            skips levels, gamma and colormap).
    """

    name: str = ""
    label: str = ""
    default_window: int = 41
    window_range: tuple[int, int] = (1, 255)
    colormap: str = "gray"
    levels: tuple[float, float] | None = (0.0, 1.0)
    exposure: bool = False
    description: str = ""
    rgb: bool = False

    @property
    def auto_default(self) -> bool:
        """Whether auto levels are on when the mode is chosen (no fixed levels, or an exposure-scaled image)."""
        return self.levels is None or self.exposure

    def span(self, window: int) -> tuple[int, int]:
        """Frames needed (before, after) frame ``at``: live sources keep ``after`` frames of look-ahead."""
        h = window // 2
        return h, window - h - 1

    def unavailable(self) -> str | None:
        """None when the mode can render here, else the reason (shown greyed out in the menu)."""
        return None

    def render(self, spikes: SpikeStream, at: int, window: int) -> np.ndarray:
        """The (H, W) float32 image of frame ``at`` (0 <= at < len(spikes)); (H, W, 3) uint8 if :attr:`rgb`."""
        raise NotImplementedError

    def prefers_sequential(self, step: int, window: int) -> bool:
        """Whether playing forward by ``step`` frames is cheaper with :meth:`iterate` than frame by frame."""
        return False

    def iterate(self, spikes: SpikeStream, start: int, stop: int, step: int, window: int
                ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(t, image)`` for t = start, start + step, ... < stop (default: :meth:`render` each)."""
        for t in range(start, stop, step):
            yield t, self.render(spikes, t, window)

    def clamp_window(self, window: int) -> int:
        """``window`` limited to :attr:`window_range`."""
        lo, hi = self.window_range
        return int(min(hi, max(lo, int(window))))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class FunctionMode(ViewMode):
    """A view mode from a plain function ``fn(spikes, at, window) -> (H, W) image``.

    Example:
        >>> register_mode(FunctionMode("count", "Spike count", lambda s, at, w: s[at:at + w].unpack().sum(0),
        ...                            default_window=8, levels=None))   # doctest: +SKIP
    """

    def __init__(self, name: str, label: str, fn: Callable[[SpikeStream, int, int], Any], *,
                 default_window: int = 41, window_range: tuple[int, int] = (1, 255), colormap: str = "gray",
                 levels: tuple[float, float] | None = (0.0, 1.0), description: str = "",
                 span: Callable[[int], tuple[int, int]] | None = None, exposure: bool = False,
                 rgb: bool = False):
        self.name, self.label, self._fn = name, label, fn
        self.rgb = bool(rgb)
        self.default_window, self.window_range = int(default_window), tuple(window_range)
        self.colormap, self.levels, self.description = colormap, levels, description
        self.exposure = bool(exposure)
        self._span = span

    def span(self, window: int) -> tuple[int, int]:
        return self._span(window) if self._span else super().span(window)

    def render(self, spikes: SpikeStream, at: int, window: int) -> np.ndarray:
        if self.rgb:
            return np.ascontiguousarray(self._fn(spikes, at, window), dtype=np.uint8)
        return np.asarray(self._fn(spikes, at, window), dtype=np.float32)


def recon_function(name: str) -> Callable | None:
    """``spikevision.recon.<name>`` (or the function of that name in its submodule), or None if missing."""
    try:
        mod = importlib.import_module("spikevision.recon")
        fn = getattr(mod, name, None)
        if callable(fn):
            return fn
    except ImportError:
        pass
    try:
        fn = getattr(importlib.import_module(f"spikevision.recon.{name}"), name, None)
        return fn if callable(fn) else None
    except ImportError:
        return None


def _recon_methods() -> dict:
    """``spikevision.recon.METHODS`` (the names :func:`spikevision.recon.reconstruct` takes), or {} if missing."""
    try:
        return getattr(importlib.import_module("spikevision.recon"), "METHODS", {})
    except ImportError:
        return {}


def in_colour(img: np.ndarray, spikes: SpikeStream) -> np.ndarray:
    """An (H, W) image of per-pixel rates as linear RGB when the stream has a Bayer pattern (``meta.cfa``; the
    viewer's raw-mosaic toggle clears it), else unchanged. Per-pixel diagnostics (raw, rate, hot pixels) skip it."""
    cfa = getattr(getattr(spikes, "meta", None), "cfa", None)
    if not cfa or img.ndim != 2 or img.shape[0] % 2 or img.shape[1] % 2:
        return img
    from ..color import demosaic

    return np.asarray(demosaic(img, cfa), dtype=np.float32)


class RawMode(ViewMode):
    """The spike bit plane of frame ``at`` (white = spike)."""

    name, label, default_window, window_range = "raw", "Raw spikes", 1, (1, 1)
    description = "the spike plane of the current frame (white = spike)"

    def span(self, window: int) -> tuple[int, int]:
        return 0, 0

    def render(self, spikes: SpikeStream, at: int, window: int) -> np.ndarray:
        return spikes[at].astype(np.float32)


class ReconMode(ViewMode):
    """A reconstruction from :mod:`spikevision.recon` called as ``fn(spikes, at=at, window=window)``.

    Methods that :func:`spikevision.recon.reconstruct` knows (``recon.METHODS``) go through it,
    so they use the compiled kernels from packed bits where those exist (identical images).
    """

    exposure = True

    def __init__(self, name: str, label: str, func: str, *, default_window: int = 41,
                 window_range: tuple[int, int] = (1, 255), description: str = "", extra: dict | None = None,
                 lookahead: bool = True, window_kw: str = "window"):
        self.name, self.label, self.func = name, label, func
        self.default_window, self.window_range, self.description = default_window, window_range, description
        self.extra = dict(extra or {})
        self.lookahead = lookahead
        self.window_kw = window_kw

    def span(self, window: int) -> tuple[int, int]:
        if not self.lookahead:
            return window, 0
        return super().span(window)

    def unavailable(self) -> str | None:
        if recon_function(self.func) is None:
            return f"spikevision.recon.{self.func} is not available in this installation"
        return None

    def render(self, spikes: SpikeStream, at: int, window: int) -> np.ndarray:
        fn = recon_function(self.func)
        if fn is None:
            raise RuntimeError(self.unavailable())
        params = {self.window_kw: window, **self.extra}
        reconstruct = recon_function("reconstruct")
        if reconstruct is not None and self.func in _recon_methods():
            img = reconstruct(spikes, self.func, at=at, **params)
        else:
            img = fn(spikes, at=at, **params)
        return np.asarray(img, dtype=np.float32)

    def prefers_sequential(self, step: int, window: int) -> bool:
        # a causal model (TFSTP) carries its state forward: cheaper than re-running the history per frame
        return not self.lookahead and 0 < step < window and self._series() is not None

    def _series(self) -> Callable | None:
        try:
            return getattr(importlib.import_module(f"spikevision.recon.{self.func}"), f"{self.func}_series", None)
        except ImportError:
            return None

    def iterate(self, spikes: SpikeStream, start: int, stop: int, step: int, window: int
                ) -> Iterator[tuple[int, np.ndarray]]:
        """Causal modes run their state once from ``start - window`` (the history grows while playing)."""
        series = self._series() if not self.lookahead else None
        if series is None:
            yield from super().iterate(spikes, start, stop, step, window)
            return
        first = max(0, start - window)
        for t, img in series(spikes, range(start, stop, step), start=first, **self.extra):
            yield t, np.asarray(img, dtype=np.float32)


class TFPMode(ReconMode):
    """TFP counted straight from packed bits (spikevision convention, rate 1).

    Same window and formula as :func:`spikevision.recon.tfp` (``tfp_bounds`` and
    ``tfp_scale`` from that module; the result is identical to the bit), but the
    spikes are never unpacked: :meth:`SpikeStream.spike_counts` counts the window's
    packed (or stored) bytes, about 0.5 ms for 41 frames at 250x400 against 1.4 ms
    for ``recon.tfp`` and 0.7 ms for ``recon.reconstruct`` (which sets up a
    streaming reconstructor per image).
    """

    def __init__(self):
        super().__init__("tfp", "TFP (spike count)", "tfp",
                         description="texture from playback: mean firing rate over the window (Zhu et al. 2019)")

    def render(self, spikes: SpikeStream, at: int, window: int) -> np.ndarray:
        why = self.unavailable()
        if why:
            raise RuntimeError(why)
        from ..recon.tfp import tfp_bounds, tfp_scale

        a, b = tfp_bounds(at, len(spikes), window)
        counts = spikes[a:b].spike_counts()
        return in_colour(np.minimum(counts.astype(np.float32) * tfp_scale(b - a, 1.0), np.float32(1.0)), spikes)


class BestMode(ViewMode):
    """``spikevision.recon.reconstruct(spikes, method="best", at=at)``.

    When "best" is the adaptive method, the window sets its search ``span = window // 2``
    (frames on each side, as ``spikevision recon --method best --window``), and the default
    window is ``2 * ADAPTIVE_DEFAULTS["span"] + 1``: the library's own default, the image
    ``spikevision recon --method best`` writes. Otherwise the method's own defaults apply.
    """

    name, label, window_range = "best", "Best method", (3, 2047)
    exposure = True
    description = "the library's recommended reconstruction (spikevision.recon.reconstruct, method='best')"

    @property
    def default_window(self) -> int:
        """The window whose search span is the adaptive method's default (read from the library)."""
        try:
            from ..recon.adaptive import ADAPTIVE_DEFAULTS

            return self.clamp_window(2 * int(ADAPTIVE_DEFAULTS["span"]) + 1)
        except (ImportError, KeyError):
            return 41

    def unavailable(self) -> str | None:
        if recon_function("reconstruct") is None:
            return "spikevision.recon.reconstruct is not available in this installation"
        return None

    @staticmethod
    def _params(window: int) -> dict:
        try:
            from ..recon.adaptive import MAX_SPAN
            from ..recon.api import resolve_method

            if resolve_method("best") == "adaptive":
                return {"span": int(min(MAX_SPAN, max(1, window // 2)))}
        except ImportError:
            pass
        return {}

    def span(self, window: int) -> tuple[int, int]:
        s = self._params(window).get("span")
        return (s, s) if s else super().span(window)

    def prefers_sequential(self, step: int, window: int) -> bool:
        # the compiled streaming kernels beat per-frame reconstruction by far
        return step > 0 and recon_function("iter_reconstruct") is not None

    def iterate(self, spikes: SpikeStream, start: int, stop: int, step: int, window: int
                ) -> Iterator[tuple[int, np.ndarray]]:
        it = recon_function("iter_reconstruct")
        if it is None:
            yield from super().iterate(spikes, start, stop, step, window)
            return
        for t, img in it(spikes, "best", start=start, stop=stop, step=step, **self._params(window)):
            yield t, np.asarray(img, dtype=np.float32)

    def render(self, spikes: SpikeStream, at: int, window: int) -> np.ndarray:
        fn = recon_function("reconstruct")
        if fn is None:
            raise RuntimeError(self.unavailable())
        return np.asarray(fn(spikes, method="best", at=at, **self._params(window)), dtype=np.float32)


class RateMode(ViewMode):
    """Firing-rate map: spikes per frame over the window (one streaming pass over packed bits)."""

    name, label, default_window, window_range = "rate", "Firing-rate map", 1000, (1, 1_000_000)
    colormap, levels = "inferno", None
    description = "spikes per frame of every pixel over the window (hot and dead pixels stand out)"

    def render(self, spikes: SpikeStream, at: int, window: int) -> np.ndarray:
        a = max(0, at - window // 2)
        b = min(len(spikes), a + window)
        return (spikes[a:b].spike_counts(4096) / max(1, b - a)).astype(np.float32)


_REGISTRY: dict[str, ViewMode] = {}
_ENTRY_POINTS_LOADED = False


def register_mode(mode: ViewMode, *, replace: bool = False) -> ViewMode:
    """Add a view mode to the registry (the viewer's mode menu lists registered modes in order)."""
    if not isinstance(mode, ViewMode) or not mode.name:
        raise TypeError("register_mode needs a ViewMode instance with a name")
    if mode.name in _REGISTRY and not replace:
        raise ValueError(f"a view mode named {mode.name!r} is registered already; pass replace=True to override")
    _REGISTRY[mode.name] = mode
    return mode


def unregister_mode(name: str) -> None:
    """Remove a view mode (no error if absent)."""
    _REGISTRY.pop(name, None)


def _load_entry_points() -> None:
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    try:
        from importlib.metadata import entry_points

        eps = entry_points(group=ENTRY_POINT_GROUP)
    except Exception:  # pragma: no cover - very old importlib.metadata
        return
    for ep in eps:
        try:
            obj = ep.load()
            mode = obj() if isinstance(obj, type) else obj
            if mode.name not in _REGISTRY:
                register_mode(mode)
        except Exception as exc:
            log.warning("view mode plug-in %s could not be loaded: %s", ep.name, exc)


def mode_names() -> list[str]:
    """Names of all registered modes, in menu order."""
    _load_entry_points()
    return list(_REGISTRY)


def available_modes() -> list[ViewMode]:
    """Registered modes that can render in this installation."""
    return [_REGISTRY[n] for n in mode_names() if _REGISTRY[n].unavailable() is None]


def get_mode(name: str) -> ViewMode:
    """The mode registered as ``name``; ValueError naming the choices otherwise."""
    _load_entry_points()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown view mode {name!r}; choose one of {', '.join(_REGISTRY)}") from None


for _m in (RawMode(),
           TFPMode(),
           ReconMode("tfi", "TFI (inter-spike interval)", "tfi", window_range=(3, 253),
                     description="texture from inter-spike interval: 1 / ISI around the frame (Zhu et al. 2019)"),
           ReconMode("tfstp", "TFSTP (short-term plasticity)", "tfstp", default_window=400, window_range=(2, 4096),
                     lookahead=False, window_kw="history",
                     description="short-term plasticity synapses run over the window before the frame "
                                 "(Zheng et al. 2021)"),
           BestMode(), RateMode()):
    register_mode(_m)
del _m


def _register_module_modes(module: str) -> None:
    """Register the view modes a processing module ships (its ``register_view_modes()``), if it imports here."""
    try:
        importlib.import_module(module).register_view_modes()
    except (ImportError, AttributeError) as exc:   # AttributeError: that module is importing us (it registers itself)
        log.debug("view modes of %s not available: %s", module, exc)


_register_module_modes("spikevision.flow.view")
_register_module_modes("spikevision.models.viewmode")

from ..stereo.viewer_mode import DisparityMode  # noqa: E402  (a stereo pair's disparity: a mode can receive the pair)

register_mode(DisparityMode())

try:  # the "hdr" mode (spikevision.hdr.viewmode registers itself when it is imported first)
    from ..hdr.viewmode import HDRMode
except ImportError:  # pragma: no cover - spikevision.hdr.viewmode is importing this module right now
    pass
else:
    if "hdr" not in _REGISTRY:
        register_mode(HDRMode())

from ..denoise import viewmodes as _denoise_modes  # noqa: E402,F401  registers "denoised" and "hot_pixels"
from . import derain_modes as _derain_modes  # noqa: E402  (registers "derain" and "rain mask")

for _m in (_derain_modes.DerainMode(), _derain_modes.RainMaskMode()):
    register_mode(_m)
del _m
