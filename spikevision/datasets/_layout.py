"""File patterns of a dataset card -> the recordings of a split and their ground-truth files."""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass, field
from pathlib import Path

from ._card import Card

__all__ = ["SampleRef", "find_samples", "fill", "glob_pattern"]

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class SampleRef:
    """Where one recording and its ground truth are (paths only, so it pickles cheaply).

    Attributes:
        id: the recording's name inside its split (its captured fields joined by '/').
        split: the split it belongs to.
        spikes: the spike file; right: the second view's spike file (stereo) or None.
        gt: ground-truth name -> a path, or a sorted list of paths for sequences.
        fields: the fields captured from the spike path (``scene``, ``seq`` ...).
    """

    id: str
    split: str
    spikes: Path
    right: Path | None = None
    gt: dict[str, Path | list[Path]] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)


def _regex(pattern: str, fields: dict[str, str]) -> re.Pattern:
    out, seen, pos = [], set(), 0
    for m in _FIELD.finditer(pattern):
        out.append(re.escape(pattern[pos:m.start()]))
        name = m.group(1)
        if name in seen:
            out.append(f"(?P={name})")
        else:
            out.append(f"(?P<{name}>{fields.get(name, '[^/]+')})")
            seen.add(name)
        pos = m.end()
    out.append(re.escape(pattern[pos:]))
    return re.compile("".join(out).replace(r"\*", "[^/]*"))


def glob_pattern(pattern: str, values: dict[str, str]) -> str:
    """The pattern with known fields filled in and the others as ``*``."""
    return _FIELD.sub(lambda m: glob.escape(values[m.group(1)]) if m.group(1) in values else "*", pattern)


def fill(pattern: str, values: dict[str, str]) -> str:
    """The pattern with every field filled in from ``values``."""
    return _FIELD.sub(lambda m: values[m.group(1)], pattern)


def find_samples(card: Card, root: Path, split: str) -> list[SampleRef]:
    """Every recording of ``split`` under ``root``, sorted by id, with its ground-truth paths.

    A ground-truth file that is missing is left out of ``gt`` (:func:`spikevision.datasets.verify`
    reports it); a sequence pattern gives the sorted list of its matches.
    """
    values = {"split": split}
    rx = _regex(card.spikes.replace("{split}", split), card.fields)
    refs = []
    for hit in sorted(glob.glob(str(root / glob_pattern(card.spikes, values)))):
        rel = Path(hit).relative_to(root).as_posix()
        m = rx.fullmatch(rel)
        if not m or not Path(hit).is_file():
            continue
        caps = m.groupdict()
        vals = {**caps, "split": split}
        right = None
        if card.right:
            r = root / fill(card.right, vals)
            right = r if r.exists() else None
        gt: dict[str, Path | list[Path]] = {}
        for name, g in card.gt.items():
            if g.sequence:
                gt[name] = [Path(p) for p in sorted(glob.glob(str(root / glob_pattern(g.path, vals))))]
            else:
                p = root / fill(g.path, vals)
                if p.exists():
                    gt[name] = p
        sid = "/".join(caps.values()) if caps else Path(rel).stem
        refs.append(SampleRef(sid, split, Path(hit), right, gt, caps))
    return refs
