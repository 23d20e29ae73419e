"""Find, verify and iterate public spike datasets described by cards.

Nothing is downloaded implicitly: :func:`load` and :func:`verify` read what is under
``root`` (default ``$SPIKEVISION_DATA/<name>``); :func:`fetch` downloads only the files a card
links to directly, when asked.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import FormatError, SpikevisionError
from ..stream import SpikeStream
from ._card import Card, card_dirs, read_card
from ._gt import read_gt
from ._layout import SampleRef, find_samples

__all__ = ["list_datasets", "card", "load", "verify", "data_root", "Sample", "SpikeDataset", "VerifyReport",
           "DatasetNotFound", "sha256_file", "PREPARED_MANIFEST"]

#: the manifest :func:`spikevision.datasets.prepare` writes last in a prepared dataset
PREPARED_MANIFEST = "spikevision-prepared.json"


class DatasetNotFound(SpikevisionError, FileNotFoundError):
    """A dataset's files are not where they were looked for."""


@functools.lru_cache(maxsize=8)
def _cards(dirs: tuple[tuple[Path, int], ...]) -> dict[str, Card]:
    found: dict[str, Card] = {}
    for d, _ in dirs:
        for p in sorted(d.glob("*.toml")) if d.is_dir() else ():
            c = read_card(p)
            found.setdefault(c.name, c)
    return found


def _all_cards() -> dict[str, Card]:
    def stamp(d: Path) -> int:  # a card added or changed in a folder is seen at the next call
        try:
            return max([d.stat().st_mtime_ns] + [p.stat().st_mtime_ns for p in d.glob("*.toml")])
        except OSError:
            return -1

    return _cards(tuple((d, stamp(d)) for d in card_dirs()))


def list_datasets(task: str | None = None) -> list[str]:
    """Names of every dataset with a card, sorted (case-insensitively); ``task="flow"`` filters by task."""
    cards = _all_cards().values()
    return sorted((c.name for c in cards if task is None or task in c.tasks), key=str.lower)


def card(name: str) -> Card:
    """The validated card of dataset ``name`` (case-insensitive).

    Raises:
        SpikevisionError: no card has that name (the message lists the known names).
    """
    cards = _all_cards()
    if name in cards:
        return cards[name]
    low = {k.lower(): v for k, v in cards.items()}
    if name.lower() in low:
        return low[name.lower()]
    raise SpikevisionError(f"no dataset card named {name!r}; known datasets: {', '.join(list_datasets())} "
                           f"(add a card folder with $SPIKEVISION_CARDS)")


def data_root(name: str, root: str | os.PathLike | None = None) -> Path:
    """``root``, or ``$SPIKEVISION_DATA/<name>`` when it is None."""
    if root is not None:
        return Path(root)
    base = os.environ.get("SPIKEVISION_DATA")
    if not base:
        raise DatasetNotFound(f"no root given for {name} and $SPIKEVISION_DATA is not set; pass root= (CLI: --root) "
                              f"or set SPIKEVISION_DATA to the folder that holds {name}/")
    return Path(base) / name


def sha256_file(path: str | os.PathLike, block: int = 1 << 22) -> str:
    """SHA-256 hex digest of a file, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class Sample:
    """One recording of a dataset with its ground truth.

    Attributes:
        id, split: the recording's name and split.
        spikes: the (left) spike stream, opened lazily; right: the second view (stereo) or None.
        gt: ground-truth name -> array (images (H, W[, 3]) float32 in [0, 1], flow (H, W, 2), depth or
            disparity (H, W), boxes (N, 4+), tracks (N, 6) ``frame, id, x, y, w, h``), a label, a list of
            those for sequences, or a SpikeStream (clean twin of a noisy recording).
        path: the spike file.
    """

    id: str
    split: str
    spikes: SpikeStream
    gt: dict[str, Any] = field(default_factory=dict)
    right: SpikeStream | None = None
    path: Path | None = None


class SpikeDataset:
    """The recordings of one or more splits of a dataset: ``len(ds)``, ``ds[i]`` -> :class:`Sample`, iteration.

    Holds paths only (it pickles cheaply into worker processes); files are opened on access.
    """

    def __init__(self, card: Card, root: Path, splits: tuple[str, ...], refs: list[SampleRef],
                 read_options: dict[str, Any], prepared: bool = False):
        self.card, self.root, self.splits, self.refs = card, root, splits, refs
        self.read_options, self.prepared = read_options, prepared

    def __len__(self) -> int:
        return len(self.refs)

    def __getitem__(self, i: int) -> Sample:
        ref = self.refs[i]
        if self.prepared:
            return _prepared_sample(ref)
        from ..io import open_stream

        fmt = self.card.reader["format"]
        spikes = open_stream(ref.spikes, format=fmt, **self.read_options)
        right = open_stream(ref.right, format=fmt, **self.read_options) if ref.right else None
        return Sample(ref.id, ref.split, spikes, self.ground_truth(i), right, ref.spikes)

    def ground_truth(self, i: int) -> dict[str, Any]:
        """The ground truth of recording ``i`` alone (its spike file is not opened)."""
        ref = self.refs[i]
        if self.prepared:
            return _prepared_gt(ref.spikes)
        return {name: read_gt(self.card.gt[name], where, ref.spikes, read_options=self.read_options)
                for name, where in ref.gt.items()}

    def __iter__(self) -> Iterator[Sample]:
        for i in range(len(self)):
            yield self[i]

    @property
    def paths(self) -> list[Path]:
        """The spike file of every recording."""
        return [r.spikes for r in self.refs]

    def __repr__(self) -> str:
        kind = ", prepared" if self.prepared else ""
        return f"SpikeDataset({self.card.name!r}, splits={list(self.splits)}, recordings={len(self)}{kind})"


def _prepared_sample(ref: SampleRef) -> Sample:
    from ..io import h5

    return Sample(ref.id, ref.split, h5.read(ref.spikes), _prepared_gt(ref.spikes), None, ref.spikes)


def _prepared_gt(path: Path) -> dict[str, Any]:
    import h5py

    gt: dict[str, Any] = {}
    with h5py.File(path, "r") as f:
        if "gt" in f:
            for name, obj in f["gt"].items():
                if isinstance(obj, h5py.Group):
                    gt[name] = [obj[k][()] for k in sorted(obj, key=int)]
                else:
                    v = obj[()]
                    gt[name] = v.decode() if isinstance(v, bytes) else v
    return gt


def _splits(c: Card, split: str | None) -> tuple[str, ...]:
    if split is None:
        return ("test",) if "test" in c.splits else (c.splits[0],)
    if split == "all":
        return c.splits
    if split not in c.splits:
        raise SpikevisionError(f"{c.name} has no split {split!r}; choose one of {', '.join(c.splits)} or 'all'")
    return (split,)


def load(name: str, root: str | os.PathLike | None = None, split: str | None = None,
         **options: Any) -> SpikeDataset:
    """Open a downloaded (or prepared) dataset: an indexable, iterable set of :class:`Sample`.

    Args:
        name: the card name (:func:`list_datasets`).
        root: the dataset folder (default ``$SPIKEVISION_DATA/<name>``). A folder written by
            :func:`spikevision.datasets.prepare` is recognised by its manifest.
        split: a split named on the card, ``"all"``, or None (``"test"`` when there is one, else the first).
        **options: reader options that override the card's (``fps=40000``, ``flip=False`` ...).

    Raises:
        DatasetNotFound: the folder is missing (the message says how to obtain the data) or holds no recordings.

    Example:
        >>> ds = sv.datasets.load("REDS_BASE", "~/data/REDS_BASE", split="test")   # doctest: +SKIP
        >>> s = ds[0]; s.spikes.shape, s.gt["image"].shape                          # doctest: +SKIP
    """
    c = card(name)
    base = data_root(c.name, root).expanduser()
    if not base.is_dir():
        steps = "; ".join(c.obtain)
        raise DatasetNotFound(f"{c.name} is not at {base}: obtain it ({steps}) and pass its folder as root= "
                              f"(CLI: --root), or set $SPIKEVISION_DATA")
    splits = _splits(c, split)
    if (base / PREPARED_MANIFEST).exists():
        import json

        man = json.loads((base / PREPARED_MANIFEST).read_text())
        refs = [SampleRef(r["id"], r["split"], base / r["file"]) for r in man["samples"] if r["split"] in splits]
        if not refs:
            raise DatasetNotFound(f"the prepared {c.name} at {base} holds no recordings of {', '.join(splits)}")
        return SpikeDataset(c, base, splits, refs, {}, prepared=True)
    opts = {**c.read_options, **options}
    refs = [r for s in splits for r in find_samples(c, base, s)]
    if not refs:
        raise DatasetNotFound(f"no recordings of {c.name} ({', '.join(splits)}) under {base}: expected files like "
                              f"{c.spikes!r}; check the folder, or run `spikevision datasets verify {c.name} "
                              f"--root {base}`")
    return SpikeDataset(c, base, splits, refs, opts)


@dataclass
class VerifyReport:
    """What :func:`verify` found: recordings per split, missing files, damaged files, checksum results."""

    name: str
    root: Path
    recordings: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    checksums_ok: int = 0
    checksums_failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is missing, damaged or mismatched."""
        return not (self.missing or self.bad or self.checksums_failed) and sum(self.recordings.values()) > 0

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "root": str(self.root), "ok": self.ok, "recordings": self.recordings,
                "missing": self.missing, "bad": self.bad, "checksums_ok": self.checksums_ok,
                "checksums_failed": self.checksums_failed}

    def summary(self) -> str:
        """A few lines for people: counts, then the first missing and damaged files."""
        counts = ", ".join(f"{k}: {v}" for k, v in self.recordings.items())
        lines = [f"{self.name} at {self.root}: {'OK' if self.ok else 'INCOMPLETE'} ({counts}; "
                 f"{self.checksums_ok} checksums match)"]
        for title, items in (("missing", self.missing), ("damaged", self.bad), ("checksum mismatch",
                                                                                self.checksums_failed)):
            if items:
                lines.append(f"{len(items)} {title}:")
                lines += [f"  {x}" for x in items[:20]] + ([f"  ... {len(items) - 20} more"] if len(items) > 20
                                                           else [])
        return "\n".join(lines)


def verify(name: str, root: str | os.PathLike | None = None, *, checksums: bool = True,
           open_files: bool = True) -> VerifyReport:
    """Check a downloaded dataset against its card: layout, readable spike files, checksums.

    Args:
        name: the card name; root: the dataset folder (default ``$SPIKEVISION_DATA/<name>``).
        checksums: hash the files whose SHA-256 the card lists.
        open_files: open every spike file with the card's reader (sizes and headers only; no frames decoded).

    Returns:
        a :class:`VerifyReport` (``report.ok``, ``report.summary()``); never raises for missing data.
    """
    from ..io import open_stream

    c = card(name)
    base = data_root(c.name, root).expanduser()
    rep = VerifyReport(c.name, base)
    if not base.is_dir():
        rep.missing.append(f"{base}/ (the dataset folder; obtain it: {'; '.join(c.obtain)})")
        return rep
    opts = c.read_options
    for split in c.splits:
        refs = find_samples(c, base, split)
        rep.recordings[split] = len(refs)
        if not refs:
            rep.missing.append(f"{split}: no files match {c.spikes.replace('{split}', split)}")
        for r in refs:
            if c.right and r.right is None:
                rep.missing.append(f"{r.spikes.relative_to(base)}: its second view ({c.right})")
            for gname, g in c.gt.items():
                if g.options.get("optional"):
                    continue
                if gname not in r.gt or (g.sequence and not r.gt[gname]):
                    rep.missing.append(f"{r.spikes.relative_to(base)}: ground truth {gname} ({g.path})")
            if open_files:
                for p in filter(None, (r.spikes, r.right)):
                    try:
                        import warnings

                        with warnings.catch_warnings():
                            warnings.simplefilter("error")
                            s = open_stream(p, format=c.reader["format"], **opts)
                            if len(s) == 0:
                                raise FormatError("holds no frames")
                            s.close()
                    except (FormatError, UserWarning, OSError) as exc:
                        rep.bad.append(f"{p.relative_to(base)}: {exc}")
    if checksums:
        for f in c.files:
            p = base / f["path"]
            if not p.exists():
                rep.missing.append(f"{f['path']} (listed with a checksum on the card)")
            elif sha256_file(p) == f["sha256"]:
                rep.checksums_ok += 1
            else:
                rep.checksums_failed.append(f"{f['path']}: SHA-256 differs from the card; download it again")
    return rep
