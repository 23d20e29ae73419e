"""The weights registry: hashes, cache, explicit mirror downloads from a loopback server, never the network."""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import threading
import urllib.request

import pytest
import torch

from spikevision.models import SpikeUNet, WeightsError, load_model, register_weights, sha256_file, weights_path
from spikevision.models.train import write_weights
from spikevision.models.weights import REGISTRY, cache_dir


@pytest.fixture
def weights_file(tmp_path):
    torch.manual_seed(0)
    meta = write_weights(SpikeUNet(width=4), tmp_path, {"note": "test"})
    return tmp_path / "weights.pt", meta["sha256"]


@pytest.fixture
def entry(weights_file):
    path, digest = weights_file
    name = "test-unet4"
    register_weights(name, "test-unet4.pt", digest, replace=True)
    yield name
    REGISTRY.pop(name, None)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("SPIKEVISION_CACHE", str(root))
    return root / "models"


@pytest.fixture
def no_urlopen(monkeypatch):
    calls = []

    def refuse(*a, **k):
        calls.append(a)
        raise AssertionError("urlopen called")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    return calls


def test_path_and_hash(weights_file):
    path, digest = weights_file
    assert weights_path(path) == path and weights_path(str(path), sha256=digest) == path
    assert load_model(path).width == 4
    with pytest.raises(WeightsError, match="SHA-256.*differs"):
        weights_path(path, sha256="0" * 64)


def test_cache_and_wrong_hash_refused(entry, weights_file, cache, no_urlopen):
    assert cache_dir() == cache
    with pytest.raises(WeightsError, match="download=True"):
        weights_path(entry)
    cache.mkdir(parents=True)
    (cache / "test-unet4.pt").write_bytes(weights_file[0].read_bytes())
    assert weights_path(entry) == cache / "test-unet4.pt"
    assert load_model(entry).width == 4
    (cache / "test-unet4.pt").write_bytes(weights_file[0].read_bytes() + b"x")
    with pytest.raises(WeightsError, match="SHA-256"):
        weights_path(entry)
    with pytest.raises(WeightsError, match="SHA-256"):
        load_model(entry)
    assert no_urlopen == []


def test_unknown_and_bad_registration(cache):
    with pytest.raises(WeightsError, match="neither a registered name"):
        weights_path("no-such-weights")
    with pytest.raises(WeightsError, match="64 hex"):
        register_weights("x", "x.pt", "abc")


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    th = threading.Thread(target=httpd.serve_forever, daemon=True)
    th.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_download_from_loopback_mirror(entry, weights_file, cache, server):
    root, base = server
    (root / "good.pt").write_bytes(weights_file[0].read_bytes())
    (root / "bad.pt").write_bytes(b"not the weights")
    with pytest.raises(WeightsError, match="no mirror"):
        weights_path(entry, download=True, urls=[f"{base}/bad.pt", f"{base}/missing.pt"])
    assert not cache.exists() or list(cache.iterdir()) == []     # nothing half-written, nothing wrong kept
    got = weights_path(entry, download=True, urls=[f"{base}/bad.pt", f"{base}/good.pt"])
    assert got == cache / "test-unet4.pt" and sha256_file(got) == weights_file[1]
    assert weights_path(entry) == got   # cached now, no download needed


def test_import_touches_nothing(tmp_path):
    code = ("import sys, socket, urllib.request\n"
            "urllib.request.urlopen = None\n"
            "def no(*a, **k): raise SystemExit('network')\n"
            "socket.socket.connect = no\n"
            "import spikevision.models, spikevision.recon\n"
            "assert 'torch' not in sys.modules, 'torch imported at import'\n"
            "print(sorted(spikevision.models.REGISTRY))\n")
    env = {"SPIKEVISION_CACHE": str(tmp_path / "c"), "PYTHONPATH": ":".join(sys.path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "recon-unet16" in out.stdout
    assert not (tmp_path / "c").exists()
