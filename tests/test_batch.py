"""batch.run over real files: serial, process pool and Dask (LocalCluster and CLI-started workers) agree
bit for bit; resume skips finished files; failures are reported; a killed worker is retried; Ctrl-C is clean."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

import spikevision as sv
from spikevision import batch
from spikevision.batch import register_step
from spikevision.recon import reconstruct_sequence
from tests.batch_steps import die_once, interrupt_on

REPO = Path(__file__).resolve().parents[1]
PIPE = "recon:tfp:step=20:window=21,info"


def _data(root: Path, n: int = 4, t: int = 120) -> list[Path]:
    rng = np.random.default_rng(7)
    paths = []
    for k in range(n):
        p = root / ("a" if k % 2 else "b") / f"rec{k}.dat"
        p.parent.mkdir(parents=True, exist_ok=True)
        sv.save(p, (rng.random((t, 32, 48)) < 0.1 + 0.05 * k).astype(np.uint8))
        paths.append(p)
    return paths


def _contents(path: Path) -> dict:
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()]
            for k, v in obj.attrs.items():
                out[f"{name}@{k}"] = v
        f.visititems(visit)
    return out


def _same_outputs(a: Path, b: Path) -> None:
    fa = sorted(p.relative_to(a) for p in a.rglob("*.h5"))
    assert fa == sorted(p.relative_to(b) for p in b.rglob("*.h5")) and fa
    for rel in fa:
        ca, cb = _contents(a / rel), _contents(b / rel)
        assert ca.keys() == cb.keys()
        for k in ca:
            np.testing.assert_array_equal(ca[k], cb[k], err_msg=f"{rel}:{k}")


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    paths = _data(root / "data")
    rep = batch.run(str(root / "data" / "**" / "*.dat"), PIPE, root / "serial")
    return root, paths, rep


def test_serial_outputs(serial):
    root, paths, rep = serial
    assert rep.ok and rep.count("done") == 4
    out = root / "serial" / "a" / "rec1.dat.h5"
    with h5py.File(out, "r") as f:
        want = reconstruct_sequence(sv.open(paths[1]), "tfp", step=20, window=21)
        np.testing.assert_array_equal(f["recon/images"][()], want)
        np.testing.assert_array_equal(f["recon/frames"][()], np.arange(0, 120, 20))
        assert f["info"].attrs["frames"] == 120
        np.testing.assert_allclose(f["info/firing_rate"][()], sv.open(paths[1]).firing_rate(), rtol=1e-6)
        assert f.attrs["input_sha256"] == sv.datasets.sha256_file(paths[1])
    report = json.loads((root / "serial" / batch.REPORT_NAME).read_text())
    assert report["done"] == 4 and report["failed"] == 0


def test_resume_skips_finished_and_redoes_changed(serial, tmp_path):
    root, paths, _ = serial
    out = tmp_path / "out"
    shutil.copytree(root / "serial", out)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.h5")}
    rep = batch.run(str(root / "data" / "**" / "*.dat"), PIPE, out)
    assert rep.count("skipped") == 4 and rep.count("done") == 0
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.h5")} == before
    rep = batch.run(str(root / "data" / "**" / "*.dat"), "recon:tfp:step=40:window=21,info", out)
    assert rep.count("done") == 4  # another pipeline: recomputed


def test_failures_are_reported_and_the_run_goes_on(tmp_path):
    paths = _data(tmp_path / "d", n=2)
    (tmp_path / "d" / "a" / "broken.dat").write_bytes(b"\x01\x02\x03")
    rep = batch.run(tmp_path / "d", "info", tmp_path / "o")
    assert rep.count("done") == 2 and rep.count("failed") == 1 and not rep.ok
    bad = next(r for r in rep.results if r.status == "failed")
    assert "broken.dat" in bad.input and "FormatError" in bad.error
    assert "broken.dat" in rep.table() and "1 failed" in rep.table()
    assert not (tmp_path / "o" / "a" / "broken.dat.h5").exists()
    assert json.loads((tmp_path / "o" / batch.REPORT_NAME).read_text())["failed"] == 1
    assert len(paths) == 2


def test_bad_arguments(tmp_path):
    with pytest.raises(sv.SpikevisionError, match="no input files"):
        batch.run(str(tmp_path / "*.dat"), "info", tmp_path / "o")
    _data(tmp_path / "d", n=1)
    with pytest.raises(batch.PipelineError, match="unknown pipeline step 'nope'"):
        batch.run(tmp_path / "d", "nope", tmp_path / "o")
    with pytest.raises(sv.SpikevisionError, match="unknown executor"):
        batch.run(tmp_path / "d", "info", tmp_path / "o", executor="threads")


def test_interrupt_leaves_no_partial_output(tmp_path):
    _data(tmp_path / "d", n=3)
    register_step("interrupt_on", interrupt_on, primary="name")
    with pytest.raises(KeyboardInterrupt):
        batch.run(sorted((tmp_path / "d").rglob("*.dat")), "interrupt_on:rec2.dat", tmp_path / "o")
    rep = json.loads((tmp_path / "o" / batch.REPORT_NAME).read_text())
    assert rep["interrupted"] and rep["done"] == 2
    assert [r["status"] for r in rep["results"]].count("interrupted") == 1
    assert not [p for p in (tmp_path / "o").rglob("*") if ".part" in p.name or p.name.startswith(".")]


def test_process_pool_equals_serial(serial, tmp_path):
    root, _, _ = serial
    rep = batch.run(str(root / "data" / "**" / "*.dat"), PIPE, tmp_path / "p", executor="process", workers=2)
    assert rep.ok and rep.count("done") == 4
    _same_outputs(root / "serial", tmp_path / "p")


@pytest.fixture
def distributed():
    return pytest.importorskip("distributed")


def test_dask_local_cluster_equals_serial(serial, tmp_path, distributed):
    root, _, _ = serial
    rep = batch.run(str(root / "data" / "**" / "*.dat"), PIPE, tmp_path / "k", executor="dask", workers=2)
    assert rep.ok and rep.count("done") == 4
    assert len({r.worker for r in rep.results}) >= 1
    _same_outputs(root / "serial", tmp_path / "k")


def test_dask_killed_worker_is_retried(tmp_path, distributed):
    _data(tmp_path / "d", n=2)
    register_step("die_once", die_once, primary="marker")
    marker = tmp_path / "died"
    rep = batch.run(tmp_path / "d", [("die_once", {"marker": str(marker)})], tmp_path / "o", executor="dask",
                    workers=2)
    assert marker.exists()  # a worker was killed mid-run
    assert rep.ok and rep.count("done") == 2
    for p in (tmp_path / "o").rglob("*.h5"):
        with h5py.File(p) as f:
            assert f["die_once"].attrs["total"] > 0


def _wait_for(path: Path, seconds: float = 60) -> None:
    end = time.time() + seconds
    while not path.exists():
        if time.time() > end:
            raise TimeoutError(f"{path} did not appear")
        time.sleep(0.2)


def test_dask_cli_scheduler_and_workers_equal_serial(serial, tmp_path, distributed):
    root, _, _ = serial
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    sched_file = tmp_path / "scheduler.json"
    procs = [subprocess.Popen(dask + ["--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file",
                                      str(sched_file)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        _wait_for(sched_file)
        for _ in range(2):
            procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file",
                                           str(sched_file), "--nthreads", "1", "--no-dashboard", "--host",
                                           "127.0.0.1"], env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        address = json.loads(sched_file.read_text())["address"]
        from distributed import Client

        with Client(address, timeout="60s") as c:
            c.wait_for_workers(2, timeout=120)
        out = tmp_path / "cli"
        cmd = [sys.executable, "-m", "spikevision", "batch", str(root / "data" / "**" / "*.dat"), "--pipeline", PIPE,
               "--out", str(out), "--scheduler", address, "--json"]
        res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stderr
        summary = json.loads(res.stdout)
        assert summary["done"] == 4 and summary["executor"] == "dask"
        assert len({r["worker"] for r in summary["results"]}) == 2  # both CLI workers took recordings
        _same_outputs(root / "serial", out)
    finally:
        for p in procs[::-1]:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()


def test_to_dask_and_chunked_reconstruction(tmp_path, distributed):
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(3)
    x = (rng.random((700, 16, 24)) < 0.2).astype(np.uint8)
    sv.save(tmp_path / "long.dat", x)
    s = sv.open(tmp_path / "long.dat")
    arr = s.to_dask(chunk_frames=128)
    assert isinstance(arr, da.Array) and arr.shape == x.shape and arr.chunks[0][0] == 128
    np.testing.assert_array_equal(arr.compute(), x)
    np.testing.assert_allclose(arr.mean(axis=0).compute(), s.firing_rate())
    np.testing.assert_array_equal(arr[100:300, 2:5].sum(axis=0).compute(), x[100:300, 2:5].sum(axis=0))
    for method, kw in (("tfp", {"window": 41}), ("tfi", {}), ("best", {"span": 60})):
        want = reconstruct_sequence(s, method, step=25, **kw)
        got = batch.reconstruct_chunked(s, method, step=25, chunk_frames=150, **kw)
        np.testing.assert_array_equal(got, want)
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, processes=False, threads_per_worker=2, dashboard_address=None) as lc, \
            Client(lc) as c:
        got = batch.reconstruct_chunked(s, "tfp", step=25, chunk_frames=150, client=c, rate="auto")
        np.testing.assert_array_equal(got, reconstruct_sequence(s, "tfp", step=25,
                                                                rate=sv.recon.auto_rate(s, 0, 700)))
    with pytest.raises(sv.SpikevisionError, match="recursive state"):
        batch.reconstruct_chunked(s, "tfstp", step=25)


def test_recon_then_flow_and_convert(tmp_path):
    from spikevision.flow import estimate_sequence

    paths = _data(tmp_path / "d", n=1, t=160)
    rep = batch.run(paths, "recon:tfp:step=40:window=21,flow:dis:dt=40:step=40,convert:npz", tmp_path / "o")
    assert rep.ok, rep.table()
    out = tmp_path / "o" / "rec0.dat.h5"
    with h5py.File(out) as f:
        flows = f["flow/flow"][()]
        assert flows.shape == (3, 32, 48, 2) and f["flow"].attrs["dt"] == 40
        np.testing.assert_array_equal(f["flow/frames"][()], [0, 40, 80])
        np.testing.assert_array_equal(flows, estimate_sequence(sv.open(paths[0]), 40, step=40, method="dis"))
        assert f["convert"].attrs["file"] == "rec0.dat.spikes.npz"
    np.testing.assert_array_equal(sv.open(tmp_path / "o" / "rec0.dat.spikes.npz").unpack(), sv.open(paths[0]).unpack())


def _cli_env():
    return {**os.environ, "PYTHONPATH": str(REPO), "SPIKEVISION_PROGRESS": "0"}


def test_cli_serial_reports_failures_with_exit_1(tmp_path):
    _data(tmp_path / "d", n=2)
    (tmp_path / "d" / "bad.dat").write_bytes(b"xx")
    r = subprocess.run([sys.executable, "-m", "spikevision", "batch", str(tmp_path / "d" / "**" / "*.dat"),
                        "--pipeline", "info", "--out", str(tmp_path / "o")], env=_cli_env(), capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 1
    assert "bad.dat" in r.stdout and "2 done" in r.stdout and "1 failed" in r.stdout
    r = subprocess.run([sys.executable, "-m", "spikevision", "batch", str(tmp_path / "d" / "**" / "*.dat"),
                        "--pipeline", "info", "--out", str(tmp_path / "o"), "--json"], env=_cli_env(),
                       capture_output=True, text=True, timeout=300)
    s = json.loads(r.stdout)
    assert s["skipped"] == 2 and s["failed"] == 1
    r = subprocess.run([sys.executable, "-m", "spikevision", "batch", str(tmp_path / "d"), "--pipeline", "warp",
                        "--out", str(tmp_path / "o")], env=_cli_env(), capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "unknown pipeline step 'warp'" in r.stderr


def test_cli_ctrl_c_stops_cleanly(tmp_path):
    rng = np.random.default_rng(0)
    (tmp_path / "d").mkdir()
    for k in range(16):
        sv.save(tmp_path / "d" / f"r{k:02d}.dat", (rng.random((3000, 32, 48)) < 0.2).astype(np.uint8))
    out = tmp_path / "o"
    p = subprocess.Popen([sys.executable, "-m", "spikevision", "batch", str(tmp_path / "d"), "--pipeline",
                          "recon:best:step=5", "--out", str(out)], env=_cli_env(), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    end = time.time() + 120
    while not list(out.glob("*.h5")) and time.time() < end and p.poll() is None:
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    assert "interrupted" in err
    rep = json.loads((out / batch.REPORT_NAME).read_text())
    assert rep["interrupted"] and 1 <= rep["done"] < 16
    assert sorted(f.name for f in out.iterdir()) == sorted([batch.REPORT_NAME] + [
        Path(r["output"]).name for r in rep["results"] if r["status"] == "done"])


def test_file_backed_streams_pickle_by_path(tmp_path):
    import pickle

    p = _data(tmp_path, n=1, t=400)[0]
    s = sv.open(p)[50:300, 4:20, 8:40]
    blob = pickle.dumps(s)
    assert len(blob) < 4000  # the path and the window, not 400 frames
    np.testing.assert_array_equal(pickle.loads(blob).unpack(), s.unpack())
