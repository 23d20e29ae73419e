"""``StreamingStereo``: disparity maps from two live cameras (or two streams read block by block).

Push the packed blocks of both cameras as they arrive (same frame count per
push); a map is emitted for frames ``start, start + K, ...`` (``K = emit_every``)
as soon as the frames it depends on have arrived. Maps equal the offline
:func:`spikevision.stereo.disparity` on the same frames (frame indices count from
the first frame pushed after construction or :meth:`reset`).

- ``method="spike"`` (the best method) is causal: the map of frame t is emitted
  when frame t arrives (zero lookahead); each camera's per-pixel ring of recent
  spike times is updated frame by frame in O(H W).
- ``method="sgbm"`` pairs the images of two streaming reconstructors
  (:func:`spikevision.recon.streaming_reconstructor`) and waits for their lookahead.

Example:
    >>> st = StreamingStereo(250, 400, emit_every=20)                  # doctest: +SKIP
    >>> for t, disp in st.iter_packed(left_block, right_block):        # doctest: +SKIP
    ...     show(t, disp)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import _bits
from . import _kernels as K
from ._input import StereoInputError, check_max_disparity
from .sgbm import SGBM_DEFAULTS, sgbm_images, to_uint8_pair
from .spike import SpikeMatcher, SpikeParams, finish

__all__ = ["StreamingStereo"]


class StreamingStereo:
    """Disparity every ``emit_every`` frames from packed blocks of two rectified cameras.

    Args:
        height, width: frame size of both cameras.
        emit_every: frames between maps (>= 1).
        max_disparity: largest disparity searched (pixels, < width).
        method: "best" (= "spike") or "sgbm".
        start: frame index of the first map.
        return_confidence: yield ``(t, disparity, confidence)`` instead of ``(t, disparity)``.
        **params: the method's options (see :func:`spikevision.stereo.disparity`).
    """

    def __init__(self, height: int, width: int, *, emit_every: int = 20, max_disparity: int = 64,
                 method: str = "best", start: int = 0, return_confidence: bool = False, **params: Any):
        from .api import resolve_method

        if height < 1 or width < 1:
            raise StereoInputError(f"height and width must be positive, got {height}x{width}")
        if isinstance(emit_every, bool) or not isinstance(emit_every, (int, np.integer)) or emit_every < 1:
            raise StereoInputError(f"emit_every must be an integer >= 1 (frames between maps), got {emit_every!r}")
        if start < 0:
            raise StereoInputError(f"start must be a frame index >= 0, got {start}")
        self.height, self.width = int(height), int(width)
        self.max_disparity = check_max_disparity(max_disparity, self.width)
        self.method = resolve_method(method)
        self.emit_every, self.start = int(emit_every), int(start)
        self.return_confidence = bool(return_confidence)
        self.npix = self.height * self.width
        self.frame_nbytes = _bits.frame_nbytes(self.height, self.width)
        if self.method == "spike":
            self.params = SpikeParams.of(params)
            self._matcher = SpikeMatcher(self.height, self.width, self.max_disparity, self.params)
            self._lut = K.log2_table(self.params.window)
            self.lookahead = 0
        else:
            bad = set(params) - set(SGBM_DEFAULTS)
            if bad:
                raise StereoInputError(f"unknown option(s) {sorted(bad)} of method 'sgbm'; choose from "
                                       f"{', '.join(SGBM_DEFAULTS)}")
            self.params = {**SGBM_DEFAULTS, **params}
            self.lookahead = self._new_recons()[0].lookahead
        self.reset()

    # --- state ---------------------------------------------------------------
    def _new_recons(self):
        from ..recon.api import resolve_method as recon_method
        from ..recon.streaming import streaming_reconstructor

        name = recon_method(self.params["recon"])
        kw = {} if self.params["window"] is None else (
            {"window": self.params["window"]} if name != "adaptive" else {"span": self.params["window"] // 2})
        return [streaming_reconstructor(name, self.height, self.width, emit_every=self.emit_every,
                                        start=self.start, **kw) for _ in range(2)]

    def reset(self) -> None:
        """Forget all frames: the next frame pushed is frame 0."""
        self._seen = 0
        self._next = self.start
        if self.method == "spike":
            k = self.params.intervals + 1
            self._rings = [np.full((self.npix, k), -(1 << 40), np.int64) for _ in range(2)]
            self._heads = [np.zeros(self.npix, np.int32) for _ in range(2)]
            self._counts = [np.zeros(self.npix, np.int32) for _ in range(2)]
            self._q = [np.empty(self.npix, np.int32) for _ in range(2)]
        else:
            self._recons = self._new_recons()

    @property
    def frames_seen(self) -> int:
        """Frames pushed (per camera) since construction or :meth:`reset`."""
        return self._seen

    # --- input ---------------------------------------------------------------
    def _check(self, packed: np.ndarray, side: str) -> np.ndarray:
        packed = np.asarray(packed)
        if packed.dtype != np.uint8 or packed.ndim != 2 or packed.shape[1] != self.frame_nbytes:
            raise StereoInputError(f"{side} block must be packed frames (n, {self.frame_nbytes}) uint8 for "
                                   f"{self.height}x{self.width}, got {packed.shape} {packed.dtype}; use "
                                   f"SpikeStream.iter_packed or spikevision._bits.pack_frames")
        return np.ascontiguousarray(packed)

    def iter_packed(self, left_packed: np.ndarray, right_packed: np.ndarray) -> Iterator[tuple]:
        """Push the same number of packed frames of each camera; yield ``(t, disparity[, confidence])``
        for each map that became ready (fresh arrays)."""
        lp, rp = self._check(left_packed, "left"), self._check(right_packed, "right")
        if lp.shape[0] != rp.shape[0]:
            raise StereoInputError(f"push the same number of frames from both cameras: {lp.shape[0]} left vs "
                                   f"{rp.shape[0]} right; buffer the camera that is ahead")
        if self.method == "spike":
            yield from self._spike(lp, rp)
        else:
            yield from self._sgbm(self._recons[0].push_packed(lp), self._recons[1].push_packed(rp))
            self._seen += lp.shape[0]

    def push_packed(self, left_packed: np.ndarray, right_packed: np.ndarray) -> list[tuple]:
        """Push packed frames of both cameras; return the maps that became ready."""
        return list(self.iter_packed(left_packed, right_packed))

    def push(self, left_frames: np.ndarray, right_frames: np.ndarray) -> list[tuple]:
        """Same as :meth:`push_packed` from unpacked (n, H, W) spikes."""
        return self.push_packed(_bits.pack_frames(np.asarray(left_frames)), _bits.pack_frames(np.asarray(right_frames)))

    def flush(self) -> list[tuple]:
        """Maps still waiting for lookahead frames (sgbm: windows clipped at the end), then :meth:`reset`."""
        out = []
        if self.method != "spike":
            out = list(self._sgbm(self._recons[0].flush(), self._recons[1].flush()))
        self.reset()
        return out

    # --- methods -------------------------------------------------------------
    def _emit(self, t: int, disp, conf) -> tuple:
        return (t, disp, conf) if self.return_confidence else (t, disp)

    def _spike(self, lp: np.ndarray, rp: np.ndarray):
        n, i = lp.shape[0], 0
        p = self.params
        while i < n:
            t_last = self._seen + n - i - 1   # frame of the last row still to take in
            upto = min(self._next, t_last)
            m = upto - self._seen + 1
            for s, packed in enumerate((lp, rp)):
                K.ring_update(packed[i : i + m], self._seen, self.npix, self._rings[s], self._heads[s],
                              self._counts[s])
            i += m
            self._seen += m
            t = self._seen - 1
            if t == self._next:
                for s in range(2):
                    K.interval_features(self._rings[s], self._heads[s], self._counts[s], t, p.window, self._lut,
                                        self._q[s], p.adapt)
                ql = self._q[0].reshape(self.height, self.width)
                qr = self._q[1].reshape(self.height, self.width)
                disp, conf = finish(*self._matcher.match(ql, qr), self.max_disparity)
                self._next += self.emit_every
                yield self._emit(t, disp, conf)

    def _sgbm(self, left_imgs: list, right_imgs: list):
        p = self.params
        from ._post import fill_holes

        for (t, a), (_, b) in zip(left_imgs, right_imgs):   # both reconstructors emit the same frames
            ia, ib = to_uint8_pair(a, b)
            d, valid, conf = sgbm_images(ia, ib, self.max_disparity, block_size=p["block_size"],
                                         uniqueness=p["uniqueness"], lr_tol=p["lr_tol"],
                                         speckle_window=p["speckle_window"])
            disp = np.clip(fill_holes(d, valid), 0, self.max_disparity).astype(np.float32)
            yield self._emit(t, disp, conf)
