"""Every card validates, and every layout on the cards loads from a tiny replica written from its card."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import spikevision.datasets as svd
from spikevision.errors import FormatError, SpikevisionError
from spikevision.stream import SpikeStream

from ._replica import write_replica

EXPECTED = {"recVidarReal2019", "momVidarReal2021", "REDS_BASE", "SREDS", "U-CALTECH", "U-CIFAR", "SPIFT", "PHM",
            "PKU-Spike-Stereo", "SpikeStereoNet-synthetic", "SpikeStereoNet-real", "motVidarReal2020",
            "PKU-Vidar-DVS", "BSS", "DnSS", "SCSim", "svbench-1"}


def test_every_dataset_has_a_card():
    assert EXPECTED <= set(svd.list_datasets())
    assert "SPIFT" in svd.list_datasets(task="flow") and "REDS_BASE" not in svd.list_datasets(task="flow")
    assert svd.card("reds_base").name == "REDS_BASE"
    with pytest.raises(SpikevisionError, match="known datasets"):
        svd.card("nope")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_card_content(name):
    c = svd.card(name)
    assert c.paper and c.citation and c.license and c.size and c.obtain
    assert c.height > 0 and c.width > 0 and c.fps > 0
    for f in c.unverified:  # an unverified fact names a real key of the card
        assert f.split(".")[0] in c.raw or f in ("splits", "layout", "flip", "fps", "gt.tracks", "gt.boxes")


def test_schema_rejects_bad_cards():
    good = svd.card("REDS_BASE").raw
    with pytest.raises(FormatError, match="'license' is missing"):
        svd.parse_card({k: v for k, v in good.items() if k != "license"})
    with pytest.raises(FormatError, match="unknown task"):
        svd.parse_card({**good, "tasks": ["telepathy"]})
    with pytest.raises(FormatError, match="does not capture"):
        svd.parse_card({**good, "gt": {"image": {"path": "{split}/gt/{nope}.png", "format": "png", "kind": "image"}}})
    with pytest.raises(FormatError, match="relative path"):
        svd.parse_card({**good, "layout": {"splits": ["a"], "spikes": "../x/{id}.dat"}})
    with pytest.raises(FormatError, match="format must be"):
        svd.parse_card({**good, "reader": {"format": "avi"}})


def _equal(got, want):
    if isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want)
        for g, w in zip(got, want):
            _equal(g, w)
    elif isinstance(want, dict):
        assert set(got) == set(want)
        for k in want:
            np.testing.assert_array_equal(got[k], want[k])
    elif isinstance(got, SpikeStream):
        np.testing.assert_array_equal(got.unpack(), want)
    elif isinstance(want, np.ndarray):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    else:
        assert got == want


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_layout_loads_from_a_replica(name, tmp_path):
    c = svd.card(name)
    truth = write_replica(c, tmp_path)
    ds = svd.load(name, tmp_path, split="all")
    assert len(ds) == len(truth) == 2 * len(c.splits)
    rep = svd.verify(name, tmp_path)
    assert rep.ok, rep.summary()
    assert rep.recordings == {s: 2 for s in c.splits}
    for sample in ds:
        want = truth[(sample.split, str(sample.path))]
        assert sample.spikes.shape == (6, c.height, c.width)
        np.testing.assert_array_equal(sample.spikes.unpack(), want["spikes"])
        assert sample.spikes.fps == c.fps
        if c.right:
            np.testing.assert_array_equal(sample.right.unpack(), want["right"])
        assert set(sample.gt) == set(c.gt)
        for k, v in want["gt"].items():
            if c.gt[k].kind == "disparity":
                v = (289.740625 * 0.08 / v).astype(np.float32)
            _equal(sample.gt[k], v)


def test_default_root_and_split(tmp_path, monkeypatch):
    c = svd.card("REDS_BASE")
    write_replica(c, tmp_path / "REDS_BASE")
    monkeypatch.setenv("SPIKEVISION_DATA", str(tmp_path))
    ds = svd.load("REDS_BASE")
    assert ds.splits == ("test",) and len(ds) == 2 and all(r.split == "test" for r in ds.refs)
    with pytest.raises(SpikevisionError, match="no split 'dev'"):
        svd.load("REDS_BASE", split="dev")
    monkeypatch.delenv("SPIKEVISION_DATA")
    with pytest.raises(svd.DatasetNotFound, match="SPIKEVISION_DATA"):
        svd.load("REDS_BASE")
    with pytest.raises(svd.DatasetNotFound, match="obtain it"):
        svd.load("REDS_BASE", tmp_path / "missing")


def test_verify_reports_what_is_missing_or_damaged(tmp_path):
    c = svd.card("REDS_BASE")
    write_replica(c, tmp_path)
    (tmp_path / "test" / "gt" / "id0.png").unlink()
    bad = tmp_path / "train" / "spike" / "id1.dat"
    bad.write_bytes(bad.read_bytes()[:-7])
    rep = svd.verify("REDS_BASE", tmp_path)
    assert not rep.ok
    assert any("test/spike/id0.dat" in m and "image" in m for m in rep.missing)
    assert any("train/spike/id1.dat" in b for b in rep.bad)
    assert "INCOMPLETE" in rep.summary()
    rep = svd.verify("REDS_BASE", tmp_path / "nothing")
    assert not rep.ok and "obtain it" in rep.missing[0]


def test_verify_checks_card_checksums(tmp_path, monkeypatch):
    import shutil

    cards = tmp_path / "cards"
    cards.mkdir()
    text = Path(svd.card("REDS_BASE").path).read_text().replace('name = "REDS_BASE"', 'name = "REDS_SUMS"')
    root = tmp_path / "data"
    write_replica(svd.card("REDS_BASE"), root)
    digest = svd.sha256_file(root / "test/spike/id0.dat")
    text += f'\n[[files]]\npath = "test/spike/id0.dat"\nsha256 = "{digest}"\n'
    text += f'\n[[files]]\npath = "test/spike/id1.dat"\nsha256 = "{"0" * 64}"\n'
    (cards / "sums.toml").write_text(text)
    monkeypatch.setenv("SPIKEVISION_CARDS", str(cards))
    svd.api._cards.cache_clear()
    try:
        rep = svd.verify("REDS_SUMS", root)
        assert rep.checksums_ok == 1 and len(rep.checksums_failed) == 1 and not rep.ok
        shutil.copy(root / "test/spike/id0.dat", root / "test/spike/id1.dat")
        assert svd.verify("REDS_SUMS", root, checksums=False).ok
    finally:
        svd.api._cards.cache_clear()


def test_exr_roundtrip(tmp_path):
    from spikevision.datasets._gt import read_exr, write_exr

    d = np.random.default_rng(1).uniform(0, 50, (37, 29)).astype(np.float32)
    for lines in (0, 1, 16):
        write_exr(tmp_path / f"d{lines}.exr", d, zip_lines=lines)
        np.testing.assert_array_equal(read_exr(tmp_path / f"d{lines}.exr"), d)
    (tmp_path / "bad.exr").write_bytes(b"nope")
    with pytest.raises(FormatError, match="OpenEXR"):
        read_exr(tmp_path / "bad.exr")
