import numpy as np
import pytest

from spikevision.recon import adaptive, tfp

from ._spikes import integrate_and_fire, random_spikes, train


def slow_adaptive(spikes, at, span, intervals, tol, tol_rel, noise_z=2.0, rate=1.0):
    """Per-pixel transcription of the rule documented in spikevision.recon.adaptive."""
    t_len, h, w = spikes.shape
    lo, hi = max(0, at - span), min(t_len - 1, at + span)
    out = np.zeros((h, w), np.float32)
    irregular = np.zeros((h, w), bool)
    for y in range(h):
        for x in range(w):
            back = [f for f in range(at, lo - 1, -1) if spikes[f, y, x]]
            fwd = [f for f in range(at + 1, hi + 1) if spikes[f, y, x]]
            # 2 * intervals spikes: up to `intervals` a side, a side with fewer leaves the rest to the other
            nb = min(len(back), max(intervals, 2 * intervals - len(fwd)))
            nf = min(len(fwd), max(intervals, 2 * intervals - nb))
            back, fwd = back[:nb], fwd[:nf]
            times = back[::-1] + fwd
            if not ((back and fwd) or len(times) >= 2):
                out[y, x] = np.float32(min(1.0, len(times) / ((hi - lo + 1) * rate)))
                continue
            isi = np.diff(times)
            d = [max(0, abs(isi[j] - 2 * isi[j + 1] + isi[j + 2]) - 1) for j in range(len(isi) - 2)]
            scatter = (sum(d) - sum(sorted(d)[-2:])) / max(len(d) - 2, 1) if len(d) >= 3 else 0.0
            noise = noise_z * 0.5 * scatter
            irregular[y, x] = len(d) >= 3 and scatter * (len(times) - 1) > 0.5 * (times[-1] - times[0])
            left = len(back) - 1 if (back and fwd) else (len(back) - 2 if back else 0)
            right = left + 1

            def bounds(lft, rgt, times=times, noise=noise):
                m, s = rgt - lft, times[rgt] - times[lft]
                hw = tol + noise * np.sqrt(m) + tol_rel * s
                return (s - hw) * (1 / m), (s + hw) * (1 / m)

            lo_b, hi_b = times[right] - times[left] - (tol + noise + tol_rel * (times[right] - times[left])), \
                times[right] - times[left] + (tol + noise + tol_rel * (times[right] - times[left]))
            while True:
                cands = []
                if left > 0:
                    b1, b2 = bounds(left - 1, right)
                    if max(lo_b, b1) <= min(hi_b, b2):
                        cands.append((abs(times[left - 1] + times[right] - 2 * at), 0))
                if right < len(times) - 1:
                    b1, b2 = bounds(left, right + 1)
                    if max(lo_b, b1) <= min(hi_b, b2):
                        cands.append((abs(times[left] + times[right + 1] - 2 * at), 1))
                if not cands:
                    break
                side = min(cands)[1]
                left, right = (left - 1, right) if side == 0 else (left, right + 1)
                b1, b2 = bounds(left, right)
                lo_b, hi_b = max(lo_b, b1), min(hi_b, b2)
            m, s = right - left, times[right] - times[left]
            est = m / (s * rate)
            if not (back and fwd):
                gap = hi + 1 - back[0] if back else fwd[0] - (lo - 1)
                if gap * m - s > (tol + noise * np.sqrt(1 + 1 / m)) * m + tol_rel * s:
                    est = 1 / (gap * rate)
            out[y, x] = np.float32(min(1.0, est))
    clamped = out.copy()
    for y, x in zip(*np.nonzero(irregular)):   # hot pixels: irregular and brighter than every neighbour -> lower median
        nb = [out[yy, xx] for yy in range(y - 1, y + 2) for xx in range(x - 1, x + 2)
              if (yy, xx) != (y, x) and 0 <= yy < h and 0 <= xx < w]
        if nb and out[y, x] > max(nb) * np.float32(1.25):
            clamped[y, x] = sorted(nb)[(len(nb) - 1) // 2]
    return clamped


@pytest.mark.parametrize("at", [0, 10, 37, 79])
def test_matches_slow_reference(at):
    s = random_spikes(11, 80, 4, 5, p=0.25)
    kw = dict(span=24, intervals=5, tol=1.0, tol_rel=0.1)
    np.testing.assert_allclose(adaptive(s, at, **kw, rate=0.9), slow_adaptive(s, at, **kw, rate=0.9), rtol=1e-6)
    np.testing.assert_allclose(adaptive(s, at, **kw, noise_z=0.5), slow_adaptive(s, at, **kw, noise_z=0.5), rtol=1e-6)


def test_if_pixels_static_scene():
    rates = np.linspace(0.03, 0.9, 24).reshape(4, 6)
    s = integrate_and_fire(rates, 300, start=np.random.default_rng(0).random((4, 6)))
    img = adaptive(s, at=150, span=64, intervals=16)
    # spike-anchored windows: relative error ~ 1 / span, far below TFP's 1 / window absolute
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


def test_a_side_with_fewer_spikes_leaves_its_budget_to_the_other():
    # at the last frame there is no spike after it: the window spans 2 * intervals spikes before it
    s = integrate_and_fire(np.full((1, 1), 0.3), 200)
    t = np.flatnonzero(s[:, 0, 0])
    for intervals in (2, 3, 5):
        n = 2 * intervals
        expect = np.float32((n - 1) / (t[-1] - t[-n]))
        assert adaptive(s, at=t[-1], intervals=intervals)[0, 0] == expect
        assert adaptive(s[t[0]:], at=0, intervals=intervals)[0, 0] == np.float32((n - 1) / (t[n - 1] - t[0]))
