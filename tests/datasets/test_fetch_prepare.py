"""Explicit downloads against a loopback HTTP server, resumable preparation to HDF5, and the datasets CLI."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import spikevision as sv
import spikevision.datasets as svd

from ._replica import write_replica


@pytest.fixture
def server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    th = threading.Thread(target=httpd.serve_forever, daemon=True)
    th.start()
    yield served, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def own_cards(tmp_path, monkeypatch):
    d = tmp_path / "cards"
    d.mkdir()
    monkeypatch.setenv("SPIKEVISION_CARDS", str(d))
    svd.api._cards.cache_clear()
    yield d
    svd.api._cards.cache_clear()


def _card_text(name: str, files: list[tuple[str, str, str]]) -> str:
    text = Path(svd.card("REDS_BASE").path).read_text().replace('name = "REDS_BASE"', f'name = "{name}"')
    for path, digest, url in files:
        text += f'\n[[files]]\npath = "{path}"\nsha256 = "{digest}"\nurl = "{url}"\n'
    return text


def test_fetch_downloads_verifies_and_skips(server, own_cards, tmp_path):
    served, url = server
    write_replica(svd.card("REDS_BASE"), served)
    rel = ["test/spike/id0.dat", "test/gt/id0.png", "test/spike/id1.dat", "test/gt/id1.png"]
    files = [(r, hashlib.sha256((served / r).read_bytes()).hexdigest(), f"{url}/{r}") for r in rel]
    (own_cards / "mini.toml").write_text(_card_text("MINI", files))
    root = tmp_path / "mini"
    got = svd.fetch("MINI", root)
    assert sorted(p.relative_to(root).as_posix() for p in got) == sorted(rel)
    rep = svd.verify("MINI", root)
    assert rep.checksums_ok == 4 and rep.recordings["test"] == 2 and rep.missing == ["train: no files match "
                                                                                     "train/spike/{id}.dat"]
    before = (root / rel[0]).stat().st_mtime_ns
    svd.fetch("MINI", root)  # present and correct: not downloaded again
    assert (root / rel[0]).stat().st_mtime_ns == before


def test_fetch_refuses_a_wrong_checksum(server, own_cards, tmp_path):
    served, url = server
    (served / "x.dat").write_bytes(b"\0" * 12500)
    (own_cards / "bad.toml").write_text(_card_text("BAD", [("test/spike/x.dat", "0" * 64, f"{url}/x.dat")]))
    with pytest.raises(svd.DownloadError, match="SHA-256"):
        svd.fetch("BAD", tmp_path / "bad")
    assert not list((tmp_path / "bad").rglob("*.dat")) and not [p for p in (tmp_path / "bad").rglob("*") if p.is_file()]
    (own_cards / "gone.toml").write_text(_card_text("GONE", [("test/spike/y.dat", "0" * 64, f"{url}/missing.dat")]))
    with pytest.raises(svd.DownloadError, match="failed"):
        svd.fetch("GONE", tmp_path / "gone")


def test_fetch_without_links_says_how_to_obtain():
    with pytest.raises(sv.SpikevisionError, match="by hand: download REDS_BASE"):
        svd.fetch("REDS_BASE", "/nonexistent")


def test_prepare_is_complete_readable_and_resumable(tmp_path):
    c = svd.card("PKU-Spike-Stereo")
    write_replica(c, tmp_path / "raw", per_split=1)
    out = tmp_path / "prep"
    man = svd.prepare("PKU-Spike-Stereo", tmp_path / "raw", out)
    raw = svd.load("PKU-Spike-Stereo", tmp_path / "raw", split="all")
    prep = svd.load("PKU-Spike-Stereo", out, split="all")
    assert prep.prepared and len(prep) == len(raw) == 2
    for a, b in zip(raw, prep):
        assert a.id == b.id
        np.testing.assert_array_equal(a.spikes.unpack(), b.spikes.unpack())
        np.testing.assert_array_equal(a.gt["depth"], b.gt["depth"])
        assert sv.open(b.path).shape == a.spikes.shape  # plain spikevision HDF5
    # an interrupted run: one recording missing; the next run writes only it
    entries = json.loads(man.read_text())
    lost = out / entries["samples"][1]["file"]
    lost.unlink()
    keep = out / entries["samples"][0]["file"]
    t_keep = keep.stat().st_mtime_ns
    svd.prepare("PKU-Spike-Stereo", tmp_path / "raw", out)
    assert lost.exists() and keep.stat().st_mtime_ns == t_keep


def _cli(*args, env=None):
    e = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "SPIKEVISION_PROGRESS": "0",
         **(env or {})}
    return subprocess.run([sys.executable, "-m", "spikevision", *args], capture_output=True, text=True, env=e,
                          timeout=300)


def test_cli(tmp_path):
    r = _cli("datasets", "list", "--json")
    assert r.returncode == 0 and "SPIFT" in [d["name"] for d in json.loads(r.stdout)["datasets"]]
    r = _cli("datasets", "info", "PKU-Spike-Stereo")
    assert r.returncode == 0 and "0000_gt.npy" in r.stdout and "ICME 2022" in r.stdout
    r = _cli("datasets", "info", "nope")
    assert r.returncode == 1 and "known datasets" in r.stderr
    write_replica(svd.card("U-CIFAR"), tmp_path / "U-CIFAR", per_split=1)
    r = _cli("datasets", "verify", "U-CIFAR", env={"SPIKEVISION_DATA": str(tmp_path)})
    assert r.returncode == 0 and "OK" in r.stdout, r.stdout + r.stderr
    (tmp_path / "U-CIFAR" / "test" / "id0.npz").write_bytes(b"PK\x03\x04broken")
    r = _cli("datasets", "verify", "U-CIFAR", "--root", str(tmp_path / "U-CIFAR"), "--json")
    assert r.returncode == 1 and json.loads(r.stdout)["bad"]
    r = _cli("datasets", "prepare", "U-CIFAR", str(tmp_path / "p"), "--root", str(tmp_path / "U-CIFAR"),
             "--split", "train", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["recordings"] == 1
    s = svd.load("U-CIFAR", tmp_path / "p", split="train")[0]
    assert s.gt["label"] == 3 and s.gt["label_name"] == "cat"


def test_verify_all_script(tmp_path):
    write_replica(svd.card("PHM"), tmp_path / "PHM", per_split=1)
    write_replica(svd.card("SCSim"), tmp_path / "SCSim", per_split=1)
    (tmp_path / "SCSim" / "test" / "clean" / "id0.dat").unlink()
    script = Path(__file__).resolve().parents[2] / "datasets" / "verify_all.py"
    e = {**os.environ, "PYTHONPATH": str(script.parents[1]), "SPIKEVISION_DATA": str(tmp_path)}
    r = subprocess.run([sys.executable, str(script), "--json", str(tmp_path / "r.json")], capture_output=True,
                       text=True, env=e, timeout=300)
    assert r.returncode == 1, r.stderr
    lines = {ln.split()[0]: ln for ln in r.stdout.splitlines()}
    assert "OK" in lines["PHM"] and "INCOMPLETE" in lines["SCSim"] and "absent" in lines["REDS_BASE"]
    assert {d["name"]: d["ok"] for d in json.loads((tmp_path / "r.json").read_text())} == {"PHM": True,
                                                                                          "SCSim": False}
