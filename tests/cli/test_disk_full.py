"""A write that fails (disk full, file-size limit, I/O error) ends with one line naming the file, the bytes
written and the free space, exit status 1, no traceback, and no temporary file left.

The child runs under ``RLIMIT_FSIZE`` with SIGXFSZ ignored, so its writes fail with EFBIG exactly as they
would on a full disk.
"""

from __future__ import annotations

import re

import pytest

import spikevision as sv

from ._run import assert_failed, leftovers, run, spikes

LIMIT = 20_000


@pytest.fixture
def src(tmp_path):
    p = tmp_path / "in.h5"
    sv.save(p, spikes(400, 32, 40, p=0.3))  # 64 kB of spikes: more than LIMIT in every format
    return p


SIM = ["--scene", "texture_motion", "--frames", "400", "--height", "32", "--width", "40"]

CASES = [
    (["convert", "{in}", "{out}"], "o.dat"),
    (["convert", "{in}", "{out}"], "o.npz"),
    (["convert", "{in}", "{out}"], "o.h5"),
    (["recon", "{in}", "{out}", "--step", "1", "--bits", "16"], "seq"),  # the limit is per file: small PNGs
    (["recon", "{in}", "{out}", "--step", "1"], "o.mp4"),
    (["recon", "{in}", "{out}", "--step", "1"], "o.h5"),
    (["simulate", "{out}", *SIM], "o.dat"),
    (["simulate", "{out}", *SIM], "o.h5"),
]


@pytest.mark.parametrize("argv,name", CASES, ids=[f"{a[0]}-{n}" for a, n in CASES])
def test_full_disk_fails_cleanly(tmp_path, src, argv, name):
    out = tmp_path / name
    limit = 1000 if name == "seq" else LIMIT
    r = run(*[a.format(**{"in": src, "out": out}) for a in argv], fsize=limit)
    err = assert_failed(r, f"cannot write {out}:", "file too large", "free on", "nothing was written")
    written = int(re.search(r"after ([\d,]+) bytes", err).group(1).replace(",", ""))
    assert 0 < written <= (LIMIT if name != "seq" else 400 * limit)
    assert not out.exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize("name", ["c.dat", "c.h5"])
def test_full_disk_while_capturing_keeps_the_committed_frames(tmp_path, name):
    out = tmp_path / name
    limit = LIMIT if name.endswith(".dat") else 400_000  # an .h5 recording preallocates ~190 kB at creation
    r = run("capture", "sim://?speed=max&height=32&width=40", out, "--frames", "4000", fsize=limit)
    assert_failed(r, f"cannot write {out}:", "file too large", "free on", "committed before are kept")
    assert out.exists() and leftovers(tmp_path) == []


def test_overwrite_that_fails_keeps_the_old_output(tmp_path, src):
    out = tmp_path / "o.dat"
    out.write_bytes(b"old")
    assert_failed(run("convert", src, out, "--overwrite", fsize=LIMIT), "file too large")
    assert out.read_bytes() == b"old" and leftovers(tmp_path) == []
