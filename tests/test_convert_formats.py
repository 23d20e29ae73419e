"""`spikevision convert` between every spike format, checked bit-exactly."""

import itertools

import numpy as np
import pytest

import spikevision as sv
from spikevision.cli import main
from tests.conftest import random_spikes

FORMATS = ["dat", "h5", "npz"]


@pytest.mark.parametrize("src,dst", list(itertools.permutations(FORMATS, 2)))
def test_convert_between_formats(tmp_path, rng, src, dst):
    x = random_spikes(rng, 21, 16, 24, p=0.3)
    a = tmp_path / f"a.{src}"
    b = tmp_path / f"b.{dst}"
    sv.save(a, sv.from_array(x, fps=40000))
    opts = ["--height", "16", "--width", "24"] if src == "dat" else []
    assert main(["convert", str(a), str(b), *opts]) == 0
    back = sv.open(b, **({"height": 16, "width": 24} if dst == "dat" else {}))
    assert (back.unpack() == x).all()


@pytest.mark.parametrize("via", ["h5", "dat", "npz"])
def test_raw_line_packets_round_trip_through_other_formats(tmp_path, rng, via):
    x = random_spikes(rng, 2, 1000, 1000, p=0.1)
    raw = tmp_path / "a.raw"
    sv.save(raw, x)
    mid = tmp_path / f"b.{via}"
    assert main(["convert", str(raw), str(mid)]) == 0
    back = tmp_path / "c.raw"
    size = ["--height", "1000", "--width", "1000"] if via == "dat" else []
    assert main(["convert", str(mid), str(back), *size]) == 0
    assert raw.read_bytes() == back.read_bytes()


def test_uhsr_size_cannot_become_dat(tmp_path, rng, capsys):
    x = random_spikes(rng, 5, 250, 250)
    a = tmp_path / "u.npz"
    sv.save(a, x)
    assert main(["convert", str(a), str(tmp_path / "u.dat")]) == 1
    assert "divisible by 8" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["u.npz"]
    assert main(["convert", str(a), str(tmp_path / "u.h5")]) == 0
    assert (sv.open(tmp_path / "u.h5").unpack() == x).all()


def test_content_detection_overrides_a_wrong_extension(tmp_path, rng):
    x = random_spikes(rng, 3, 8, 16)
    sv.save(tmp_path / "real.h5", x)
    (tmp_path / "real.h5").rename(tmp_path / "misnamed.dat")
    assert (sv.open(tmp_path / "misnamed.dat").unpack() == x).all()
    assert np.array_equal(sv.open(tmp_path / "misnamed.dat").firing_rate(), x.mean(0))
