"""Every command that writes: refuses an existing output without --overwrite, never destroys its input,
prints one line, follows the umask, and keeps files it did not write."""

from __future__ import annotations

import hashlib
import json
import os
import stat

import numpy as np
import pytest

import spikevision as sv
from spikevision.io._atomic import MANIFEST

from ._run import assert_done, assert_failed, leftovers, run, spikes

SIM = ["--scene", "texture_motion", "--frames", "20", "--height", "16", "--width", "24"]


@pytest.fixture
def h5_in(tmp_path):
    p = tmp_path / "in.h5"
    sv.save(p, spikes())
    return p


@pytest.fixture
def dat_in(tmp_path):
    p = tmp_path / "in.dat"
    sv.save(p, spikes())
    return p


def _sha(p) -> str:
    return hashlib.sha256(open(p, "rb").read()).hexdigest()


# (argv with {in} and {out}, output name, output is a folder)
WRITERS = [
    (["convert", "{in}", "{out}"], "o.dat", False),
    (["convert", "{in}", "{out}"], "o.h5", False),
    (["convert", "{in}", "{out}"], "o.npz", False),
    (["recon", "{in}", "{out}"], "o", True),
    (["recon", "{in}", "{out}"], "o.mp4", False),
    (["recon", "{in}", "{out}"], "o.h5", False),
    (["simulate", "{out}", *SIM], "o.h5", False),
    (["simulate", "{out}", *SIM], "o.dat", False),
    (["capture", "sim://?speed=max&height=16&width=24", "{out}", "--frames", "100"], "o.h5", False),
    (["capture", "replay://{in}?speed=max", "{out}"], "o.dat", False),
]


@pytest.mark.parametrize("argv,name,folder", WRITERS, ids=[f"{a[0]}-{n}-{a[1][:6]}" for a, n, _ in WRITERS])
def test_existing_output_is_refused_without_overwrite(tmp_path, h5_in, argv, name, folder):
    out = tmp_path / name
    if folder:
        out.mkdir()
        (out / "keep.txt").write_text("mine")
    else:
        out.write_bytes(b"keep")
    args = [a.format(**{"in": h5_in, "out": out}) for a in argv]
    assert_failed(run(*args), f"{out} already exists", "--overwrite")
    if folder:
        assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    else:
        assert out.read_bytes() == b"keep"
    line = assert_done(run(*args, "--overwrite"), "wrote ", str(out))
    assert leftovers(tmp_path) == []
    if folder:
        assert (out / "keep.txt").read_text() == "mine"  # a file spikevision did not write is never touched
        assert len(list(out.glob("*.png"))) == 2
    elif name.endswith((".h5", ".dat", ".npz")) and argv[0] != "recon":
        opts = {"height": 16, "width": 24} if name.endswith(".dat") else {}
        n = len(sv.open(out, **opts))
        assert f"{n:,} frames" in line and n > 0
    # --quiet: nothing on stdout; --json: the summary
    r = run(*args, "--overwrite", "--quiet")
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""
    r = run(*args, "--overwrite", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["output"] == str(out)


def test_view_screenshot_and_benchmark_data_refuse_existing_outputs(tmp_path, h5_in):
    shot = tmp_path / "shot.png"
    shot.write_bytes(b"keep")
    assert_failed(run("view", h5_in, "--screenshot", shot), "already exists", "--overwrite")
    assert shot.read_bytes() == b"keep"
    bench = tmp_path / "bench"
    args = ["benchmark-data", bench, "--frames", "20", "--height", "16", "--width", "24", "--task", "recon"]
    assert_done(run(*args), "wrote 1 scenes", str(bench))
    assert_failed(run(*args), "already exists", "--overwrite")
    assert_done(run(*args, "--overwrite"), "wrote 1 scenes")
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert_failed(run("benchmark-data", other, "--overwrite", *args[2:]), "no benchmark")
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]


def test_python_m_spikevision_is_the_command(tmp_path, h5_in):
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("spikevision ")
    r = run("--help")
    assert r.returncode == 0 and "exit status: 0 done; 1 failed" in r.stdout and "2 usage error" in r.stdout
    r = run("convert", "--help")
    assert "exit status: 0 done" in r.stdout and "--overwrite" in r.stdout and "--quiet" in r.stdout
    r = run()
    assert r.returncode == 2 and "COMMAND" in r.stdout


@pytest.mark.parametrize("spelling", ["same", "symlink", "hardlink", "dotted"])
def test_output_that_is_the_input_is_refused(tmp_path, dat_in, spelling):
    (tmp_path / "sub").mkdir()
    if spelling == "same":
        out = dat_in
    elif spelling == "symlink":
        out = tmp_path / "link.dat"
        out.symlink_to(dat_in)
    elif spelling == "hardlink":
        out = tmp_path / "hard.dat"
        os.link(dat_in, out)
    else:
        out = tmp_path / "sub" / ".." / "in.dat"
    before = _sha(dat_in)
    read = ["--height", "16", "--width", "24"]
    # the measured case: a range that would have replaced the input with a shorter file
    assert_failed(run("convert", dat_in, out, "--start", "10", "--overwrite", *read), "same file as the input")
    url = f"replay://{dat_in}?speed=max&height=16&width=24"
    assert_failed(run("capture", url, out, "--overwrite"), "same file as the input")
    assert _sha(dat_in) == before and leftovers(tmp_path) == []


def test_recon_and_capture_never_replace_their_input(tmp_path, h5_in):
    before = _sha(h5_in)
    assert_failed(run("recon", h5_in, h5_in, "--overwrite"), "same file as the input")
    assert_failed(run("capture", f"replay://{h5_in}?speed=max", h5_in, "--overwrite"), "same file as the input")
    # a relative replay:// URL names a file relative to the working directory
    assert_failed(run("capture", "replay://in.h5?speed=max", "in.h5", "--overwrite", cwd=tmp_path),
                  "same file as the input")
    assert _sha(h5_in) == before


def test_symlink_at_the_output_is_replaced_not_written_through(tmp_path, h5_in):
    target = tmp_path / "precious.bin"
    target.write_bytes(b"precious")
    for name, cmd in (("o.dat", ["convert", h5_in]), ("o.h5", ["recon", h5_in]),
                      ("c.h5", ["capture", f"replay://{h5_in}?speed=max"])):
        link = tmp_path / name
        link.symlink_to(target)
        assert_done(run(*cmd, link, "--overwrite"))
        assert target.read_bytes() == b"precious"
        assert link.is_file() and not link.is_symlink()


def test_png_folder_manifest_replaces_only_what_spikevision_wrote(tmp_path, h5_in):
    out = tmp_path / "seq"
    assert_done(run("recon", h5_in, out, "--step", "10"), "wrote 6 images", f"{out}/")
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["files"] == [f"{i:06d}.png" for i in range(0, 60, 10)]
    (out / "notes.txt").write_text("mine")
    (out / "sub").mkdir()
    assert_failed(run("recon", h5_in, out, "--step", "25"), "already exists")
    assert_done(run("recon", h5_in, out, "--step", "25", "--overwrite"), "wrote 3 images")
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([MANIFEST, "000000.png", "000025.png", "000050.png", "notes.txt", "sub"])
    assert json.loads((out / MANIFEST).read_text())["files"] == ["000000.png", "000025.png", "000050.png"]
    # a folder spikevision did not write: its files are kept, and a name it would need is refused
    other = tmp_path / "photos"
    other.mkdir()
    (other / "000000.png").write_bytes(b"my photo")
    (other / "a.txt").write_text("a")
    assert_failed(run("recon", h5_in, other, "--overwrite"), "000000.png", "did not write")
    assert sorted(p.name for p in other.iterdir()) == ["000000.png", "a.txt"]
    assert (other / "000000.png").read_bytes() == b"my photo" and leftovers(tmp_path) == []
    (other / "000000.png").unlink()
    assert_done(run("recon", h5_in, other, "--overwrite", "--step", "30"), "wrote 2 images")
    assert sorted(p.name for p in other.iterdir()) == [MANIFEST, "000000.png", "000030.png", "a.txt"]


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_new_files_and_folders_follow_the_umask(tmp_path, h5_in, umask):
    def mode(p):
        return stat.S_IMODE(os.stat(p).st_mode)

    assert_done(run("convert", h5_in, tmp_path / "o.dat", umask=umask))
    assert_done(run("recon", h5_in, tmp_path / "seq", umask=umask))
    assert_done(run("recon", h5_in, tmp_path / "o.mp4", umask=umask))
    assert_done(run("simulate", tmp_path / "s.h5", *SIM, umask=umask))
    assert mode(tmp_path / "o.dat") == 0o666 & ~umask
    assert mode(tmp_path / "seq") == 0o777 & ~umask
    assert {mode(p) for p in (tmp_path / "seq").iterdir()} == {0o666 & ~umask}
    assert mode(tmp_path / "o.mp4") == 0o666 & ~umask
    assert mode(tmp_path / "s.h5") == 0o666 & ~umask


def test_two_outputs_may_not_be_one_file(tmp_path):
    out = tmp_path / "o.h5"
    assert_failed(run("simulate", out, *SIM, "--modulo", out), "two outputs")
    assert not out.exists()


def test_capture_summary_reports_the_recording_rate(tmp_path):
    r = run("capture", "sim://?speed=max&height=16&width=24", tmp_path / "c.h5", "--frames", "20000", "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["frames"] == 20000 and len(sv.open(tmp_path / "c.h5")) == 20000
    busy = s["elapsed_s"] - s["compile_s"]
    assert s["frames_per_s"] == pytest.approx(20000 / busy, rel=1e-6)
    # kernels compiled by now: the rate is frames / seconds (the old summary showed the camera's rate, 7x this)
    line = assert_done(run("capture", "sim://?speed=max&height=16&width=24", tmp_path / "d.h5", "--frames", "4000"),
                       "wrote 4,000 frames (h5)")
    secs = float(line.split(" in ")[1].split(" s ")[0])
    rate = float(line.split(" s (")[1].split(" frames/s")[0].replace(",", ""))
    assert rate * secs == pytest.approx(4000, rel=0.05)


def test_recon_images_for_people_use_auto_exposure(tmp_path):
    import cv2
    import h5py

    from spikevision.recon import auto_rate

    lowlight = tmp_path / "lowlight.npz"
    # a dim scene: every pixel fires regularly, once every 25..40 frames
    r, c = np.mgrid[:32, :40]
    period = 25 + (r * 40 + c) % 16
    phase = (r * 7 + c * 3) % period
    x = (((np.arange(200)[:, None, None] + phase) % period) == 0).astype(np.uint8)
    sv.save(lowlight, x)
    assert_done(run("recon", lowlight, tmp_path / "seq", "--method", "best"), "auto exposure")
    imgs = [cv2.imread(str(p), cv2.IMREAD_UNCHANGED) for p in sorted((tmp_path / "seq").glob("*.png"))]
    assert np.stack(imgs).mean() >= 120  # was nearly black
    assert_done(run("recon", lowlight, tmp_path / "dark", "--method", "best", "--rate", "1"), "white = 1 ")
    dark = [cv2.imread(str(p), cv2.IMREAD_UNCHANGED) for p in sorted((tmp_path / "dark").glob("*.png"))]
    assert np.stack(dark).mean() < 20
    # HDF5 stacks keep the physical scale unless asked, and record the scale
    assert_done(run("recon", lowlight, tmp_path / "phys.h5"), "white = 1 spike/frame")
    assert_done(run("recon", lowlight, tmp_path / "auto.h5", "--rate", "auto"))
    with h5py.File(tmp_path / "phys.h5") as f:
        assert f.attrs["rate"] == 1.0 and f.attrs["exposure"] == "physical"
        phys = f["images"][:]
    with h5py.File(tmp_path / "auto.h5") as f:
        rate = auto_rate(sv.open(lowlight), 0, 200)
        assert f.attrs["rate"] == pytest.approx(rate) and f.attrs["exposure"] == "auto"
        auto = f["images"][:]
    unclipped = auto < 0.999
    assert unclipped.mean() > 0.2
    np.testing.assert_allclose(auto[unclipped] * rate, phys[unclipped], rtol=1e-4, atol=1e-6)


def test_capture_that_records_nothing_keeps_the_old_output(tmp_path, h5_in):
    out = tmp_path / "rec.h5"
    out.write_bytes(b"old recording")
    # the camera cannot start (the replayed file is not a spike file): --overwrite must not lose the old file
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5")
    assert_failed(run("capture", f"replay://{bad}?speed=max", out, "--overwrite"))
    assert out.read_bytes() == b"old recording" and leftovers(tmp_path) == []
    assert_done(run("capture", f"replay://{h5_in}?speed=max", out, "--overwrite"), "wrote 60 frames")
    assert len(sv.open(out)) == 60 and leftovers(tmp_path) == []
