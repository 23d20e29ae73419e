"""Run ``python -m spikevision`` in a child process, the way a user does."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np

import spikevision as sv

ROOT = Path(sv.__file__).resolve().parent.parent


def env(**extra: str) -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    e["SPIKEVISION_PROGRESS"] = "0"
    e.update(extra)
    return e


def run(*args, cwd=None, timeout: float = 180, umask: int | None = None, fsize: int | None = None,
        extra_env: dict | None = None) -> subprocess.CompletedProcess:
    """``python -m spikevision ARGS``; ``fsize`` limits the file size (writes fail with EFBIG like a full disk)."""

    def pre():
        if umask is not None:
            os.umask(umask)
        if fsize is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run([sys.executable, "-m", "spikevision", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env=env(**(extra_env or {})), preexec_fn=pre)


def assert_failed(r: subprocess.CompletedProcess, *texts: str, code: int = 1) -> str:
    """The run failed with ``code``, printing one line (no traceback) that contains every text."""
    err = r.stderr
    assert r.returncode == code, (r.returncode, r.stdout, err)
    assert "Traceback" not in err, err
    if code == 1:
        assert err.startswith("spikevision: error: ") and err.count("\n") == 1, err
    for t in texts:
        assert t in err, (t, err)
    return err


def assert_done(r: subprocess.CompletedProcess, *texts: str) -> str:
    """The run succeeded and printed exactly one line on stdout."""
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    assert r.stdout.count("\n") == 1, r.stdout
    for t in texts:
        assert t in r.stdout, (t, r.stdout)
    return r.stdout


def spikes(t: int = 60, h: int = 16, w: int = 24, p: float = 0.2, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).random((t, h, w)) < p).astype(np.uint8)


def leftovers(folder: Path) -> list[str]:
    """Temporary files or folders left next to outputs."""
    return sorted(p.name for p in Path(folder).iterdir() if ".part" in p.name or ".old" in p.name)
