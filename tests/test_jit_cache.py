"""A numba cache that cannot be written (disk full, file-size limit) never fails the caller."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.cli._run import env

CHILD = textwrap.dedent("""
    import resource, signal
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))   # every cache file is larger: its save fails
    import numpy as np
    import spikevision as sv
    x = (np.random.default_rng(0).random((50, 8, 16)) < 0.3).astype(np.uint8)
    counts = sv.from_array(x).spike_counts()                  # first call: compiles and tries to cache
    assert (counts == x.sum(0)).all()
    print("ok")
""")


def test_failed_cache_save_is_skipped(tmp_path):
    cache = tmp_path / "numba"
    r = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=300,
                       env=env(NUMBA_CACHE_DIR=str(cache)))
    assert r.returncode == 0 and r.stdout == "ok\n", r.stderr[-2000:]
    assert not [p for p in cache.rglob("*") if ".tmp." in p.name]  # numba removed its partial file
