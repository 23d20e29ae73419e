"""Readers of ground-truth files named on dataset cards (images, flow, depth, labels, boxes, tracks)."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError
from ._card import GroundTruth

__all__ = ["read_gt", "read_exr", "write_exr"]


def _png(p: Path, g: GroundTruth) -> np.ndarray:
    import cv2

    img = cv2.imread(str(p), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise FormatError(f"{p}: not a readable image; download it again")
    scale = 65535.0 if img.dtype == np.uint16 else 255.0
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGB if img.shape[2] == 4 else cv2.COLOR_BGR2RGB)
    return (img.astype(np.float32) / np.float32(scale)).astype(np.float32)


def _mot(p: Path) -> np.ndarray:
    """MOT-challenge text: ``frame, id, x, y, w, h[, ...]`` per line -> (N, 6) float64."""
    rows = []
    for i, line in enumerate(p.read_text().splitlines(), 1):
        if not line.strip():
            continue
        parts = line.replace(",", " ").split()
        try:
            vals = [float(v) for v in parts[:6]]
        except ValueError:
            vals = []
        if len(vals) != 6:
            raise FormatError(f"{p}:{i}: a track line needs 'frame, id, x, y, w, h' numbers, got {line!r}")
        rows.append(vals)
    return np.asarray(rows, dtype=np.float64).reshape(-1, 6)


# --- OpenEXR (scanline, NONE / ZIPS / ZIP, HALF / FLOAT), for depth maps --------------------------------
_EXR_MAGIC = 20000630
_EXR_LINES = {0: 1, 2: 1, 3: 16}  # compression -> scanlines per block (NONE, ZIPS, ZIP)


def _exr_attrs(buf: bytes, pos: int) -> tuple[dict[str, tuple[str, bytes]], int]:
    attrs = {}
    while buf[pos] != 0:
        end = buf.index(b"\0", pos)
        name = buf[pos:end].decode()
        end2 = buf.index(b"\0", end + 1)
        typ = buf[end + 1:end2].decode()
        (size,) = struct.unpack_from("<i", buf, end2 + 1)
        attrs[name] = (typ, buf[end2 + 5:end2 + 5 + size])
        pos = end2 + 5 + size
    return attrs, pos + 1


def read_exr(path: str | Path) -> np.ndarray:
    """Read a scanline OpenEXR image (uncompressed, ZIPS or ZIP; half or float) as float32.

    One channel gives (H, W); several give (H, W, C) in the file's (alphabetical) channel order.
    """
    p = Path(path)
    buf = p.read_bytes()
    if len(buf) < 8 or struct.unpack_from("<i", buf)[0] != _EXR_MAGIC:
        raise FormatError(f"{p}: not an OpenEXR file (bad magic); download it again")
    if buf[5] & 0x16:
        raise FormatError(f"{p}: tiled, multi-part or deep EXR is not supported; convert it to scanline EXR")
    attrs, pos = _exr_attrs(buf, 8)
    comp = attrs["compression"][1][0]
    if comp not in _EXR_LINES:
        raise FormatError(f"{p}: EXR compression {comp} is not supported (NONE, ZIPS, ZIP are); re-save it so")
    chans, cpos, raw = [], 0, attrs["channels"][1]
    while raw[cpos] != 0:
        end = raw.index(b"\0", cpos)
        (ptype,) = struct.unpack_from("<i", raw, end + 1)
        chans.append((raw[cpos:end].decode(), ptype))
        cpos = end + 17
    x0, y0, x1, y1 = struct.unpack("<4i", attrs["dataWindow"][1])
    w, h = x1 - x0 + 1, y1 - y0 + 1
    dts = [{1: np.dtype("<f2"), 2: np.dtype("<f4"), 0: np.dtype("<u4")}[t] for _, t in chans]
    lines = _EXR_LINES[comp]
    nblocks = (h + lines - 1) // lines
    offsets = np.frombuffer(buf, "<u8", nblocks, pos)
    out = np.zeros((h, w, len(chans)), np.float32)
    for off in offsets:
        y, size = struct.unpack_from("<ii", buf, int(off))
        data = buf[int(off) + 8:int(off) + 8 + size]
        n = min(lines, y1 + 1 - y)
        expected = n * w * sum(d.itemsize for d in dts)
        if comp and size < expected:
            t = _exr_unpredict(np.frombuffer(zlib.decompress(data), np.uint8))
            half = (len(t) + 1) // 2
            data = np.empty_like(t)
            data[0::2], data[1::2] = t[:half], t[half:]
            data = data.tobytes()
        pos2 = 0
        for r in range(n):
            for c, dt in enumerate(dts):
                row = np.frombuffer(data, dt, w, pos2)
                out[y - y0 + r, :, c] = row
                pos2 += w * dt.itemsize
    return out[..., 0] if len(chans) == 1 else out


def _exr_unpredict(t: np.ndarray) -> np.ndarray:
    d = t.astype(np.int64)
    d[1:] -= 128
    return (np.cumsum(d) & 0xFF).astype(np.uint8)


def write_exr(path: str | Path, image: np.ndarray, zip_lines: int = 0) -> None:
    """Write a single-channel ("Y") float32 scanline EXR; ``zip_lines`` 0 (NONE), 1 (ZIPS) or 16 (ZIP)."""
    img = np.ascontiguousarray(image, dtype="<f4")
    h, w = img.shape
    comp = {0: 0, 1: 2, 16: 3}[zip_lines]

    def attr(name, typ, data):
        return name.encode() + b"\0" + typ.encode() + b"\0" + struct.pack("<i", len(data)) + data

    head = struct.pack("<ii", _EXR_MAGIC, 2)
    head += attr("channels", "chlist", b"Y\0" + struct.pack("<iB3xii", 2, 0, 1, 1) + b"\0")
    head += attr("compression", "compression", bytes([comp]))
    head += attr("dataWindow", "box2i", struct.pack("<4i", 0, 0, w - 1, h - 1))
    head += attr("displayWindow", "box2i", struct.pack("<4i", 0, 0, w - 1, h - 1))
    head += attr("lineOrder", "lineOrder", b"\0")
    head += attr("pixelAspectRatio", "float", struct.pack("<f", 1.0))
    head += attr("screenWindowCenter", "v2f", struct.pack("<ff", 0, 0))
    head += attr("screenWindowWidth", "float", struct.pack("<f", 1.0)) + b"\0"
    lines = max(1, zip_lines)
    blocks = []
    for y in range(0, h, lines):
        data = img[y:y + lines].tobytes()
        if comp:
            t = np.frombuffer(data, np.uint8)
            inter = np.concatenate([t[0::2], t[1::2]]).astype(np.int64)
            pred = inter.copy()
            pred[1:] = (inter[1:] - inter[:-1] + 128) & 0xFF
            z = zlib.compress(pred.astype(np.uint8).tobytes())
            data = z if len(z) < len(data) else data
        blocks.append(struct.pack("<ii", y, len(data)) + data)
    table_end = len(head) + 8 * len(blocks)
    offs, pos = [], table_end
    for b in blocks:
        offs.append(pos)
        pos += len(b)
    Path(path).write_bytes(head + np.asarray(offs, "<u8").tobytes() + b"".join(blocks))


def read_gt(g: GroundTruth, where: Path | list[Path], spikes_path: Path | None = None, *,
            read_options: dict[str, Any] | None = None) -> Any:
    """Read one ground-truth entry: an array, a list of arrays (sequences), a label, or a SpikeStream."""
    if isinstance(where, list):
        return [read_gt(g, p, spikes_path, read_options=read_options) for p in where]
    p = Path(where)
    fmt = g.format
    if fmt == "png":
        val = _png(p, g)
    elif fmt == "flo":
        from ..io.flo import read_flo

        val = read_flo(p)
    elif fmt == "npy":
        val = np.load(p, allow_pickle=False)
    elif fmt == "npz":
        with np.load(p, allow_pickle=False) as z:
            key = g.options.get("key")
            val = z[key] if key else {k: z[k] for k in z.files}
        if key and g.kind == "label" and np.ndim(val) == 0:
            val = val.item()
    elif fmt == "exr":
        val = read_exr(p)
    elif fmt == "spikes":
        from ..io import open_stream

        return open_stream(p, **(read_options or {}))
    elif fmt == "mot":
        return _mot(p)
    elif fmt == "json":
        val = json.loads(p.read_text())
        key = g.options.get("key")
        if key:
            val = val[key]
        return np.asarray(val, dtype=np.float64) if g.kind == "boxes" else val
    elif fmt == "dirname":
        return p.name
    else:  # pragma: no cover - the card schema refuses other formats
        raise FormatError(f"unknown ground-truth format {fmt!r}")
    if g.kind == "disparity" and "focal_px" in g.options and "baseline_m" in g.options:
        depth = np.asarray(val, np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            val = np.where(depth > 0, g.options["focal_px"] * g.options["baseline_m"] / depth, 0.0).astype(np.float32)
    elif "scale" in g.options and isinstance(val, np.ndarray):
        val = (val * np.float32(g.options["scale"])).astype(np.float32)
    return val
