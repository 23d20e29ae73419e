"""Bad options fail when parsed, bad inputs fail at once with one line, and reported speeds leave out
kernel compilation."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

import pytest

import spikevision as sv

from ._run import assert_failed, env, leftovers, run, spikes


@pytest.fixture
def h5_in(tmp_path):
    p = tmp_path / "in.h5"
    sv.save(p, spikes())
    return p


@pytest.mark.parametrize("argv,option", [
    (["simulate", "o.h5", "--scene", "rain", "--frames", "0"], "--frames"),       # wrote 2,000 frames
    (["simulate", "o.h5", "--scene", "rain", "--height", "0"], "--height"),       # was ignored
    (["simulate", "o.h5", "--scene", "rain", "--fps", "nan"], "--fps"),
    (["simulate", "o.h5", "--scene", "rain", "--seed", "-1"], "--seed"),
    (["recon", "{in}", "seq", "--step", "0"], "--step"),                          # was ignored
    (["recon", "{in}", "seq", "--window", "-3"], "--window"),
    (["recon", "{in}", "seq", "--rate", "0"], "--rate"),
    (["recon", "{in}", "seq", "--rate", "inf"], "--rate"),
    (["recon", "{in}", "seq", "--video-fps", "0"], "--video-fps"),
    (["info", "{in}", "--head-columns", "-1"], "--head-columns"),                 # a raw NumPy error
    (["info", "{in}", "--fps", "-20000"], "--fps"),
    (["info", "{in}", "--height", "abc"], "--height"),
    (["convert", "{in}", "o.dat", "--start", "1.5"], "--start"),
    (["convert", "{in}", "o.dat", "--time-stop", "nan"], "--time-stop"),
    (["convert", "{in}", "o.dat", "--out-head-columns", "-16"], "--out-head-columns"),
    (["capture", "sim://", "o.h5", "--duration", "nan"], "--duration"),           # left a 0-frame file
    (["capture", "sim://", "o.h5", "--duration", "-1"], "--duration"),
    (["capture", "sim://", "o.h5", "--frames", "0"], "--frames"),
    (["benchmark-data", "b", "--frames", "0"], "--frames"),
])
def test_numeric_options_are_checked_when_parsed(tmp_path, h5_in, argv, option):
    r = run(*[a.format(**{"in": h5_in}) for a in argv], cwd=tmp_path, timeout=60)
    err = assert_failed(r, f"argument {option}: ", code=2)
    assert "usage: spikevision" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.h5"]  # nothing written


def test_ranges_are_checked_against_the_file(tmp_path, h5_in):
    assert_failed(run("convert", h5_in, tmp_path / "o.h5", "--start", "100"), "--start 100", "60 frames")
    assert_failed(run("convert", h5_in, tmp_path / "o.h5", "--start", "-61"), "--start -61", "60 frames")
    assert_failed(run("convert", h5_in, tmp_path / "o.h5", "--time-start", "1"), "past the end", "0.003 s")
    assert_failed(run("convert", h5_in, tmp_path / "o.h5", "--start", "20", "--stop", "10"), "must come after")
    assert_failed(run("recon", h5_in, tmp_path / "seq", "--start", "100"), "no images", "60 frames")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.h5"]


def test_fifo_device_and_folder_inputs_are_refused_at_once(tmp_path, h5_in):
    fifo = tmp_path / "pipe.dat"
    os.mkfifo(fifo)
    # nobody writes to the FIFO: opening it would block forever (the timeout turns a regression into a failure)
    assert_failed(run("info", fifo, timeout=60), "FIFO", "regular file")
    assert_failed(run("convert", fifo, tmp_path / "o.h5", timeout=60), "FIFO")
    assert_failed(run("recon", fifo, tmp_path / "seq", timeout=60), "FIFO")
    assert_failed(run("capture", f"replay://{fifo}?speed=max", tmp_path / "c.h5", timeout=60), "FIFO")
    assert_failed(run("simulate", tmp_path / "s.h5", "--image", fifo, timeout=60), "FIFO")
    assert_failed(run("info", "/dev/null", "--format", "dat", timeout=60), "character device")
    assert_failed(run("info", tmp_path, timeout=60), "is a directory")
    # and as an output
    assert_failed(run("convert", h5_in, fifo, "--overwrite", timeout=60), "FIFO")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.h5", "pipe.dat"]


def test_no_traceback_for_bad_input_unless_verbose(tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    assert_failed(run("info", bad), "bad.h5")
    r = run("-v", "info", bad)
    assert r.returncode == 1 and "Traceback" in r.stderr and r.stderr.rstrip().splitlines()[-1].startswith(
        "spikevision: error:")
    r = run("info", bad, "-v")  # -v after the command too
    assert r.returncode == 1 and "Traceback" in r.stderr


def test_info_describes_row_order_only_where_it_means_something(tmp_path, h5_in):
    out = assert_done_lines(run("info", h5_in, "--no-stats"))
    assert "bottom-up" not in out and "row order" not in out
    dat = tmp_path / "in.dat"
    sv.save(dat, spikes())
    out = assert_done_lines(run("info", dat, "--no-stats", "--height", "16", "--width", "24"))
    assert "row order     bottom-up (flipped on read)" in out
    out = assert_done_lines(run("info", dat, "--no-stats", "--height", "16", "--width", "24", "--no-flip"))
    assert "row order     top-down" in out


def assert_done_lines(r) -> str:
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    return r.stdout


def test_info_scan_speed_leaves_out_compilation(tmp_path):
    """A cold kernel cache (compile time counted) reported a small fraction of the warm speed."""
    p = tmp_path / "big.h5"
    sv.save(p, spikes(4000, 64, 80, p=0.3), compression=None)
    cold = tmp_path / "numba-cache"
    cold.mkdir()
    speeds = []
    for cache in (cold, cold):  # first run compiles into an empty cache, the second loads it
        r = run("info", p, "--json", extra_env={"NUMBA_CACHE_DIR": str(cache)})
        assert r.returncode == 0, r.stderr
        speeds.append(json.loads(r.stdout)["stats_throughput_frames_per_s"])
    assert speeds[0] > speeds[1] / 3, speeds


def _run_on_terminal(args, extra_env) -> tuple[int, str, str]:
    """Run with stderr on a pseudo-terminal; return (status, stdout, what the terminal showed)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "spikevision", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=slave, env=env(**extra_env))
    os.close(slave)
    try:
        out, _ = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.returncode, out.decode(), b"".join(chunks).decode(errors="replace")


def test_first_compile_prints_a_notice_on_a_terminal_only(tmp_path, h5_in):
    cache = tmp_path / "numba-cache"
    cache.mkdir()
    code, out, term = _run_on_terminal(["recon", h5_in, tmp_path / "a.h5", "--method", "tfp"],
                                       {"NUMBA_CACHE_DIR": str(cache)})
    assert code == 0 and "wrote" in out
    assert term.count("compiling kernels (first run only)") == 1, term
    # warm cache: nothing to say
    code, out, term = _run_on_terminal(["recon", h5_in, tmp_path / "b.h5", "--method", "tfp"],
                                       {"NUMBA_CACHE_DIR": str(cache)})
    assert code == 0 and "compiling" not in term
    # not a terminal, or --quiet: no notice either
    other = tmp_path / "other-cache"
    other.mkdir()
    r = run("recon", h5_in, tmp_path / "c.h5", "--method", "tfp", extra_env={"NUMBA_CACHE_DIR": str(other)})
    assert r.returncode == 0 and "compiling" not in r.stderr
    code, out, term = _run_on_terminal(["recon", h5_in, tmp_path / "d.h5", "--method", "tfi", "--quiet"],
                                       {"NUMBA_CACHE_DIR": str(tmp_path)})
    assert code == 0 and out == "" and "compiling" not in term
    assert leftovers(tmp_path) == []
