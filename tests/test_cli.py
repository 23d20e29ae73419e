"""The spikevision command: info and convert, success and error paths."""

import json
import subprocess
import sys

import pytest

import spikevision as sv
from spikevision.cli import main
from tests.conftest import random_spikes


@pytest.fixture
def dat_file(tmp_path, rng):
    x = random_spikes(rng, 41, 250, 400, p=0.25)
    p = tmp_path / "in.dat"
    sv.save(p, x)
    return p, x


def test_info_text_and_json(dat_file, capsys):
    p, x = dat_file
    assert main(["info", str(p)]) == 0
    out = capsys.readouterr().out
    assert "41 x 250 x 400" in out and "vidar" in out and "sidecar" in out  # sv.save wrote in.dat.json
    p.with_name("in.dat.json").unlink()
    assert main(["info", str(p)]) == 0
    out = capsys.readouterr().out
    assert "41 x 250 x 400" in out and "vidar" in out and "inferred" in out
    assert main(["info", str(p), "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["frames"] == 41 and facts["fps"] == 20000 and facts["format"] == "dat"
    assert facts["duration_s"] == pytest.approx(41 / 20000)
    assert facts["mean_firing_rate"] == pytest.approx(x.mean())
    assert facts["warnings"] == []


def test_info_reports_trailing_bytes_and_head_columns(tmp_path, rng, capsys):
    x = random_spikes(rng, 3, 250, 400)
    p = tmp_path / "h.dat"
    sv.save(p, x, head_columns=16)
    with open(p, "ab") as f:
        f.write(b"\0" * 7)
    assert main(["info", str(p), "--height", "250", "--width", "400", "--head-columns", "16", "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["details"]["head_columns"] == 16
    assert any("7 trailing bytes" in w for w in facts["warnings"])
    assert main(["info", str(p), "--height", "250", "--width", "400", "--head-columns", "16"]) == 0
    assert "head columns  16" in capsys.readouterr().out


@pytest.mark.parametrize("args,expected", [
    (["--start", "5", "--stop", "20"], slice(5, 20)),
    (["--time-start", "0.0005", "--time-stop", "0.001"], slice(10, 20)),
    (["--step", "4"], slice(None, None, 4)),
])
def test_convert_ranges(dat_file, tmp_path, args, expected):
    p, x = dat_file
    out = tmp_path / "out.dat"
    assert main(["convert", str(p), str(out), *args]) == 0
    t = len(x[expected])
    assert (sv.open(out, height=250, width=400).unpack() == x[expected]).all() and t > 0


def test_convert_dat_layouts(dat_file, tmp_path):
    p, x = dat_file
    out = tmp_path / "noflip.dat"
    assert main(["convert", str(p), str(out), "--out-no-flip", "--out-head-columns", "16",
                 "--out-frame-header-bytes", "16"]) == 0
    back = sv.open(out, height=250, width=400, flip=False, head_columns=16, frame_header_bytes=16)
    assert (back.unpack() == x).all()


@pytest.mark.parametrize("argv,message", [
    (["convert", "{p}", "{d}/missing/out.dat"], "does not exist"),
    (["convert", "{p}", "{d}/out.dat", "--start", "100"], "outside"),
    (["convert", "{p}", "{d}/out.xyz"], "unknown extension"),
    (["info", "{d}/nope.dat"], "no such file"),
    (["info", "{p}", "--height", "251", "--width", "400"], "not a multiple"),
])
def test_errors_print_one_line_and_write_nothing(dat_file, tmp_path, capsys, argv, message):
    p, _ = dat_file
    before = sorted(tmp_path.rglob("*"))
    argv = [a.format(p=p, d=tmp_path) for a in argv]
    if "251" in argv:
        argv.append("--strict")
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("spikevision: error:") and message in err and "\n" not in err
    assert sorted(tmp_path.rglob("*")) == before


def test_console_script_runs(dat_file):
    p, _ = dat_file
    r = subprocess.run([sys.executable, "-m", "spikevision.cli", "info", str(p), "--no-stats"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "250 x 400" in r.stdout
    r = subprocess.run([sys.executable, "-m", "spikevision.cli", "info", str(p) + ".missing"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and r.stderr.count("\n") == 1
    r = subprocess.run([sys.executable, "-m", "spikevision", "info", str(p), "--no-stats"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "250 x 400" in r.stdout


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "convert" in capsys.readouterr().out
