"""`make demo` stage: cut the sample into recordings, run a batch pipeline over them, then resume."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np


def stage(out: Path, stream) -> None:
    """Write 4 recordings, run ``recon:tfp,info`` over them, run again (all skipped), save a contact sheet."""
    import cv2

    import spikevision as sv
    from spikevision import batch

    print("\n== batch: one pipeline over many recordings, resumable " + "=" * 6, flush=True)
    t0 = time.perf_counter()
    src = out / "batch_in"
    src.mkdir(exist_ok=True)
    n = max(1, len(stream) // 4)
    for k in range(4):
        sv.save(src / f"clip{k}.dat", stream[k * n:(k + 1) * n])
    rep = batch.run(src, "recon:tfp:step=50:rate=0.5,info", out / "batch_out")
    print("   " + rep.table().replace("\n", "\n   "))
    again = batch.run(src, "recon:tfp:step=50:rate=0.5,info", out / "batch_out")
    print(f"   run again: {again.count('skipped')} skipped (finished outputs with the same input SHA-256 and "
          f"pipeline), {again.count('done')} redone")
    import h5py

    tiles = []
    for k in range(4):
        with h5py.File(out / "batch_out" / f"clip{k}.dat.h5") as f:
            tiles.append(f["recon/images"][0])
    sheet = np.clip(np.concatenate(tiles, axis=1) * 255 + 0.5, 0, 255).astype(np.uint8)
    path = out / "batch_contact_sheet.png"
    cv2.imwrite(str(path), sheet)
    print(f"   first image of each recording: {path}")
    print(f"   ({time.perf_counter() - t0:.2f} s)", flush=True)
