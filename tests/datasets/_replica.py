"""Tiny replicas of a dataset's layout, written from its card (never committed data)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import cv2
import numpy as np

import spikevision as sv
from spikevision.datasets import Card
from spikevision.datasets._gt import write_exr
from spikevision.io import dat, flo, h5, npz

FRAMES = 6
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _fill(pattern: str, values: dict[str, str], star: str = "0000") -> str:
    return _FIELD.sub(lambda m: values[m.group(1)], pattern).replace("*", star)


def write_spikes(card: Card, path: Path, spikes: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    stream = sv.from_array(spikes, fps=card.fps)
    fmt = card.reader["format"]
    if fmt == "dat":
        dat.write(path, stream, flip=card.reader.get("flip", card.flip), sidecar=False,
                  head_columns=card.reader.get("head_columns", 0) or 0,
                  frame_header_bytes=card.reader.get("frame_header_bytes", 0) or 0)
    elif fmt == "npz":
        npz.write(path, stream, label=3, label_name="cat")
    else:
        h5.write(path, stream)


def write_replica(card: Card, root: Path, per_split: int = 2, seed: int = 0) -> dict:
    """Write ``per_split`` recordings per split with every ground truth; return what was written."""
    rng = np.random.default_rng(seed)
    truth: dict = {}
    h, w = card.height, card.width
    for split in card.splits:
        for k in range(per_split):
            values = {"split": split}
            for name in _FIELD.findall(card.spikes):
                values.setdefault(name, f"{name}{k}")
            spikes = (rng.random((FRAMES, h, w)) < 0.2).astype(np.uint8)
            sp = root / _fill(card.spikes, values)
            write_spikes(card, sp, spikes)
            entry = {"spikes": spikes, "gt": {}}
            if card.right:
                right = (rng.random((FRAMES, h, w)) < 0.2).astype(np.uint8)
                write_spikes(card, root / _fill(card.right, values), right)
                entry["right"] = right
            for g in card.gt.values():
                files = [root / _fill(g.path, values, s) for s in (("0000", "0001") if g.sequence else ("",))]
                vals = []
                for p in files:
                    p.parent.mkdir(parents=True, exist_ok=True)
                    if g.format == "png":
                        shape = (h, w, 3) if card.cfa else (h, w)
                        img = rng.integers(0, 256, shape, dtype=np.uint8)
                        cv2.imwrite(str(p), img[..., ::-1] if img.ndim == 3 else img)
                        vals.append(img.astype(np.float32) / np.float32(255))
                    elif g.format == "flo":
                        f = rng.normal(size=(h, w, 2)).astype(np.float32)
                        flo.write_flo(p, f)
                        vals.append(f)
                    elif g.format == "npy":
                        d = rng.uniform(1, 10, (h, w)).astype(np.float32)
                        np.save(p, d)
                        vals.append(d)
                    elif g.format == "exr":
                        if not p.exists():
                            d = rng.uniform(1, 10, (h, w)).astype(np.float32)
                            write_exr(p, d, zip_lines=16)
                        else:
                            from spikevision.datasets._gt import read_exr
                            d = read_exr(p)
                        vals.append(d)
                    elif g.format == "spikes":
                        clean = (rng.random((FRAMES, h, w)) < 0.2).astype(np.uint8)
                        write_spikes(card, p, clean)
                        vals.append(clean)
                    elif g.format == "mot":
                        rows = np.array([[1, 1, 10, 20, 5, 6], [2, 1, 11, 20, 5, 6]], np.float64)
                        p.write_text("\n".join(",".join(f"{v:g}" for v in r) for r in rows) + "\n")
                        vals.append(rows)
                    elif g.format == "json":
                        boxes = [[0, 1, 2, 3, 4, 0], [3, 5, 6, 7, 8, 1]]
                        p.write_text(json.dumps({g.options.get("key", "boxes"): boxes}))
                        vals.append(np.asarray(boxes, np.float64))
                    elif g.format == "npz":
                        if g.options.get("key") == "label":
                            vals.append(3)
                        elif g.options.get("key") == "label_name":
                            vals.append("cat")
                        else:
                            arrays = {"times": np.arange(2), "rate": rng.random((2, h, w)).astype(np.float32)}
                            np.savez(p, **arrays)
                            vals.append(arrays)
                entry["gt"][g.name] = vals if g.sequence else vals[0]
            truth[(split, str(sp))] = entry
    return truth
