"""Fuzz the HDF5 container: damaged and hostile files read exactly, as a warned prefix, or raise a spikevision error.

``FUZZ`` maps a target name to ``make_cases(rng, n, workdir) -> (cases, check)``: the cases are
paths of damaged copies written to ``workdir``, and ``check(case)`` reads one with ``sv.open`` and
returns :func:`tests.fuzz._harness.classify`. Targets: sealed files for each compression, killed
in-place recordings (tail slots), damage confined to the metadata (superblock, object headers,
chunk index), and hand-made hostile files (external links and storage, virtual datasets, huge
declared sizes, deep nesting, wrong dtypes, missing or mistyped attributes).
"""

from __future__ import annotations

import os
import pathlib
import shutil
from collections.abc import Callable

import h5py
import numpy as np
import pytest

import spikevision as sv
from spikevision.io.h5 import H5Writer

from ._harness import BAD, classify, failures, mutations, run_cases, tally

H, W, T = 16, 24, 200
BLOCK = 32
PROBE_TIMEOUT = "3"  # seconds a structure probe may take; below the harness's 10 s hang timeout


def _frames(seed: int = 7) -> np.ndarray:
    return (np.random.default_rng(seed).random((T, H, W)) < 0.3).astype(np.uint8)


def _check(expected: np.ndarray) -> Callable[[str], tuple[str, str]]:
    def check(case: str) -> tuple[str, str]:
        os.environ["SPIKEVISION_H5_PROBE_TIMEOUT"] = PROBE_TIMEOUT
        return classify(lambda: sv.open(case, format="h5").unpack(), expected)

    return check


def _write_copies(base: bytes, damaged: list[bytes], workdir: pathlib.Path, tag: str) -> list[str]:
    workdir.mkdir(parents=True, exist_ok=True)
    out = []
    for i, data in enumerate(damaged):
        p = workdir / f"{tag}{i:06d}.h5"
        p.write_bytes(data)
        out.append(str(p))
    return out


def _sealed(compression: str | None) -> Callable:
    def make_cases(rng: np.random.Generator, n: int, workdir: pathlib.Path):
        x = _frames()
        base = workdir / f"base-{compression}.h5"
        workdir.mkdir(parents=True, exist_ok=True)
        sv.save(base, x, compression=compression, block_frames=BLOCK)
        data = base.read_bytes()
        return _write_copies(data, mutations(data, rng, n), workdir, f"s{compression}-"), _check(x)

    return make_cases


def _killed_file(path: pathlib.Path, x: np.ndarray) -> None:
    """The bytes a kill leaves: an in-place recording copied after a flush (frames in a tail slot)."""
    snap = path.with_suffix(".live")
    with H5Writer(snap, H, W, block_frames=BLOCK, overwrite=True) as w:
        w.append(x[:150])
        w.flush()
        w.append(x[150:])
        w.flush()  # 192 frames in /spikes, 8 in a tail slot
        shutil.copyfile(snap, path)
    snap.unlink()


def make_killed(rng: np.random.Generator, n: int, workdir: pathlib.Path):
    x = _frames()
    workdir.mkdir(parents=True, exist_ok=True)
    base = workdir / "base-killed.h5"
    _killed_file(base, x)
    data = base.read_bytes()
    return _write_copies(data, mutations(data, rng, n), workdir, "k-"), _check(x)


def _metadata_regions(path: pathlib.Path) -> list[tuple[int, int]]:
    """Byte ranges of the file that are not chunk data: superblock, object headers, chunk index, heaps."""
    with h5py.File(path, "r") as f:
        ds = f["spikes"]
        spans = sorted((c.byte_offset, c.byte_offset + c.size) for c in
                       (ds.id.get_chunk_info(i) for i in range(ds.id.get_num_chunks())))
        for name in ("spikes_tail0", "spikes_tail1"):
            if name in f and f[name].id.get_offset() is not None:
                off = f[name].id.get_offset()
                spans.append((off, off + f[name].id.get_storage_size()))
    spans.sort()
    regions, at = [], 4096  # the user block (seal record) is covered by the sealed targets
    for a, b in spans:
        if a > at:
            regions.append((at, a))
        at = max(at, b)
    size = path.stat().st_size
    if size > at:
        regions.append((at, size))
    return regions


def make_metadata(rng: np.random.Generator, n: int, workdir: pathlib.Path):
    """Damage only the metadata of a sealed file and of a killed recording (half each)."""
    x = _frames()
    workdir.mkdir(parents=True, exist_ok=True)
    sealed, killed = workdir / "base-meta-sealed.h5", workdir / "base-meta-killed.h5"
    sv.save(sealed, x, compression="lzf", block_frames=BLOCK)
    _killed_file(killed, x)
    cases = []
    for k, base in enumerate((sealed, killed)):
        data, regions = base.read_bytes(), _metadata_regions(base)
        weights = np.array([b - a for a, b in regions], float)
        damaged = []
        for _ in range(n // 2 + (n % 2 if k == 0 else 0)):
            a, b = regions[int(rng.choice(len(regions), p=weights / weights.sum()))]
            damaged += [m for m in mutations(data, rng, 1, region=(a, b))]
        cases += _write_copies(data, damaged, workdir, f"m{k}-")
    return cases, _check(x)


def _foreign_file(path: pathlib.Path, x: np.ndarray, sealed: bool) -> None:
    """A spikestream file written by plain h5py (default HDF5 format: unchecksummed v1 B-trees, no seal)."""
    packed = sv.from_array(x).packed()
    with h5py.File(path, "w") as f:
        f.attrs["spikevision_format"] = "spikestream"
        f.attrs["spikevision_version"] = 1
        n = len(packed) if sealed else len(packed) - 8
        ds = f.create_dataset("spikes", data=packed[: n - n % BLOCK if not sealed else n],
                              maxshape=(None, packed.shape[1]), chunks=(BLOCK, packed.shape[1]), fletcher32=True,
                              compression="lzf")
        ds.attrs.update({"height": H, "width": W, "fps": 20000.0, "n_frames": len(packed), "sealed": sealed})
        if not sealed:  # an older writer's tail slot (no commit checksum)
            f.create_dataset("spikes_tail0", data=np.zeros((BLOCK, packed.shape[1]), np.uint8))
            f["spikes_tail0"][: len(packed) - ds.shape[0]] = packed[ds.shape[0]:]


def make_foreign(rng: np.random.Generator, n: int, workdir: pathlib.Path):
    """Damage the metadata of files written elsewhere (always probed in a child: libhdf5 may hang or crash)."""
    x = _frames()
    workdir.mkdir(parents=True, exist_ok=True)
    base = workdir / "base-foreign.h5"
    _foreign_file(base, x, sealed=True)
    data = base.read_bytes()
    with h5py.File(base, "r") as f:
        ds = f["spikes"]
        first = min(ds.id.get_chunk_info(i).byte_offset for i in range(ds.id.get_num_chunks()))
    half = n // 2
    damaged = mutations(data, rng, half, region=(0, first)) + mutations(data, rng, n - half)
    return _write_copies(data, damaged, workdir, "f-"), _check(x)


# --- hostile files -------------------------------------------------------------
def _hostile_external_link(p, x, rng):
    target = p.with_name(p.stem + "-target.h5")
    sv.save(target, x)
    _base(p, x)
    with h5py.File(p, "r+") as f:
        del f["spikes"]
        f["spikes"] = h5py.ExternalLink(target.name, "/spikes")


def _hostile_soft_link(p, x, rng):
    _base(p, x)
    with h5py.File(p, "r+") as f:
        f.move("spikes", "hidden")
        f["spikes"] = h5py.SoftLink("/hidden")


def _hostile_external_storage(p, x, rng):
    raw = p.with_name(p.stem + ".bin")
    packed = sv.from_array(x).packed()
    raw.write_bytes(packed.tobytes())
    _base(p, x)
    with h5py.File(p, "r+") as f:
        attrs = dict(f["spikes"].attrs)
        del f["spikes"]
        ds = f.create_dataset("spikes", shape=packed.shape, dtype=np.uint8, external=[(raw.name, 0, packed.nbytes)])
        ds.attrs.update(attrs)


def _hostile_virtual(p, x, rng):
    src = p.with_name(p.stem + "-src.h5")
    sv.save(src, x)
    _base(p, x)
    with h5py.File(p, "r+") as f:
        attrs = dict(f["spikes"].attrs)
        del f["spikes"]
        layout = h5py.VirtualLayout(shape=(T, (H * W + 7) // 8), dtype=np.uint8)
        layout[:] = h5py.VirtualSource(src.name, "spikes", shape=(T, (H * W + 7) // 8))
        ds = f.create_virtual_dataset("spikes", layout)
        ds.attrs.update(attrs)


def _attr_edit(name, value):
    def build(p, x, rng):
        _base(p, x)
        with h5py.File(p, "r+") as f:
            if value is None:
                del f["spikes"].attrs[name]
            else:
                f["spikes"].attrs[name] = value(rng) if callable(value) else value
    return build


def _hostile_nesting(p, x, rng):
    _base(p, x)
    with h5py.File(p, "r+") as f:
        g = f
        for i in range(int(rng.integers(50, 400))):
            g = g.create_group(f"g{i}")
        g["x"] = np.zeros(3)
        f.move("spikes", "g0/spikes")
        f["spikes"] = h5py.SoftLink("/g0/spikes")


def _hostile_group(p, x, rng):
    _base(p, x)
    with h5py.File(p, "r+") as f:
        attrs = dict(f["spikes"].attrs)
        del f["spikes"]
        f.create_group("spikes").attrs.update(attrs)


def _hostile_dtype(p, x, rng):
    _base(p, x)
    dtype = [np.uint16, np.float32, np.int8, "S4"][int(rng.integers(4))]
    with h5py.File(p, "r+") as f:
        attrs = dict(f["spikes"].attrs)
        del f["spikes"]
        f.create_dataset("spikes", data=np.zeros((T, (H * W + 7) // 8), dtype)).attrs.update(attrs)


def _hostile_huge_shape(p, x, rng):
    _base(p, x)
    with h5py.File(p, "r+") as f:
        attrs = dict(f["spikes"].attrs)
        del f["spikes"]
        rows = int(rng.choice([2**40, 2**62, 10**15]))
        ds = f.create_dataset("spikes", shape=(rows, (H * W + 7) // 8), maxshape=(None, (H * W + 7) // 8),
                              dtype=np.uint8, chunks=(BLOCK, (H * W + 7) // 8))
        ds.attrs.update(attrs)
        ds.attrs["n_frames"] = np.int64(rows)


def _base(p, x):
    sv.save(p, x, block_frames=BLOCK)


HOSTILE = {
    "external-link": _hostile_external_link,
    "soft-link": _hostile_soft_link,
    "external-storage": _hostile_external_storage,
    "virtual": _hostile_virtual,
    "deep-nesting": _hostile_nesting,
    "group": _hostile_group,
    "dtype": _hostile_dtype,
    "huge-shape": _hostile_huge_shape,
    "huge-n_frames": _attr_edit("n_frames", lambda r: np.int64(r.choice([T + 1, 2**40, 2**62, -1]))),
    "huge-height": _attr_edit("height", lambda r: np.int64(r.choice([2**31, 2**62, 0, -5]))),
    "str-n_frames": _attr_edit("n_frames", "200"),
    "float-width": _attr_edit("width", 24.0),
    "array-height": _attr_edit("height", np.array([16, 16])),
    "bad-fps": _attr_edit("fps", lambda r: float(r.choice([0.0, -1.0, np.inf, np.nan]))),
    "str-fps": _attr_edit("fps", "fast"),
    "missing-height": _attr_edit("height", None),
    "missing-n_frames": _attr_edit("n_frames", None),
    "missing-fps": _attr_edit("fps", None),
    "bytes-sensor": _attr_edit("sensor", np.void(b"\xff\xfe")),
    "int-provenance": _attr_edit("provenance", 5),
    "bad-json": _attr_edit("provenance", "{" * 5000),
    "unsealed-no-tail": _attr_edit("sealed", False),
    "bool-n_frames": _attr_edit("n_frames", True),
}


def make_hostile(rng: np.random.Generator, n: int, workdir: pathlib.Path):
    x = _frames()
    workdir.mkdir(parents=True, exist_ok=True)
    names = sorted(HOSTILE)
    cases = []
    for i in range(n):
        name = names[i % len(names)] if i < len(names) else names[int(rng.integers(len(names)))]
        p = workdir / f"h{i:06d}-{name}.h5"
        HOSTILE[name](p, x, rng)
        cases.append(str(p))
    return cases, _check(x)


FUZZ = {
    "h5-sealed-none": _sealed(None),
    "h5-sealed-lzf": _sealed("lzf"),
    "h5-sealed-gzip": _sealed("gzip"),
    "h5-killed": make_killed,
    "h5-metadata": make_metadata,
    "h5-hostile": make_hostile,
    "h5-foreign": make_foreign,
}


def _n_cases() -> int:
    return int(os.environ.get("SPIKEVISION_FUZZ_CASES", "100"))


@pytest.mark.parametrize("target", sorted(FUZZ))
def test_fuzz_h5(target, tmp_path):
    rng = np.random.default_rng(sorted(FUZZ).index(target) + 2026)
    cases, check = FUZZ[target](rng, _n_cases(), tmp_path)
    results = run_cases(cases, check)
    counts = tally(results)
    assert not any(counts.get(k) for k in BAD), f"{target}: {counts}\n{failures(cases, results)}"
