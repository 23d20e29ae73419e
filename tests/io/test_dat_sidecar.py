""".dat sidecar (rec.dat.json), outputs never written through symlinks, files that are not regular, bad options."""

from __future__ import annotations

import json
import os
import threading
import warnings

import numpy as np
import pytest

import spikevision as sv
from spikevision.errors import FormatError, OutputError, SpikevisionWarning
from spikevision.io import dat
from spikevision.io._dat_sidecar import FORMAT, VERSION
from tests.conftest import random_spikes

SCHEMA = {"format", "version", "height", "width", "flip", "head_columns", "frame_header_bytes", "fps", "t0",
          "sensor", "cfa", "frames", "complete", "start_time", "camera"}


def sidecar(p) -> dict:
    return json.loads(p.with_name(p.name + ".json").read_text())


@pytest.fixture
def umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


# --- the sidecar ---------------------------------------------------------------------------------------------


def test_save_writes_a_sidecar_and_open_restores_everything(tmp_path, rng):
    x = random_spikes(rng, 5, 24, 40)  # a size no layout table knows
    s = sv.from_array(x, fps=40000, t0=1.25, sensor="lab", cfa="bggr")
    p = tmp_path / "odd.dat"
    sv.save(p, s, flip=False, head_columns=8, frame_header_bytes=16)
    meta = sidecar(p)
    assert set(meta) == SCHEMA and meta["format"] == FORMAT and meta["version"] == VERSION
    assert (meta["height"], meta["width"], meta["head_columns"], meta["frame_header_bytes"], meta["flip"]) == (
        24, 40, 8, 16, False)
    assert (meta["frames"], meta["complete"], meta["fps"], meta["t0"]) == (5, True, 40000.0, 1.25)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = sv.open(p)
    assert r.shape == (5, 24, 40) and (r.unpack() == x).all()
    assert (r.fps, r.t0, r.meta.sensor, r.meta.cfa, r.meta.flip) == (40000, 1.25, "lab", "bggr", False)
    assert r.meta.provenance["layout_from"] == "sidecar"
    assert r.meta.provenance["sidecar"] == str(p.resolve()) + ".json"


def test_explicit_options_override_the_sidecar(tmp_path, rng):
    x = random_spikes(rng, 8, 250, 400)
    p = tmp_path / "o.dat"
    sv.save(p, sv.from_array(x, fps=40000))
    r = sv.open(p, height=500, width=800, fps=1000, flip=False)
    assert r.shape == (2, 500, 800) and r.fps == 1000 and r.meta.flip is False
    assert r.meta.provenance["layout_from"] == "options"
    assert sv.open(p, height=250, width=400).fps == 40000  # what is not given still comes from the sidecar


def test_save_without_sidecar_removes_a_stale_one(tmp_path, rng):
    p = tmp_path / "s.dat"
    sv.save(p, random_spikes(rng, 3, 8, 16))
    assert p.with_name("s.dat.json").exists()
    sv.save(p, random_spikes(rng, 41, 250, 400), sidecar=False)
    assert not p.with_name("s.dat.json").exists()
    assert sv.open(p).shape == (41, 250, 400)


def test_overwrite_replaces_the_sidecar_with_the_file(tmp_path, rng):
    p = tmp_path / "s.dat"
    sv.save(p, sv.from_array(random_spikes(rng, 3, 8, 16), fps=1000))
    sv.save(p, sv.from_array(random_spikes(rng, 2, 16, 8), fps=2000))
    assert (sidecar(p)["height"], sidecar(p)["frames"], sidecar(p)["fps"]) == (16, 2, 2000.0)
    w = dat.DatWriter(p, 8, 8, atomic=False)  # a recording over it: the old sidecar is replaced at once
    assert (sidecar(p)["height"], sidecar(p)["frames"], sidecar(p)["complete"]) == (8, 0, False)
    w.close()
    assert sidecar(p)["complete"] is True and sorted(q.name for q in tmp_path.iterdir()) == ["s.dat", "s.dat.json"]


def test_recording_updates_the_sidecar_at_every_commit(tmp_path, rng):
    x = random_spikes(rng, 9, 20, 40)
    p = tmp_path / "rec.dat"
    w = dat.DatWriter(p, 20, 40, fps=30000, sensor="sim", camera={"url": "sim://"})
    w.append(x[:4])
    assert sidecar(p)["frames"] == 0
    w.flush()
    assert (sidecar(p)["frames"], sidecar(p)["complete"]) == (4, False)
    r = sv.open(p)  # readable while recording, no options
    assert r.shape == (4, 20, 40) and r.fps == 30000 and r.meta.provenance["camera"] == {"url": "sim://"}
    w.append(x[4:])
    w.flush()
    assert sidecar(p)["frames"] == 9
    w.close()
    assert (sidecar(p)["frames"], sidecar(p)["complete"]) == (9, True)
    assert (sv.open(p).unpack() == x).all()
    assert not [q for q in tmp_path.iterdir() if q.name.endswith(".part")]


def test_killed_recording_with_a_partial_frame_opens_without_options(tmp_path, rng):
    """What a kill -9 leaves: committed frames, more written, a torn frame; the sidecar has the layout."""
    x = random_spikes(rng, 7, 20, 40)
    p = tmp_path / "rec.dat"
    w = dat.DatWriter(p, 20, 40)
    w.append(x[:5])
    w.flush()
    w.append(x[5:])
    w._file.flush()
    os.truncate(p, 6 * 100 + 37)  # 6 whole 20x40 frames and 37 bytes of the 7th
    with pytest.warns(SpikevisionWarning, match="37 trailing bytes"):
        r = sv.open(p)
    assert r.shape == (6, 20, 40) and (r.unpack() == x[:6]).all()
    w._file.close()


def test_sidecar_with_more_frames_than_the_file_warns_and_reads_what_is_there(tmp_path, rng):
    x = random_spikes(rng, 6, 20, 40)
    p = tmp_path / "c.dat"
    sv.save(p, x)
    os.truncate(p, 4 * 100)  # an interrupted copy
    with pytest.warns(SpikevisionWarning, match="records 6 committed frames but the file holds only 4"):
        r = sv.open(p)
    assert r.shape == (4, 20, 40) and (r.unpack() == x[:4]).all()


def test_sidecar_of_a_replaced_file_is_ignored(tmp_path, rng):
    """Another program rewrote clip.dat (a different size): the old sidecar no longer describes it."""
    p = tmp_path / "c.dat"
    sv.save(p, random_spikes(rng, 6, 20, 40))
    y = random_spikes(rng, 41, 250, 400)
    p.write_bytes(np.packbits(y[:, ::-1].reshape(41, -1), axis=1, bitorder="little").tobytes())
    with pytest.warns(SpikevisionWarning, match="changed after its sidecar.*ignored"):
        r = sv.open(p)
    assert r.shape == (41, 250, 400) and (r.unpack() == y).all()


BAD = {
    "not json": b"{height: 250",
    "binary": bytes(range(256)),
    "empty": b"",
    "array": b"[250, 400]",
    "foreign json": json.dumps({"height": 250, "width": 400}).encode(),
    "string height": None,  # filled below from a valid sidecar
    "negative width": None,
    "bool frames": None,
    "odd bits": None,
    "newer version": None,
    "bad fps": None,
    "bad cfa": None,
    "camera list": None,
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "huge": b" " * 70_000 + b"{}",
}
EDITS = {"string height": {"height": "250"}, "negative width": {"width": -400}, "bool frames": {"frames": True},
         "odd bits": {"height": 3, "width": 5}, "newer version": {"version": VERSION + 1},
         "bad fps": {"fps": float("inf")}, "bad cfa": {"cfa": "xyzw"}, "camera list": {"camera": [1, 2]}}


@pytest.mark.parametrize("kind", list(BAD))
def test_damaged_sidecar_is_ignored_with_a_warning(tmp_path, rng, kind):
    x = random_spikes(rng, 41, 250, 400)
    p = tmp_path / "d.dat"
    sv.save(p, x)
    sc = p.with_name("d.dat.json")
    if kind in EDITS:
        meta = json.loads(sc.read_text())
        meta.update(EDITS[kind])
        sc.write_text(json.dumps(meta))
    else:
        sc.write_bytes(BAD[kind])
    with pytest.warns(SpikevisionWarning, match=r"d\.dat\.json.*ignored"):
        r = sv.open(p)
    assert r.shape == (41, 250, 400) and (r.unpack() == x).all()
    assert r.meta.provenance["layout_from"] == "size"


@pytest.mark.parametrize("kind", ["directory", "fifo", "dangling symlink"])
def test_sidecar_that_is_not_a_file_is_ignored_without_blocking(tmp_path, rng, kind):
    x = random_spikes(rng, 41, 250, 400)
    p = tmp_path / "d.dat"
    sv.save(p, x, sidecar=False)
    sc = p.with_name("d.dat.json")
    {"directory": sc.mkdir, "fifo": lambda: os.mkfifo(sc),
     "dangling symlink": lambda: sc.symlink_to(tmp_path / "nowhere")}[kind]()
    result = {}
    t = threading.Thread(target=lambda: result.update(r=_open_catching(p)), daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), "opening blocked"
    r, caught = result["r"]
    assert r.shape == (41, 250, 400)
    assert any("ignored" in str(w.message) for w in caught)


def _open_catching(p):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        return sv.open(p), caught


def test_sidecar_that_is_a_directory_refuses_a_save(tmp_path, rng):
    p = tmp_path / "d.dat"
    (tmp_path / "d.dat.json").mkdir()
    with pytest.raises(OutputError, match="directory"):
        sv.save(p, random_spikes(rng, 2, 8, 8))
    assert not p.exists()


# --- never through a symlink -----------------------------------------------------------------------------------


@pytest.mark.parametrize("atomic", [True, False])
def test_writer_replaces_a_symlink_instead_of_writing_through_it(tmp_path, rng, atomic, umask):
    target = tmp_path / "precious.bin"
    target.write_bytes(b"keep me")
    link = tmp_path / "out.dat"
    link.symlink_to(target)
    sc_target = tmp_path / "precious.json"
    sc_target.write_text("keep me too")
    link.with_name("out.dat.json").symlink_to(sc_target)
    x = random_spikes(rng, 3, 8, 16)
    with dat.DatWriter(link, 8, 16, atomic=atomic) as w:
        w.append(x)
    assert target.read_bytes() == b"keep me" and sc_target.read_text() == "keep me too"
    assert not link.is_symlink() and not link.with_name("out.dat.json").is_symlink()
    assert (sv.open(link).unpack() == x).all()
    assert (link.stat().st_mode & 0o777) == 0o644 and (link.with_name("out.dat.json").stat().st_mode & 0o777) == 0o644


def test_in_place_writer_refuses_an_existing_symlink_without_overwrite(tmp_path):
    target = tmp_path / "t.bin"
    target.write_bytes(b"x")
    for name, points_to in (("live.dat", target), ("dangling.dat", tmp_path / "gone.bin")):
        link = tmp_path / name
        link.symlink_to(points_to)
        with pytest.raises(OutputError, match="exists"):
            dat.DatWriter(link, 8, 8, overwrite=False)
        assert link.is_symlink()
    assert target.read_bytes() == b"x" and not (tmp_path / "gone.bin").exists()
    w = dat.DatWriter(tmp_path / "dangling.dat", 8, 8, overwrite=True)  # replaced, the target is not created
    w.close()
    assert not (tmp_path / "gone.bin").exists() and not (tmp_path / "dangling.dat").is_symlink()


def test_hard_link_to_the_output_keeps_its_bytes(tmp_path, rng):
    """A hard link to the output keeps the old bytes: the output is a new file, not rewritten in place."""
    p = tmp_path / "h.dat"
    sv.save(p, random_spikes(rng, 2, 8, 8))
    old = p.read_bytes()
    os.link(p, tmp_path / "other-name.dat")
    for atomic in (True, False):
        with dat.DatWriter(p, 8, 8, atomic=atomic) as w:
            w.append(random_spikes(rng, 5, 8, 8))
        assert (tmp_path / "other-name.dat").read_bytes() == old


@pytest.mark.parametrize("mask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
@pytest.mark.parametrize("atomic", [True, False])
def test_new_files_follow_the_umask(tmp_path, rng, mask, mode, atomic):
    old = os.umask(mask)
    try:
        with dat.DatWriter(tmp_path / "u.dat", 8, 8, atomic=atomic) as w:
            w.append(random_spikes(rng, 2, 8, 8))
    finally:
        os.umask(old)
    assert (tmp_path / "u.dat").stat().st_mode & 0o777 == mode
    assert (tmp_path / "u.dat.json").stat().st_mode & 0o777 == mode


# --- not a regular file, bad options ---------------------------------------------------------------------------


@pytest.mark.timeout(30)
def test_fifo_named_dat_is_refused_at_once(tmp_path):
    f = tmp_path / "pipe.dat"
    os.mkfifo(f)
    with pytest.raises(FormatError, match="FIFO"):
        sv.open(f)
    with pytest.raises(FormatError, match="FIFO"):
        dat.read(f, height=250, width=400)


def test_device_directory_and_missing_file_are_spikevision_errors(tmp_path):
    with pytest.raises(FormatError, match="device"):
        dat.read("/dev/null")
    with pytest.raises(FormatError, match="device"):
        sv.open("/dev/zero", format="dat")
    with pytest.raises(FormatError, match="is a directory"):
        dat.read(tmp_path)
    with pytest.raises(FormatError, match="no such file"):
        dat.read(tmp_path / "missing.dat")


@pytest.mark.parametrize("opts,match", [
    ({"height": "250", "width": 400}, "height must be a whole number"),
    ({"height": 250, "width": 400.5}, "width must be a whole number"),
    ({"height": True, "width": 400}, "height must be a whole number"),
    ({"height": 0, "width": 400}, "height must be >= 1"),
    ({"head_columns": -16}, "head_columns must be >= 0"),
    ({"fps": -1}, "fps must be a positive number"),
    ({"fps": "fast"}, "fps must be a positive number"),
    ({"height": 3, "width": 5}, "divisible by 8"),
])
def test_bad_options_are_format_errors_naming_the_fix(tmp_path, opts, match):
    p = tmp_path / "o.dat"
    p.write_bytes(bytes(12500))
    with pytest.raises(FormatError, match=match) as ei:
        sv.open(p, **opts)
    assert str(p) in str(ei.value) and "pass " in str(ei.value)
