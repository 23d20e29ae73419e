"""View-mode registry and built-in modes, checked against the library and plain NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import spikevision as sv
from spikevision.viewer import modes
from spikevision.viewer.modes import FunctionMode, ViewMode, get_mode, mode_names, register_mode, unregister_mode

from ._data import if_spikes


@pytest.fixture(scope="module")
def spikes():
    return if_spikes(300, 12, 20)


@pytest.fixture(scope="module")
def stream(spikes):
    return sv.from_array(spikes, fps=20000)


def test_builtin_modes_registered_in_menu_order():
    assert mode_names()[:6] == ["raw", "tfp", "tfi", "tfstp", "best", "rate"]
    for name in mode_names():
        m = get_mode(name)
        assert m.name == name and m.label and m.unavailable() is None


def test_unknown_mode_names_the_choices():
    with pytest.raises(ValueError, match="unknown view mode 'nope'; choose one of raw, tfp"):
        get_mode("nope")


def test_raw_mode_is_the_spike_plane(stream, spikes):
    for at in (0, 17, 299):
        img = get_mode("raw").render(stream, at, 1)
        assert img.dtype == np.float32
        np.testing.assert_array_equal(img, spikes[at].astype(np.float32))


@pytest.mark.parametrize("at,window", [(150, 41), (3, 41), (298, 21), (100, 1)])
def test_tfp_mode_is_window_mean(stream, spikes, at, window):
    a = at - window // 2
    lo, hi = max(0, a), min(len(spikes), a + window)
    ref = spikes[lo:hi].sum(0) / (hi - lo)  # the obvious definition: the window centred on at, clipped
    np.testing.assert_allclose(get_mode("tfp").render(stream, at, window), ref, rtol=1e-6)


def test_tfi_and_best_and_tfstp_call_the_library(stream):
    from spikevision import recon

    np.testing.assert_array_equal(get_mode("tfi").render(stream, 150, 41), recon.tfi(stream, at=150, window=41))
    np.testing.assert_array_equal(get_mode("best").render(stream, 150, 129),
                                  recon.reconstruct(stream, "best", at=150, span=64))
    np.testing.assert_array_equal(get_mode("tfstp").render(stream, 150, 100), recon.tfstp(stream, at=150, history=100))


def test_rate_mode_counts_spikes_per_frame(stream, spikes):
    img = get_mode("rate").render(stream, 200, 101)
    np.testing.assert_allclose(img, spikes[150:251].mean(0), rtol=1e-6)
    whole = get_mode("rate").render(stream, 150, 10_000)
    np.testing.assert_allclose(whole, spikes.mean(0), rtol=1e-6)


def test_spans_give_live_lookahead():
    assert get_mode("raw").span(1) == (0, 0)
    assert get_mode("tfp").span(41) == (20, 20)
    assert get_mode("tfp").span(40) == (20, 19)
    assert get_mode("tfstp").span(100) == (100, 0)
    assert get_mode("best").span(129) == (64, 64)


def test_clamp_window():
    assert get_mode("tfp").clamp_window(1000) == 255
    assert get_mode("tfi").clamp_window(0) == 3
    assert get_mode("raw").clamp_window(50) == 1


def test_plugin_mode_registers_and_renders(stream, spikes):
    mode = FunctionMode("count8", "Spike count (8)", lambda s, at, w: s[at:at + w].unpack().sum(0),
                        default_window=8, levels=None, colormap="viridis")
    register_mode(mode)
    try:
        assert "count8" in mode_names() and get_mode("count8") is mode
        np.testing.assert_array_equal(mode.render(stream, 10, 8), spikes[10:18].sum(0).astype(np.float32))
        with pytest.raises(ValueError, match="registered already"):
            register_mode(FunctionMode("count8", "again", lambda s, at, w: s[at]))
    finally:
        unregister_mode("count8")
    assert "count8" not in mode_names()


def test_register_rejects_non_modes():
    with pytest.raises(TypeError):
        register_mode(object())  # type: ignore[arg-type]


def test_mode_with_missing_recon_function_says_why(monkeypatch):
    monkeypatch.setattr(modes, "recon_function", lambda name: None)
    why = get_mode("tfp").unavailable()
    assert why and "spikevision.recon.tfp" in why
    with pytest.raises(RuntimeError, match="not available"):
        get_mode("tfp").render(sv.from_array(np.zeros((3, 2, 2), np.uint8)), 1, 3)


def test_base_class_iterate_matches_render(stream):
    class Half(ViewMode):
        name = "half"

        def render(self, spikes, at, window):
            return spikes[at].astype(np.float32) / 2

    out = list(Half().iterate(stream, 5, 20, 5, 1))
    assert [t for t, _ in out] == [5, 10, 15]
    for t, img in out:
        np.testing.assert_array_equal(img, Half().render(stream, t, 1))


def test_best_iterate_equals_random_access(stream):
    m = get_mode("best")
    out = list(m.iterate(stream, 100, 130, 10, 129))
    assert [t for t, _ in out] == [100, 110, 120]
    for t, img in out:
        np.testing.assert_array_equal(img, m.render(stream, t, 129))


def test_tfstp_iterate_converges_to_random_access(stream):
    m = get_mode("tfstp")
    out = dict(m.iterate(stream, 200, 240, 20, 60))
    assert sorted(out) == [200, 220]
    np.testing.assert_array_equal(out[200], m.render(stream, 200, 60))  # same history at the first image
    # later images carry a longer history, which the synapses mostly forget (D = 1, F = 10 ticks)
    np.testing.assert_allclose(out[220], m.render(stream, 220, 60), atol=2e-3)
    assert not np.array_equal(out[220], out[200])
