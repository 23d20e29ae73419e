"""spikevision's training-free reconstruction: spike-anchored adaptive windows (the "best" method).

TFP (texture from playback) averages a fixed window and TFI (texture from the
inter-spike interval) inverts one interval (Zhu et al., "A retina-inspired
sampling method for visual texture reconstruction", ICME 2019). TFP blurs moving
edges or is noisy in flat regions and carries a +-1 spike phase error at both
window ends; TFI is sharp but quantised to whole ticks and, in low light, needs a
spike on both sides of the frame. This method keeps the strengths of both and
adapts to the firing rate, to the sensor's noise and to the ends of the stream.

The rule, per pixel and per frame ``c`` (reach: ``span`` frames on each side, clipped
to the stream):

1. Spike-anchored estimate. Over the m inter-spike intervals between the first and
   last spike of a window, spanning ``S`` ticks, the rate is ``m / S``: an
   integrate-and-fire pixel fires once per threshold of light, so the only error is
   the tick quantisation of the two end spikes (relative error <= 1 / S), against
   1 / window absolute for TFP.
2. A fixed ladder of nested windows. Window k covers the ticks ``(c - b_k, c + f_k]``
   widened to the spikes ``p`` (the last at or before ``c``) and ``q`` (the first after
   it), so the smallest window is TFI's interval ``[p, q]``. The distances grow by
   about 1.5x (``LADDER``: 1, 2, 3, 4, 6, 8, 12, ... up to ``span + 1``), one side at a
   time (back, then forward: the window stays centred on ``c``; ``center=False`` grows
   both sides at once). Windows grow in ticks, but every estimate is anchored on
   spikes, so a low-light pixel (a spike every 30-100 ticks) simply has fewer spikes in
   its windows; a window with more than ``intervals`` intervals is not used.
3. Adaptive choice by the intersection of confidence intervals (ICI) of Katkovnik's
   LPA-ICI (V. Katkovnik, "A new method for varying adaptive bandwidth selection",
   IEEE Trans. Signal Processing 47(9), 1999). Each window with m >= 1 intervals bounds
   the mean ISI ``mu = S / m`` to ``mu +- h``, ``h = (tol + noise I sqrt(m) + tol_rel S)
   / m`` with ``I`` the pixel's mean ISI over the whole reach (its spike count); the
   largest window whose bounds intersect those of every smaller window wins, so growth
   stops at a change (a moving edge, a flicker). ``tol`` (1 tick) is the quantisation of
   integrate-and-fire spike times. The noise term scales with the pixel's rate, not with
   the window's own interval, so a short outlier interval (a burst at the start of a
   recording) cannot stop the growth.
4. Sensor noise. Photon shot noise and threshold noise scatter every ISI by a fixed
   fraction of its length (the coefficient of variation, 1 / sqrt(electrons per
   threshold) for shot noise), so it is a property of the sensor, measured on every
   29th pixel: from the ``GATHER`` spikes nearest ``c`` on each side, the second
   differences of successive ISIs ``I[j] - 2 I[j+1] + I[j+2]`` (zero for a smooth change
   of rate such as a moving texture, at most 2 ticks for a noise-free pixel) give the
   scatter ``mean(max(|d| - 1, 0))`` without the two largest values (a change of scene
   is in two of them). The sensor's scatter is the 25th percentile (a fast-moving texture
   adds to some pixels, noise to all) over the sampled pixels with a mean ISI of at least
   4 ticks of scatter / mean ISI; times ``noise_z / 2`` it is ``noise``. A clean sensor
   keeps tight windows that stop at moving edges; a noisy one gets long windows.
5. Missing sides. Where one side has no spike (the start or end of the stream, or a
   pixel that went dark), the windows are one-sided. The silent stretch ``g`` is a
   lower bound on the interval that contains ``c``; when ``g m - S`` exceeds ``(tol +
   noise I sqrt(1 + 1/m)) m + tol_rel S`` the pixel changed and the estimate is
   ``1 / g`` (TFI's bound). A pixel with no usable window (fewer than two spikes within
   reach) reads its spike count over the reach (a long TFP).
6. Hot pixels. An integrate-and-fire pixel fires regularly; a hot pixel (a leaky or
   defective one) fires at random, with ISIs scattered like a Poisson process (scatter
   about the mean ISI). A pixel whose estimate or spike count over the reach is above
   ``HOT_MARGIN`` times the estimates of all its (up to 8) neighbours, and whose own
   scatter (step 4 over the ``HOT_GATHER`` spikes nearest ``c`` a side, at least six)
   exceeds one tick (the most a regular pixel reaches, with ISIs n and n + 1) and
   ``max(HOT_SCATTER, HOT_Z x`` the sensor's scatter ``)`` times its mean ISI, takes the
   lower median of its neighbours (the defective-pixel correction of camera pipelines,
   applied only where the timing says the pixel does not integrate light like the rest
   of the sensor).

Every step is a count, a first or a last spike over ranges shared by all pixels, so
the compiled twin works on 64 frames per machine word for many pixels at once. Causal
up to a lookahead of ``span`` frames (streaming gives the same images, bit for bit).
The window arithmetic is float32. Intensity scale: spikes per tick / ``rate``,
clipped to [0, 1].

Quality (benchmarks/bench_recon_quality.py, PSNR against the expected rate, best minus
TFP-41 at the first, middle and last frames of 8 scenes x 4 sensors: clean,
calibrated-noise, hot-pixel and photon-starved; normal and low light): >= 0 dB in all
96 cases, >= +3.4 dB on the static low-light scenes with every sensor, +1..+17 dB on
clean moving scenes. With the calibrated sensor noise every temporal estimator is
capped by the fixed-pattern noise (gain, threshold offset, dark current); removing it
needs calibration (denoising), not a better window.

Example:
    >>> import numpy as np
    >>> from spikevision.recon import adaptive
    >>> s = np.zeros((200, 1, 1), np.uint8); s[(np.arange(80) / 0.4).astype(int)] = 1  # ISIs 2, 3, 2, 3 ...
    >>> round(float(adaptive(s, at=100)[0, 0]), 2)   # TFI here reads 0.33 or 0.5
    0.4
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._input import Spikes, check_frame, check_rate, check_window, output_like, read_window, shape_of, xp_of

__all__ = ["adaptive", "adaptive_bounds", "check_adaptive", "hot_threshold", "ladder", "windows", "isi_scatter",
           "noise_of", "ADAPTIVE_DEFAULTS", "MAX_SPAN", "HOT_SCATTER", "HOT_Z", "HOT_MARGIN", "LADDER", "GATHER",
           "HOT_GATHER", "NOISE_STEP", "NOISE_MIN_ISI", "NOISE_QUANTILE"]

#: Defaults of :func:`adaptive` (see the rule in the module docstring).
ADAPTIVE_DEFAULTS = {"span": 255, "intervals": 32, "tol": 1.0, "tol_rel": 0.0, "noise_z": 2.5, "center": True}
#: ISI scatter (ticks, see the rule) above this fraction of the mean ISI marks irregular (Poisson-like) firing...
HOT_SCATTER = 0.3
#: ... and so does a scatter above HOT_Z times the sensor's (per tick of ISI)
HOT_Z = 3.0
#: a pixel above this multiple of all its neighbours is a hot-pixel candidate
HOT_MARGIN = 1.25
#: Largest search reach (frames on each side of the reconstructed frame).
MAX_SPAN = 1023
#: Window distances (ticks on each side of the frame), about 1.5x apart.
LADDER = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024)
#: spikes a side for the ISI scatter (noise sample and hot-pixel test)
GATHER = 8
#: spikes a side for the hot-pixel test (a longer look than the noise sample: only candidates take it)
HOT_GATHER = 32
#: every NOISE_STEP-th pixel (flat index) samples the sensor noise
NOISE_STEP = 29
#: the sensor's scatter is this percentile over the sampled pixels (a moving texture adds to some of them)
NOISE_QUANTILE = 25
#: pixels whose mean ISI is shorter (ticks) do not sample the noise: quantisation dominates there
NOISE_MIN_ISI = 4.0


def adaptive_bounds(at: int, n_frames: int, span: int) -> tuple[int, int]:
    """Frames [start, stop) that :func:`adaptive` reads for frame ``at``."""
    return max(0, at - span), min(n_frames, at + span + 1)


def check_adaptive(span: int, intervals: int, tol: float, tol_rel: float, noise_z: float = 2.5) -> None:
    """Validate the options of :func:`adaptive`."""
    check_window(span, "span", 1, MAX_SPAN)
    check_window(intervals, "intervals", 1, 1024)
    if not (tol >= 0 and tol_rel >= 0 and noise_z >= 0):
        raise ValueError(f"tol, tol_rel and noise_z must be >= 0, got tol={tol}, tol_rel={tol_rel}, noise_z={noise_z}")


def ladder(span: int) -> np.ndarray:
    """Window distances for a reach of ``span`` frames: :data:`LADDER` below ``span + 1``, then ``span + 1``."""
    return np.array([d for d in LADDER if d < span + 1] + [span + 1], dtype=np.int64)


def windows(span: int, center: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Ladder indices (back, forward) of the nested windows, smallest first (see the rule)."""
    n = len(ladder(span))
    if center:
        back = [0] + [i for i in range(1, n) for _ in (0, 1)]
        fwd = [0] + [j for i in range(1, n) for j in (i - 1, i)]
    else:
        back = fwd = list(range(n))
    return np.array(back, dtype=np.int64), np.array(fwd, dtype=np.int64)


def isi_scatter(cols: Any, c: int, k: int = GATHER) -> tuple[Any, Any, Any]:
    """ISI scatter of the pixels ``cols`` (R, n) (frames of a reach, ``c`` the frame's row).

    The up to ``k`` spikes nearest ``c`` on each side (a side with fewer leaves the rest of the ``2 k``
    to the other); returns per pixel the scatter (float64: mean of ``max(|second difference| - 1, 0)``
    without the two largest, 0 below three values), the number of spikes and their span in ticks.
    """
    xp = xp_of(cols)
    n = cols.shape[1]
    k2, kk = 2 * k, 4 * k
    times = xp.full((n, kk), -1, dtype=xp.int64)   # j < k2: at or before c (nearest at k2 - 1); j >= k2: after
    back = cols[: c + 1][::-1].astype(xp.int32)
    rank = xp.cumsum(back, axis=0)
    for i in range(1, k2 + 1):
        hit = (back != 0) & (rank == i)
        times[:, k2 - i] = xp.where(hit.any(axis=0), c - hit.argmax(axis=0), -1)
    fwd = cols[c + 1 :].astype(xp.int32)
    if fwd.shape[0]:
        rank = xp.cumsum(fwd, axis=0)
        for i in range(1, k2 + 1):
            hit = (fwd != 0) & (rank == i)
            times[:, k2 - 1 + i] = xp.where(hit.any(axis=0), c + 1 + hit.argmax(axis=0), -1)
    valid = times >= 0
    nb_all, nf_all = valid[:, :k2].sum(axis=1), valid[:, k2:].sum(axis=1)
    b0, f0 = xp.minimum(nb_all, k), xp.minimum(nf_all, k)
    first = k2 - (b0 + xp.minimum(nb_all - b0, k - f0))
    last = k2 - 1 + f0 + xp.minimum(nf_all - f0, k - b0)
    isi = times[:, 1:] - times[:, :-1]
    jj = xp.arange(kk - 3)[None, :]
    dvalid = (jj >= first[:, None]) & (jj + 3 <= last[:, None])
    d = xp.where(dvalid, xp.maximum(xp.abs(isi[:, :-2] - 2 * isi[:, 1:-1] + isi[:, 2:]) - 1, 0), 0)
    nd = dvalid.sum(axis=1)
    trimmed = (d.sum(axis=1) - xp.sort(d, axis=1)[:, -2:].sum(axis=1)).astype(xp.float64)
    scatter = xp.where(nd >= 3, trimmed / xp.maximum(nd - 2, 1), 0.0)
    px = xp.arange(n)
    ticks = xp.where(last > first, times[px, xp.clip(last, 0, kk - 1)] - times[px, xp.clip(first, 0, kk - 1)], 0)
    return scatter, last - first + 1, ticks


def noise_of(scatter: Any, n_spikes: Any, ticks: Any) -> float:
    """The sensor's ISI scatter per tick of ISI (rule step 4) from :func:`isi_scatter` of the sampled pixels."""
    xp = xp_of(scatter)
    ok = n_spikes >= 6
    mean_isi = ticks[ok] / (n_spikes[ok] - 1).astype(xp.float64)
    values = scatter[ok][mean_isi >= NOISE_MIN_ISI] / mean_isi[mean_isi >= NOISE_MIN_ISI]
    return float(xp.percentile(values, NOISE_QUANTILE)) if values.size else 0.0


def adaptive(spikes: Spikes, at: int, *, span: int = 255, intervals: int = 32, tol: float = 1.0,
             tol_rel: float = 0.0, noise_z: float = 2.5, rate: float | str = 1.0, center: bool = True,
             convention: str = "spikevision") -> Any:
    """Reconstruct frame ``at`` with per-pixel spike-anchored adaptive windows (the "best" method).

    This is the NumPy/CuPy reference; :func:`spikevision.recon.reconstruct` runs the compiled twin.

    Args:
        spikes: SpikeStream or (T, H, W) array of any backend (nonzero = spike).
        at: frame index (negative counts from the end).
        span: most frames read on each side of ``at`` (the lookahead of the streaming version), 1..1023.
        intervals: most inter-spike intervals in a window.
        tol: interval tolerance in ticks (quantisation).
        tol_rel: interval tolerance relative to the window's span.
        noise_z: tolerance in units of the sensor's measured ISI scatter (photon and threshold noise).
        rate: firing rate shown as intensity 1, or "auto" (:func:`~spikevision.recon.auto_rate` over the
            frames read).
        center: grow the windows one side at a time, keeping them centred on ``at`` (default); False grows
            both sides at once (half the windows, coarser steps).
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
    frames = read_window(spikes, a, b).reshape(b - a, h * w) != 0
    c = at - a
    sensor = noise_of(*isi_scatter(frames[:, ::NOISE_STEP], c))
    est, reach = _window_rule(frames, c, ladder(span), *windows(span, center), intervals, tol, tol_rel,
                              noise_z * 0.5 * sensor, rate)
    img = _clamp_hot_pixels(est.reshape(h, w), reach.reshape(h, w), frames, c, hot_threshold(sensor))
    return output_like(img, spikes)


def hot_threshold(sensor: float) -> float:
    """Scatter per tick of ISI above which a pixel fires irregularly, given the sensor's (rule step 6)."""
    return max(HOT_SCATTER, HOT_Z * sensor)


def _cells(frames: Any, c: int, lad: np.ndarray) -> tuple[Any, ...]:
    """Per ladder distance d: spikes in (c - d, c] and their earliest, spikes in (c, c + d] and their latest;
    the last spike at or before ``c`` (``p``, -1 if none) and the first after it (``q``, R if none)."""
    xp = xp_of(frames)
    r_len, n = frames.shape
    nl = len(lad)
    cb, eb = xp.zeros((nl, n), xp.int64), xp.zeros((nl, n), xp.int64)
    cf, lf = xp.zeros((nl, n), xp.int64), xp.zeros((nl, n), xp.int64)
    p, q = xp.full(n, -1, xp.int64), xp.full(n, r_len, xp.int64)
    stop = c + 1                        # back cell i: rows [start, stop)
    for i, d in enumerate(lad):
        start = max(0, c - int(d) + 1)
        cell = frames[start:stop]
        cnt = cell.sum(axis=0) if len(cell) else xp.zeros(n, xp.int64)
        cb[i] = cnt + (cb[i - 1] if i else 0)
        if len(cell):
            eb[i] = xp.where(cnt > 0, start + cell.argmax(axis=0), eb[i - 1] if i else 0)
            p = xp.where((p < 0) & (cnt > 0), stop - 1 - cell[::-1].argmax(axis=0), p)
        elif i:
            eb[i] = eb[i - 1]
        stop = start
    start = c + 1                       # forward cell j: rows [start, stop)
    for j, d in enumerate(lad):
        stop = min(r_len, c + int(d) + 1)
        cell = frames[start:stop]
        cnt = cell.sum(axis=0) if len(cell) else xp.zeros(n, xp.int64)
        cf[j] = cnt + (cf[j - 1] if j else 0)
        if len(cell):
            lf[j] = xp.where(cnt > 0, stop - 1 - cell[::-1].argmax(axis=0), lf[j - 1] if j else 0)
            q = xp.where((q >= r_len) & (cnt > 0), start + cell.argmax(axis=0), q)
        elif j:
            lf[j] = lf[j - 1]
        start = max(start, stop)
    return cb, eb, cf, lf, p, q


def _window_rule(frames: Any, c: int, lad: np.ndarray, wb: np.ndarray, wf: np.ndarray, intervals: int, tol: float,
                 tol_rel: float, noise: float, rate: float) -> Any:
    """Steps 1-3 and 5 of the rule for every pixel: the estimate before the hot-pixel clamp and the spike count
    over the reach as a rate, float32 (P,) each."""
    xp = xp_of(frames)
    r_len, n = frames.shape
    cb, eb, cf, lf, p, q = _cells(frames, c, lad)
    has_p, has_q = p >= 0, q < r_len
    f32 = xp.float32
    tol32, rel32 = f32(tol), f32(tol_rel)
    n_reach = cb[-1] + cf[-1]
    tick_noise = f32(noise) * (f32(r_len) / xp.maximum(n_reach, 1).astype(f32))   # noise x the mean ISI over the reach
    # each side's spikes and end spike at every ladder distance, with p and q where the side has none
    nb_at = xp.where(cb > 0, cb, has_p.astype(xp.int64))
    first_at = xp.where(cb > 0, eb, xp.where(has_p, p, q))
    nf_at = xp.where(cf > 0, cf, has_q.astype(xp.int64))
    last_at = xp.where(cf > 0, lf, xp.where(has_q, q, p))
    ici_lo, ici_hi = xp.full(n, -xp.inf, f32), xp.full(n, xp.inf, f32)
    active = xp.ones(n, bool)
    m_win, s_win = xp.zeros(n, xp.int64), xp.zeros(n, xp.int64)
    for i, j in zip(wb.tolist(), wf.tolist()):
        m = nb_at[i] + nf_at[j] - 1
        s_ticks = last_at[j] - first_at[i]
        valid = active & (m >= 1)
        active &= ~(valid & (m > intervals))
        valid &= m <= intervals
        inv = f32(1) / xp.maximum(m, 1).astype(f32)
        sf = s_ticks.astype(f32)
        mu = sf * inv
        half = (tol32 + tick_noise * xp.sqrt(xp.maximum(m, 1).astype(f32)) + rel32 * sf) * inv
        lo, hi = xp.maximum(ici_lo, mu - half), xp.minimum(ici_hi, mu + half)
        ok = valid & (lo <= hi)
        active &= ~(valid & ~ok)
        ici_lo, ici_hi = xp.where(ok, lo, ici_lo), xp.where(ok, hi, ici_hi)
        m_win, s_win = xp.where(ok, m, m_win), xp.where(ok, s_ticks, s_win)
    good = m_win >= 1
    only_b, only_f = has_p & ~has_q, has_q & ~has_p
    gap = xp.where(only_b, r_len - p, q + 1)
    mf = xp.maximum(m_win, 1).astype(f32)
    sf = s_win.astype(f32)
    limit = (tol32 + tick_noise * xp.sqrt(f32(1) + f32(1) / mf)) * mf + rel32 * sf
    changed = (only_b | only_f) & good & (gap.astype(f32) * mf - sf > limit)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = xp.where(changed, 1.0 / (gap * rate), m_win / (s_win * rate))
        count = n_reach / (float(r_len) * rate)
    return xp.minimum(xp.where(good, est, count), 1.0).astype(f32), xp.minimum(count, 1.0).astype(f32)


def _clamp_hot_pixels(img: Any, reach: Any, frames: Any, c: int, threshold: float) -> Any:
    """Step 6 of the rule: candidates brighter than all neighbours, tested by their own ISI scatter."""
    xp = xp_of(img)
    h, w = img.shape
    above = _neighbour_max(img) * np.float32(HOT_MARGIN)
    cand = xp.flatnonzero(((img > above) | (reach > above)).ravel())
    out = img.copy()
    if cand.size and h * w > 1:
        scatter, n_spikes, ticks = isi_scatter(frames[:, cand], c, HOT_GATHER)
        bad = cand[(n_spikes >= 6) & (scatter > 1) & (scatter * (n_spikes - 1) > threshold * ticks)]
        out.ravel()[bad] = _neighbour_lower_median(img).ravel()[bad]
    return out


def _neighbours(img: Any, fill: float) -> Any:
    """(8, H, W): the 8 neighbours of every pixel, ``fill`` where a neighbour is outside the image."""
    xp = xp_of(img)
    h, w = img.shape
    pad = xp.full((h + 2, w + 2), fill, dtype=img.dtype)
    pad[1:-1, 1:-1] = img
    return xp.stack([pad[dy : dy + h, dx : dx + w] for dy in (0, 1, 2) for dx in (0, 1, 2) if dy != 1 or dx != 1])


def _neighbour_lower_median(img: Any) -> Any:
    """The lower median (``sorted[(n - 1) // 2]``) of the n (up to 8) neighbours of every pixel inside the image."""
    xp = xp_of(img)
    nb = xp.sort(_neighbours(img, xp.inf), axis=0)      # neighbours outside the image (inf) sort last
    n_in = (nb < xp.inf).sum(axis=0)
    return xp.take_along_axis(nb, xp.maximum(n_in - 1, 0)[None] // 2, axis=0)[0]


def _neighbour_max(img: Any) -> Any:
    """Largest of the (up to 8) neighbours of every pixel inside the image (-inf without neighbours)."""
    return _neighbours(img, -np.inf).max(axis=0)
