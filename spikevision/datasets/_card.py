"""Dataset cards: one TOML file per public spike dataset, validated by a small schema.

A card says what a dataset is (paper, citation, license, size), how its files are laid
out (the reader and its options, a path pattern per split) and what ground truth comes
with each recording. Cards ship inside the package (``spikevision/datasets/cards/``, in every
wheel); more folders can be added with ``$SPIKEVISION_CARDS`` (``os.pathsep``-separated).

Card keys (``*`` = required)::

    name*, title*, tasks*, paper*, citation*, license*, size*, obtain* (text or list of steps)
    [sensor]  height*, width*, fps*, flip*, cfa
    [reader]  format* ("dat", "h5", "npz"), head_columns, frame_header_bytes, flip, height, width
    [layout]  splits* (list), spikes* (pattern), right (pattern of a second view), fields (regex per field)
    [gt.NAME] path* (pattern), format* (see ``GT_FORMATS``), kind*, description, key, scale ...
    [[files]] path*, sha256*, url            (checksums and direct links where known)
    unverified = ["field", ...]               (facts not checked against the real data)

Patterns use ``{split}`` (the split asked for) and ``{field}`` (one path part, captured
from the spike file and reused in the ground-truth paths); ``*`` in a ground-truth
pattern makes a sorted sequence of files.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import FormatError

try:  # Python 3.11+
    import tomllib as _toml
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    try:
        import tomli as _toml  # type: ignore[no-redef]
    except ModuleNotFoundError:
        _toml = None

__all__ = ["Card", "GroundTruth", "card_dirs", "read_card", "GT_FORMATS", "GT_KINDS", "TASKS", "READER_FORMATS"]

GT_FORMATS = ("png", "flo", "npy", "npz", "exr", "spikes", "mot", "json", "dirname")
GT_KINDS = ("image", "flow", "depth", "disparity", "label", "boxes", "tracks", "spikes", "mask", "arrays")
TASKS = ("recon", "denoise", "flow", "stereo", "derain", "hdr", "detection", "tracking", "classification", "color")
READER_FORMATS = ("dat", "h5", "npz")
_READER_KEYS = {"format", "head_columns", "frame_header_bytes", "flip", "height", "width"}
_REQUIRED = ("name", "title", "tasks", "paper", "citation", "license", "size", "obtain", "sensor", "reader", "layout")
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def card_dirs() -> list[Path]:
    """Folders searched for cards: ``$SPIKEVISION_CARDS`` first, then the package's own ``cards``."""
    dirs = [Path(p) for p in os.environ.get("SPIKEVISION_CARDS", "").split(os.pathsep) if p]
    dirs.append(Path(__file__).resolve().parent / "cards")
    return dirs


@dataclass(frozen=True)
class GroundTruth:
    """One ground-truth entry of a card: where it is, its file format and what it means."""

    name: str
    path: str
    format: str
    kind: str
    description: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def sequence(self) -> bool:
        """True when the pattern names several files per recording (a ``*``)."""
        return "*" in self.path


@dataclass(frozen=True)
class Card:
    """A validated dataset card (see the module docstring for the keys)."""

    name: str
    title: str
    tasks: tuple[str, ...]
    paper: str
    citation: str
    license: str
    size: str
    obtain: tuple[str, ...]
    height: int
    width: int
    fps: float
    flip: bool
    cfa: str | None
    reader: dict[str, Any]
    splits: tuple[str, ...]
    spikes: str
    right: str | None
    fields: dict[str, str]
    gt: dict[str, GroundTruth]
    files: tuple[dict[str, str], ...]
    unverified: tuple[str, ...]
    notes: str
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def read_options(self) -> dict[str, Any]:
        """Options for :func:`spikevision.open` (the reader format and its layout options, fps)."""
        opts = {k: v for k, v in self.reader.items() if k != "format"}
        if self.reader["format"] == "dat":
            opts.setdefault("height", self.height)
            opts.setdefault("width", self.width)
            opts.setdefault("flip", self.flip)
        opts["fps"] = self.fps
        return opts


def _need(d: dict, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in d:
        raise FormatError(f"{where}: the key {key!r} is missing; add it (see spikevision.datasets._card)")
    v = d[key]
    if not isinstance(v, kind) or isinstance(v, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise FormatError(f"{where}: {key!r} must be {getattr(kind, '__name__', kind)}, got {v!r}; fix the card")
    return v


def _check_pattern(p: str, where: str, fields: set[str] | None = None) -> None:
    if not isinstance(p, str) or not p or p.startswith("/") or ".." in Path(p).parts:
        raise FormatError(f"{where}: pattern {p!r} must be a relative path inside the dataset root; fix the card")
    used = set(_FIELD.findall(p)) - {"split"}
    if fields is not None and used - fields:
        raise FormatError(f"{where}: pattern {p!r} uses {sorted(used - fields)} that the spike pattern does not "
                          f"capture; use only {sorted(fields | {'split'})}")


def parse_card(data: dict[str, Any], where: str = "card", path: Path | None = None) -> Card:
    """Validate a card's dictionary and return a :class:`Card`.

    Raises:
        FormatError: a missing or mistyped key, an unknown format or task (the message names the key).
    """
    for key in _REQUIRED:
        _need(data, key, object, where)
    name = _need(data, "name", str, where)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise FormatError(f"{where}: name {name!r} must be letters, digits, '_', '.', '-'; fix the card")
    tasks = tuple(_need(data, "tasks", list, where))
    bad = [t for t in tasks if t not in TASKS]
    if bad or not tasks:
        raise FormatError(f"{where}: unknown task(s) {bad or '(none)'}; choose from {', '.join(TASKS)}")
    obtain = data["obtain"]
    obtain = (obtain,) if isinstance(obtain, str) else tuple(obtain)
    if not obtain or not all(isinstance(s, str) for s in obtain):
        raise FormatError(f"{where}: 'obtain' must be a text or a list of steps; fix the card")
    sensor = _need(data, "sensor", dict, where)
    w = f"{where} [sensor]"
    height, width = _need(sensor, "height", int, w), _need(sensor, "width", int, w)
    fps = _need(sensor, "fps", (int, float), w)
    flip = _need(sensor, "flip", bool, w)
    if height < 1 or width < 1 or fps <= 0:
        raise FormatError(f"{w}: height, width and fps must be positive; fix the card")
    cfa = sensor.get("cfa")
    reader = dict(_need(data, "reader", dict, where))
    fmt = _need(reader, "format", str, f"{where} [reader]")
    if fmt not in READER_FORMATS or set(reader) - _READER_KEYS:
        raise FormatError(f"{where} [reader]: format must be one of {READER_FORMATS} and keys among "
                          f"{sorted(_READER_KEYS)}, got {reader}; fix the card")
    layout = _need(data, "layout", dict, where)
    w = f"{where} [layout]"
    splits = tuple(_need(layout, "splits", list, w))
    spikes = _need(layout, "spikes", str, w)
    _check_pattern(spikes, w)
    if "{split}" not in spikes and len(splits) != 1:
        raise FormatError(f"{w}: several splits need '{{split}}' in the spike pattern {spikes!r}; fix the card")
    captured = set(_FIELD.findall(spikes)) - {"split"}
    right = layout.get("right")
    if right is not None:
        _check_pattern(right, w, captured)
    fields = dict(layout.get("fields", {}))
    gts = {}
    for gname, g in dict(data.get("gt", {})).items():
        wg = f"{where} [gt.{gname}]"
        gpath = _need(g, "path", str, wg)
        _check_pattern(gpath, wg, captured)
        gfmt, kind = _need(g, "format", str, wg), _need(g, "kind", str, wg)
        if gfmt not in GT_FORMATS or kind not in GT_KINDS:
            raise FormatError(f"{wg}: format must be one of {GT_FORMATS} and kind one of {GT_KINDS}; fix the card")
        opts = {k: v for k, v in g.items() if k not in ("path", "format", "kind", "description")}
        gts[gname] = GroundTruth(gname, gpath, gfmt, kind, g.get("description", ""), opts)
    files = tuple(data.get("files", ()))
    for f in files:
        _need(f, "path", str, f"{where} [[files]]")
        digest = _need(f, "sha256", str, f"{where} [[files]]")
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise FormatError(f"{where} [[files]]: sha256 of {f['path']} must be 64 lowercase hex digits; fix the card")
    return Card(name=name, title=_need(data, "title", str, where), tasks=tasks, paper=_need(data, "paper", str, where),
                citation=_need(data, "citation", str, where), license=_need(data, "license", str, where),
                size=_need(data, "size", str, where), obtain=obtain, height=height, width=width, fps=float(fps),
                flip=flip, cfa=cfa, reader=reader, splits=splits, spikes=spikes, right=right, fields=fields,
                gt=gts, files=files, unverified=tuple(data.get("unverified", ())), notes=data.get("notes", ""),
                path=path, raw=data)


def read_card(path: str | os.PathLike) -> Card:
    """Read and validate one TOML card file."""
    p = Path(path)
    if _toml is None:  # pragma: no cover
        raise FormatError("reading dataset cards needs Python >= 3.11 or the 'tomli' package; pip install tomli")
    try:
        data = _toml.loads(p.read_text(encoding="utf-8"))
    except _toml.TOMLDecodeError as exc:
        raise FormatError(f"{p}: not valid TOML ({exc}); fix the card") from None
    return parse_card(data, str(p), p)
