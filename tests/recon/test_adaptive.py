import numpy as np
import pytest

from spikevision.recon import adaptive, tfp

from ._spikes import integrate_and_fire, random_spikes, train

LADDER = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024)


def slow_scatter(times, at, k=8):
    """ISI scatter of the up to k spikes a side nearest ``at`` (a side with fewer leaves the rest to the other)."""
    back = [t for t in times if t <= at][::-1]
    fwd = [t for t in times if t > at]
    nb = min(len(back), max(k, 2 * k - len(fwd)))
    nf = min(len(fwd), max(k, 2 * k - nb))
    sel = back[:nb][::-1] + fwd[:nf]
    isi = np.diff(sel)
    d = [max(0, abs(int(isi[j] - 2 * isi[j + 1] + isi[j + 2])) - 1) for j in range(len(isi) - 2)]
    scatter = (sum(d) - sum(sorted(d)[-2:])) / (len(d) - 2) if len(d) >= 3 else 0.0
    return scatter, len(sel), (sel[-1] - sel[0]) if len(sel) > 1 else 0


def slow_adaptive(spikes, at, span, intervals, tol, tol_rel, noise_z=2.5, rate=1.0, center=True):
    """Per-pixel transcription of the rule documented in spikevision.recon.adaptive."""
    f32 = np.float32
    t_len, h, w = spikes.shape
    lo, hi = max(0, at - span), min(t_len - 1, at + span)
    lad = [d for d in LADDER if d < span + 1] + [span + 1]
    wins = ([(lad[0], lad[0])] + [pair for i in range(1, len(lad)) for pair in ((lad[i], lad[i - 1]), (lad[i], lad[i]))]
            if center else [(d, d) for d in lad])
    times_of = [[t for t in range(lo, hi + 1) if spikes[t, k // w, k % w]] for k in range(h * w)]
    sample = []
    for times in times_of[::29]:                      # the sensor's noise: every 29th pixel
        sc, n, ticks = slow_scatter(times, at)
        if n >= 6 and ticks / (n - 1) >= 4.0:
            sample.append(sc / (ticks / (n - 1)))
    sensor = float(np.percentile(sample, 25)) if sample else 0.0
    noise = f32(noise_z * 0.5 * sensor)
    out = np.zeros(h * w, np.float32)
    reach = np.array([f32(min(1.0, len(times) / ((hi - lo + 1) * rate))) for times in times_of]).reshape(h, w)
    for k, times in enumerate(times_of):
        tick_noise = noise * (f32(hi - lo + 1) / f32(max(len(times), 1)))   # noise x the mean ISI over the reach
        p = max([t for t in times if t <= at], default=None)
        q = min([t for t in times if t > at], default=None)
        ici_lo, ici_hi, chosen = f32(-np.inf), f32(np.inf), None
        for db, df in wins:
            a0, b0 = at - db + 1, at + df
            a0 = a0 if p is None else min(a0, p)
            b0 = b0 if q is None else max(b0, q)
            inside = [t for t in times if a0 <= t <= b0]
            m = len(inside) - 1
            if m < 1:
                continue
            if m > intervals:
                break
            s = inside[-1] - inside[0]
            inv = f32(1) / f32(m)
            mu = f32(s) * inv
            half = (f32(tol) + tick_noise * np.sqrt(f32(m)) + f32(tol_rel) * f32(s)) * inv
            lo_b, hi_b = max(ici_lo, mu - half), min(ici_hi, mu + half)
            if lo_b > hi_b:
                break
            ici_lo, ici_hi, chosen = lo_b, hi_b, (m, s)
        if chosen is None:
            est = len(times) / ((hi - lo + 1) * rate)
        else:
            m, s = chosen
            est = m / (s * rate)
            if (p is None) != (q is None):              # one side silent: the bound of the silent stretch
                gap = hi + 1 - p if q is None else q - (lo - 1)
                mu = f32(s) * (f32(1) / f32(m))
                limit = (f32(tol) + tick_noise * np.sqrt(f32(1) + f32(1) / f32(m))) * f32(m) + f32(tol_rel) * f32(s)
                if f32(gap) * f32(m) - f32(s) > limit:
                    est = 1 / (gap * rate)
        out[k] = f32(min(1.0, est))
    out = out.reshape(h, w)
    clamped = out.copy()
    threshold = max(0.3, 3.0 * sensor)
    for y in range(h):        # hot pixels: brighter than every neighbour and irregular -> lower median of them
        for x in range(w):
            nb = [out[yy, xx] for yy in range(y - 1, y + 2) for xx in range(x - 1, x + 2)
                  if (yy, xx) != (y, x) and 0 <= yy < h and 0 <= xx < w]
            if nb and max(out[y, x], reach[y, x]) > max(nb) * f32(1.25):
                sc, n, ticks = slow_scatter(times_of[y * w + x], at, k=32)
                if n >= 6 and sc > 1 and sc * (n - 1) > threshold * ticks:
                    clamped[y, x] = sorted(nb)[(len(nb) - 1) // 2]
    return clamped


@pytest.mark.parametrize("at", [0, 10, 37, 79])
@pytest.mark.parametrize("center", [True, False])
def test_matches_slow_reference(at, center):
    s = random_spikes(11, 80, 6, 12, p=0.25)
    kw = dict(span=24, intervals=5, tol=1.0, tol_rel=0.1, center=center)
    np.testing.assert_array_equal(adaptive(s, at, **kw, rate=0.9), slow_adaptive(s, at, **kw, rate=0.9))
    np.testing.assert_array_equal(adaptive(s, at, **kw, noise_z=5.0), slow_adaptive(s, at, **kw, noise_z=5.0))


@pytest.mark.parametrize("seed", [0, 1])
def test_matches_slow_reference_on_integrate_and_fire_with_hot_pixels(seed):
    # regular pixels at mixed rates, a moving edge and two Poisson (hot) pixels; default options
    rng = np.random.default_rng(seed)
    rates = rng.uniform(0.02, 0.5, (5, 9))
    s = integrate_and_fire(lambda t: np.where(np.arange(9)[None, :] < 2 + t // 40, rates, rates / 3), 300,
                           start=rng.random((5, 9)))
    s[:, 2, 4] = rng.random(300) < 0.3
    s[:, 0, 0] = rng.random(300) < 0.4
    for at in (0, 120, 299):
        np.testing.assert_array_equal(adaptive(s, at, span=100), slow_adaptive(s, at, 100, 32, 1.0, 0.0))


def test_if_pixels_static_scene():
    rates = np.linspace(0.03, 0.9, 24).reshape(4, 6)
    s = integrate_and_fire(rates, 300, start=np.random.default_rng(0).random((4, 6)))
    img = adaptive(s, at=150, span=64, intervals=64)
    # spike-anchored windows: relative error ~ 1 / (ticks of 64 intervals), far below TFP's 1 / window absolute
    assert np.abs(img - rates).max() < 0.02
    assert np.abs(img - rates).mean() < 0.6 * np.abs(tfp(s, 150, 41) - rates).mean()
    assert np.abs(adaptive(s, at=150) - rates).mean() < np.abs(tfp(s, 150, 41) - rates).mean()


def test_step_change_keeps_edges_sharp():
    # rate 0.5 until tick 100, then 0.1: at tick 95 the estimate must stay near 0.5, at 110 near 0.1
    s = integrate_and_fire(lambda t: np.full((1, 1), 0.5 if t < 100 else 0.1), 200)
    assert abs(float(adaptive(s, at=95)[0, 0]) - 0.5) < 0.05
    assert abs(float(adaptive(s, at=115)[0, 0]) - 0.1) < 0.02
    assert abs(float(tfp(s, 95, 41)[0, 0]) - 0.5) > 0.1   # TFP mixes both sides


def test_pixel_with_fewer_than_two_spikes_reads_its_count_over_the_reach():
    assert adaptive(train(100, []), at=50, span=20)[0, 0] == 0
    assert adaptive(train(100, [40]), at=50, span=20)[0, 0] == np.float32(1 / 41)


def test_a_pixel_that_went_dark_reads_the_silent_bound():
    s = train(400, range(0, 200, 2))      # rate 0.5 until tick 200, then silent
    assert adaptive(s, at=300, span=255)[0, 0] == np.float32(1 / (400 - 198))


def test_bad_parameters():
    s = train(10, [1])
    with pytest.raises(ValueError, match="span"):
        adaptive(s, at=3, span=0)
    with pytest.raises(ValueError, match="tol"):
        adaptive(s, at=3, tol=-1)


def test_convention_option():
    s = train(60, [10, 20, 30])
    assert adaptive(s, 25, convention="spikevision") == adaptive(s, 25)
    with pytest.raises(ValueError, match="convention"):
        adaptive(s, 25, convention="spikecv")


@pytest.mark.parametrize("h,w,n", [(5, 7, 64), (3, 130, 17), (1, 1, 1), (9, 64, 40)])
def test_history_store_transposes_to_pixel_major_words(h, w, n):
    from spikevision import _bits
    from spikevision.recon import _kernels as K

    s = random_spikes(h * w + n, n, h, w, p=0.3)
    packed = _bits.pack_frames(s)
    work = np.zeros((n + 3, (packed.shape[1] + 7) // 8 * 8), np.uint8)
    work[3 : 3 + n, : packed.shape[1]] = packed
    hist = np.full((2, h * w), 0xFFFF, np.uint64)
    K.history_store(work.view(np.uint64), 3, n, hist, 1, h * w)
    bits = (hist[1][None, :] >> np.arange(64, dtype=np.uint64)[:, None]) & np.uint64(1)
    np.testing.assert_array_equal(bits[:n], s.reshape(n, -1))     # bit r of pixel px = frame r
    assert not bits[n:].any()                                     # frames not yet seen read as silent
    assert (hist[0] == 0xFFFF).all()                              # other slots untouched


@pytest.mark.parametrize("span,every,blocks", [(300, 37, [1, 63, 64, 65, 200, 700]), (1023, 100, [513, 1024]),
                                               (70, 1, [5, 129])])
def test_streaming_long_reach_equals_offline(span, every, blocks):
    # low and mixed rates, reaches over many 64-frame words and across the history ring's wrap-around
    from spikevision import _bits
    from spikevision.recon import StreamingAdaptive

    rng = np.random.default_rng(span)
    rates = np.concatenate([rng.uniform(0.002, 0.03, 40), rng.uniform(0.05, 0.6, 25)]).reshape(5, 13)
    s = (rng.random((1500, 5, 13)) < rates).astype(np.uint8)
    rec = StreamingAdaptive(5, 13, span=span, emit_every=every, start=3)
    packed = _bits.pack_frames(s)
    out, a = [], 0
    for i in range(10**6):
        b = min(len(s), a + blocks[i % len(blocks)])
        out += rec.push_packed(packed[a:b])
        a = b
        if a == len(s):
            break
    out += rec.flush()
    assert [t for t, _ in out] == list(range(3, len(s), every))
    for t, img in out[:: max(1, len(out) // 25)] + out[-3:]:
        np.testing.assert_array_equal(img, adaptive(s, t, span=span), err_msg=f"frame {t}")


def test_a_side_without_spikes_gives_one_sided_windows():
    # at the last frame there is no spike after it: the window is the last m + 1 spikes before it, with the
    # largest ladder window of at most `intervals` intervals (a regular pixel never stops the growth)
    s = integrate_and_fire(np.full((1, 1), 0.3), 300)
    t = np.flatnonzero(s[:, 0, 0])
    for intervals in (2, 5, 32):
        got = adaptive(s, at=t[-1], intervals=intervals)[0, 0]
        ms = [m for m in range(1, intervals + 1) if np.float32(m / (t[-1] - t[-1 - m])) == got]
        assert ms and max(ms) >= intervals // 2, (intervals, got)
        got = adaptive(s[t[0]:], at=0, intervals=intervals)[0, 0]
        u = t - t[0]
        ms = [m for m in range(1, intervals + 1) if np.float32(m / u[m]) == got]
        assert ms and max(ms) >= intervals // 2, (intervals, got)


@pytest.mark.parametrize("seed", range(8))
def test_compiled_equals_reference_across_options(seed):
    # random sizes, spans (1 to past the stream), interval caps, tolerances, noise and growth order;
    # Bernoulli or integrate-and-fire pixels; the frames at both ends and two inside
    from spikevision.recon import reconstruct

    rng = np.random.default_rng(seed)
    t_len, h, w = int(rng.integers(2, 300)), int(rng.integers(1, 9)), int(rng.integers(1, 40))
    rates = rng.uniform(0, 0.6, (h, w)) ** 2
    if seed % 2:
        s = integrate_and_fire(rates * 0.7, t_len, start=rng.random((h, w)))
    else:
        s = (rng.random((t_len, h, w)) < rates).astype(np.uint8)
    kw = dict(span=int(rng.choice([1, 5, 40, 255, 300])), intervals=int(rng.choice([1, 3, 32])),
              tol_rel=float(rng.choice([0, 0.1])), noise_z=float(rng.choice([0, 2.5, 5])), center=bool(seed // 2 % 2))
    for at in sorted({0, t_len // 2, t_len - 1, int(rng.integers(t_len))}):
        np.testing.assert_array_equal(reconstruct(s, "best", at=at, engine="numba", **kw), adaptive(s, at, **kw))
