"""Fixtures of the learned-model tests: a tiny model, and no network (loopback only)."""

from __future__ import annotations

import socket

import numpy as np
import pytest

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Refuse every connection that is not to the loopback interface."""
    real = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"a test tried to reach the network: {address!r}")
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def tiny_model():
    """A small SpikeUNet with a nonzero head (an untrained network would be exactly TFP-41)."""
    from spikevision.models import SpikeUNet

    torch.manual_seed(3)
    m = SpikeUNet(width=4)
    torch.nn.init.normal_(m.head.weight, std=0.2)
    return m.eval()


def spikes(t=70, h=12, w=20, p=0.3, seed=0):
    return (np.random.default_rng(seed).random((t, h, w)) < p).astype(np.uint8)
