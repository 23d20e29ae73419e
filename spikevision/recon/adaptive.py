"""spikevision's training-free reconstruction: spike-anchored adaptive windows (the "best" method).

TFP (texture from playback) averages a fixed window and TFI (texture from the
inter-spike interval) inverts one interval (Zhu et al., "A retina-inspired
sampling method for visual texture reconstruction", ICME 2019). TFP blurs moving
edges or is noisy in flat regions and carries a +-1 spike phase error at both
window ends; TFI is sharp but quantised to whole ticks and, in low light, needs a
spike on both sides of the frame. This method keeps the strengths of both and
adapts to the firing rate, to noise and to the ends of the stream.

The rule, per pixel and per frame ``c``:

1. Reach in spikes, not frames. The spikes nearest ``c`` are gathered on each side,
   searching outwards until ``intervals`` spikes are found on that side or ``span``
   frames are searched (the documented maximum, and the lookahead of the streaming
   version; default 255 frames = 12.8 ms at 20 kHz); a side with fewer (the start or
   end of the stream, a pixel that went dark) leaves the rest of the ``2 intervals``
   budget to the other side. A bright pixel (a spike every 2 ticks) stops after 16
   frames, a low-light pixel (a spike every 30-100 ticks) searches the whole reach:
   windows grow in intervals, up to ``span`` ticks.
2. Spike-anchored estimate. Over m consecutive inter-spike intervals spanning
   ``S`` ticks the rate is ``m / S``: an integrate-and-fire pixel fires once per
   threshold of light, so the only error is the tick quantisation of the two end
   spikes (relative error <= 1 / S), against 1 / window absolute for TFP.
3. Adaptive window by the intersection of confidence intervals (ICI) of Katkovnik's
   LPA-ICI (V. Katkovnik, "A new method for varying adaptive bandwidth selection",
   IEEE Trans. Signal Processing 47(9), 1999): start from the interval that contains
   ``c`` and grow one interval at a time, towards the side that keeps the window
   centred on ``c`` (no bias on intensity ramps). Every window of m intervals spanning
   ``S`` ticks bounds the mean ISI to ``S/m +- h``, ``h = (tol + noise sqrt(m) +
   tol_rel S) / m`` (computed as a product with ``1/m``); growth goes on while the
   bounds of all windows so far intersect and stops at a change (a moving edge, a
   flicker). ``tol`` (1 tick) is the quantisation of integrate-and-fire spike times.
   ``noise`` is the pixel's own ISI scatter, measured robustly: under photon and
   threshold noise successive ISIs are independent (roughly Gamma distributed), so
   their second differences ``I[j] - 2 I[j+1] + I[j+2]`` have a spread of about 2.4
   sigma, while a smooth change of rate (a moving texture) leaves them near zero and a
   noise-free pixel at a constant rate (ISIs n or n + 1) gives at most 2 ticks. So
   ``|second difference| - 1`` (floored at 0) is averaged without its two largest
   values (one change of scene or one outlier interval is in two of them) and
   ``noise = noise_z / 2 *`` that average (``noise_z`` = 2 by default: about one to
   two sigma). One outlier interval moves a long window's mean by 1/m only, so it does
   not end the window. Clean sensors keep tight windows that stop at moving edges;
   noisy sensors get long windows (a long TFP, but spike-anchored).
4. Missing sides. Where one side has no spike (the start or end of the stream, or a
   pixel that went dark), the window is one-sided: it starts at the interval
   nearest ``c`` and grows away from it. The silent stretch is a lower bound on the
   interval that contains ``c``; when it is longer than the window's mean ISI
   allows (the test of step 3), the pixel changed and the estimate is
   ``1 / silent ticks`` (TFI's bound). A pixel with fewer than two spikes within
   reach reads its spike count over the frames searched (a long TFP).
5. Hot pixels. An integrate-and-fire pixel fires regularly; a hot pixel (a leaky or
   defective one) fires at random, with ISIs scattered like a Poisson process
   (scatter ~ the mean ISI). A pixel whose scatter (step 3, at least six spikes within
   reach) exceeds ``HOT_SCATTER`` (0.5) times its mean ISI is irregular; an irregular
   pixel brighter than all its (up to 8) neighbours takes their maximum (the
   defective-pixel correction of camera pipelines, applied only where the timing says
   the pixel is not integrating light). Regular pixels, and irregular ones that are not
   a local maximum, keep their value.

Causal up to a lookahead of ``span`` frames (streaming gives the same images, bit
for bit). Intensity scale: spikes per tick / ``rate``, clipped to [0, 1].

Quality (benchmarks/bench_recon_quality.py, PSNR against the expected rate, best minus
TFP-41 at the first, middle and last frames of 7 scenes x 4 sensors: clean,
calibrated-noise, hot-pixel and photon-starved; normal and low light): >= 0 dB in 95
of 96 cases (the last frame of a fast translation on the photon-starved sensor reads
-0.02 dB), >= +4 dB on the static low-light scenes with every sensor, +0.06..+14 dB on
clean moving scenes. With the calibrated sensor noise every temporal estimator is
capped by the fixed-pattern noise (gain, threshold offset, dark current); removing it
needs calibration (denoising), not a better window.

Example:
    >>> import numpy as np
    >>> from spikevision.recon import adaptive
    >>> s = np.zeros((200, 1, 1), np.uint8); s[(np.arange(80) / 0.4).astype(int)] = 1  # ISIs 2, 3, 2, 3 ...
    >>> round(float(adaptive(s, at=100)[0, 0]), 1)   # TFI here reads 0.33 or 0.5
    0.4
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._input import Spikes, check_frame, check_rate, check_window, output_like, read_window, shape_of, xp_of

__all__ = ["adaptive", "adaptive_bounds", "check_adaptive", "clamp_hot", "ADAPTIVE_DEFAULTS", "MAX_SPAN",
           "HOT_SCATTER", "HOT_MARGIN"]

#: Defaults of :func:`adaptive` (see the rule in the module docstring).
ADAPTIVE_DEFAULTS = {"span": 255, "intervals": 8, "tol": 1.0, "tol_rel": 0.0, "noise_z": 2.0, "center": True}
#: ISI scatter (ticks, see the rule) above this fraction of the mean ISI marks irregular (Poisson-like) firing
HOT_SCATTER = 0.5
#: an irregular pixel above this multiple of all its neighbours is a hot pixel
HOT_MARGIN = 1.25
#: Largest search reach (frames on each side of the reconstructed frame).
MAX_SPAN = 1023


def adaptive_bounds(at: int, n_frames: int, span: int) -> tuple[int, int]:
    """Frames [start, stop) that :func:`adaptive` reads for frame ``at``."""
    return max(0, at - span), min(n_frames, at + span + 1)


def check_adaptive(span: int, intervals: int, tol: float, tol_rel: float, noise_z: float = 2.0) -> None:
    """Validate the options of :func:`adaptive`."""
    check_window(span, "span", 1, MAX_SPAN)
    check_window(intervals, "intervals", 1, 64)
    if not (tol >= 0 and tol_rel >= 0 and noise_z >= 0):
        raise ValueError(f"tol, tol_rel and noise_z must be >= 0, got tol={tol}, tol_rel={tol_rel}, noise_z={noise_z}")


def adaptive(spikes: Spikes, at: int, *, span: int = 255, intervals: int = 8, tol: float = 1.0,
             tol_rel: float = 0.0, noise_z: float = 2.0, rate: float | str = 1.0, center: bool = True,
             convention: str = "spikevision") -> Any:
    """Reconstruct frame ``at`` with per-pixel spike-anchored adaptive windows (the "best" method).

    This is the NumPy/CuPy reference; :func:`spikevision.recon.reconstruct` runs the compiled twin.

    Args:
        spikes: SpikeStream or (T, H, W) array of any backend (nonzero = spike).
        at: frame index (negative counts from the end).
        span: most frames searched on each side of ``at`` (the lookahead of the streaming version), 1..1023.
        intervals: most spikes used on each side, 1..64.
        tol: interval tolerance in ticks (quantisation).
        tol_rel: interval tolerance relative to the mean ISI.
        noise_z: tolerance in units of the pixel's measured ISI scatter (photon and threshold noise).
        rate: firing rate shown as intensity 1, or "auto" (:func:`~spikevision.recon.auto_rate` over the
            frames read).
        center: grow the window towards the side that keeps it centred on ``at`` (default); False grows
            towards the side whose interval is closest to the mean.
        convention: only "spikevision" (the toolkits have no such method; accepted for a uniform interface).

    Returns:
        (H, W) float32 image in [0, 1] on the caller's backend.
    """
    from .exposure import resolve_rate

    if convention != "spikevision":
        raise ValueError(f"the adaptive ('best') method has no {convention!r} convention (SpikeCV and Spike-Zoo have "
                         f"no such method); use convention='spikevision' or method 'tfp'/'tfi' for theirs")
    t_len, h, w = shape_of(spikes)
    at = check_frame(at, t_len)
    check_adaptive(span, intervals, tol, tol_rel, noise_z)
    a, b = adaptive_bounds(at, t_len, span)
    rate = check_rate(resolve_rate(rate, spikes, a, b))
    xp = xp_of(spikes)
    frames = read_window(spikes, a, b).reshape(b - a, h * w)
    c = at - a
    k = intervals
    k2 = 2 * k                    # index of the first spike after `at`
    kk = 4 * k
    # times[:, j]: j < k2 -> spikes at or before `at` (ascending, the nearest at k2 - 1), j >= k2 -> after it;
    # up to 2k each side, then the budget: k a side, and a side with fewer leaves the rest to the other
    times = xp.full((h * w, kk), -1, dtype=xp.int64)
    back = frames[: c + 1][::-1].astype(xp.int32)
    rank = xp.cumsum(back, axis=0)
    for i in range(1, k2 + 1):
        hit = (back != 0) & (rank == i)
        found = hit.any(axis=0)
        times[:, k2 - i] = xp.where(found, at - hit.argmax(axis=0), -1)
    fwd = frames[c + 1 :].astype(xp.int32)
    if fwd.shape[0]:
        rank = xp.cumsum(fwd, axis=0)
        for i in range(1, k2 + 1):
            hit = (fwd != 0) & (rank == i)
            found = hit.any(axis=0)
            times[:, k2 - 1 + i] = xp.where(found, at + 1 + hit.argmax(axis=0), -1)
    valid = times >= 0
    nb_all = valid[:, :k2].sum(axis=1)
    nf_all = valid[:, k2:].sum(axis=1)
    b0, f0 = xp.minimum(nb_all, k), xp.minimum(nf_all, k)
    n_back = b0 + xp.minimum(nb_all - b0, k - f0)
    n_fwd = f0 + xp.minimum(nf_all - f0, k - b0)
    first = k2 - n_back           # index of the oldest spike used
    last = k2 - 1 + n_fwd         # index of the newest
    jcol = xp.arange(kk)[None, :]
    times = xp.where((jcol >= first[:, None]) & (jcol <= last[:, None]), times, -1)
    npx = h * w
    px = xp.arange(npx)

    def at_(j):
        return times[px, xp.clip(j, 0, kk - 1)]

    # ISI noise in ticks (see the rule): second differences of successive ISIs beyond the one tick of quantisation,
    # averaged without the two largest (a step is in two triples); a smooth change of rate does not count as noise
    isi = times[:, 1:] - times[:, :-1]
    jj = xp.arange(kk - 3)[None, :]
    dvalid = (jj >= first[:, None]) & (jj + 3 <= last[:, None])
    i0, i1, i2 = isi[:, :-2], isi[:, 1:-1], isi[:, 2:]
    d = xp.where(dvalid, xp.maximum(xp.abs(i0 - 2 * i1 + i2) - 1, 0), 0)
    nd = dvalid.sum(axis=1)
    trimmed = (d.sum(axis=1) - xp.sort(d, axis=1)[:, -2:].sum(axis=1)).astype(xp.float64)
    scatter = xp.where(nd >= 3, trimmed / xp.maximum(nd - 2, 1), 0.0)
    noise = (noise_z * 0.5) * scatter
    # irregular firing (Poisson-like ISIs, not integrate-and-fire): a hot-pixel candidate
    irregular = (nd >= 3) & (scatter * (last - first).astype(xp.float64)
                             > HOT_SCATTER * (at_(last) - at_(first)).astype(xp.float64))
    # Core interval: the one containing `at`; one-sided next to a missing side; none below two spikes.
    both = (n_back >= 1) & (n_fwd >= 1)
    only_b = (n_fwd == 0) & (n_back >= 2)
    only_f = (n_back == 0) & (n_fwd >= 2)
    ok = both | only_b | only_f
    left = xp.where(only_b, k2 - 2, xp.where(only_f, k2, k2 - 1)).astype(xp.int64)
    right = left + 1
    active = ok.copy()
    # ICI: the mean ISI of every window so far lies in [mean - h, mean + h], h = (tol + noise sqrt(m) + tol_rel S) / m
    s0 = (at_(right) - at_(left)).astype(xp.float64)
    h0 = tol + noise + tol_rel * s0
    ici_lo, ici_hi = s0 - h0, s0 + h0

    def agrees(s2, m2):
        h2 = tol + noise * xp.sqrt(m2) + tol_rel * s2
        r2 = 1.0 / m2
        return xp.maximum(ici_lo, (s2 - h2) * r2) <= xp.minimum(ici_hi, (s2 + h2) * r2)

    for _ in range(k2 - 2):
        m = right - left
        m2 = (m + 1).astype(xp.float64)
        good_l = active & (left - 1 >= first) & agrees((at_(right) - at_(left - 1)).astype(xp.float64), m2)
        good_r = active & (right + 1 <= last) & agrees((at_(right + 1) - at_(left)).astype(xp.float64), m2)
        if center:
            cl = xp.abs(at_(left - 1) + at_(right) - 2 * at)
            cr = xp.abs(at_(left) + at_(right + 1) - 2 * at)
        else:   # the side whose interval is closest to the mean
            span_t = at_(right) - at_(left)
            cl = xp.abs((at_(left) - at_(left - 1)) * m - span_t)
            cr = xp.abs((at_(right + 1) - at_(right)) * m - span_t)
        take_l = good_l & (~good_r | (cl <= cr))
        take_r = good_r & ~take_l
        left = left - take_l
        right = right + take_r
        active = take_l | take_r
        if not bool(active.any()):
            break
        m2 = (right - left).astype(xp.float64)
        s2 = (at_(right) - at_(left)).astype(xp.float64)
        h2 = tol + noise * xp.sqrt(m2) + tol_rel * s2
        r2 = 1.0 / m2
        ici_lo = xp.where(active, xp.maximum(ici_lo, (s2 - h2) * r2), ici_lo)
        ici_hi = xp.where(active, xp.minimum(ici_hi, (s2 + h2) * r2), ici_hi)
    m = right - left
    span_t = at_(right) - at_(left)
    # a silent side: the interval containing `at` is at least `gap` ticks; longer than the window allows -> 1 / gap
    gap = xp.where(only_b, (b - 1) + 1 - at_(k2 - 1), at_(k2) - (a - 1))
    limit = (tol + noise * xp.sqrt(1.0 + 1.0 / m)) * m + tol_rel * span_t
    changed = (only_b | only_f) & (gap * m - span_t > limit)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = m.astype(xp.float64) / (span_t.astype(xp.float64) * rate)
        est = xp.where(changed, 1.0 / (gap.astype(xp.float64) * rate), est)
        count = (n_back + n_fwd).astype(xp.float64) / (float(b - a) * rate)
    img = xp.where(ok, est, count)
    img = xp.minimum(img, 1.0).astype(xp.float32).reshape(h, w)
    return output_like(clamp_hot(img, irregular.reshape(h, w), xp), spikes)


def clamp_hot(img, irregular, xp=np):
    """Hot pixels: an irregular pixel brighter than ``HOT_MARGIN`` times all its (up to 8) neighbours takes their median
    (the lower one, ``sorted[(n - 1) // 2]``, of the n neighbours inside the image)."""
    h, w = img.shape
    pad = xp.full((h + 2, w + 2), xp.inf, dtype=img.dtype)
    pad[1:-1, 1:-1] = img
    nb = xp.stack([pad[dy : dy + h, dx : dx + w] for dy in (0, 1, 2) for dx in (0, 1, 2) if dy != 1 or dx != 1])
    n_in = (nb < xp.inf).sum(axis=0)
    nb_sorted = xp.sort(nb, axis=0)                       # neighbours outside the image (inf) sort last
    below = xp.where(nb < xp.inf, nb, -xp.inf).max(axis=0)
    median = xp.take_along_axis(nb_sorted, xp.maximum(n_in - 1, 0)[None] // 2, axis=0)[0]
    return xp.where(irregular & (n_in > 0) & (img > below * np.float32(HOT_MARGIN)), median, img)
