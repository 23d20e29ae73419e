"""Which sensor layout a header-less ``.dat`` file holds: by size, then by content.

A size that is a whole number of frames of exactly one known layout decides alone (nothing
is read). Several layouts can fit the same size (4 vidar frames are one 500x800 frame, 10
are one 1000x1000 frame, ...), and a cut-off capture fits none exactly. Then a few short
windows spread over the file are read under each candidate layout and the candidate whose
firing-rate image is spatially coherent wins: under the true layout neighbouring rows show
the same scene (high correlation), under a wrong width rows are misaligned or are halves of
other rows, and under a wrong frame stride the frames of a window slide against each other.
The statistic is the correlation between vertically adjacent pixels of the spike counts of
:data:`WINDOW` consecutive frames (a band of rows of each), averaged over :data:`PLACES` windows.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np

from .. import _bits
from .._source import StoredLayout

__all__ = ["KnownSize", "KNOWN_SIZES", "Inference", "candidates", "coherence", "choose", "WINDOW", "PLACES",
           "BAND_PIXELS", "MARGIN"]

#: consecutive frames summed into one firing-rate image (>= 2, so a wrong frame stride smears it)
WINDOW = 8
#: windows spread evenly over the file
PLACES = 4
#: pixels of the band of whole rows read from each frame of a window (a whole frame when smaller)
BAND_PIXELS = 100_000
#: coherence lead over the runner-up needed to trust the content (noise: |score| < 0.005 per 100k pixels)
MARGIN = 0.02


@dataclass(frozen=True)
class KnownSize:
    """A sensor layout seen in real captures or public datasets."""

    name: str
    height: int
    width: int
    head_columns: int = 0
    frame_header_bytes: int = 0

    @property
    def layout(self) -> StoredLayout:
        return StoredLayout(self.height, self.width, self.width + self.head_columns, self.frame_header_bytes)

    def short(self) -> str:
        extra = []
        if self.head_columns:
            extra.append(f"{self.head_columns} head columns")
        if self.frame_header_bytes:
            extra.append(f"{self.frame_header_bytes}-byte frame header")
        return f"{self.height}x{self.width}" + (f" + {', '.join(extra)}" if extra else "")

    def describe(self) -> str:
        return f"{self.short()} ({self.name})"

    def options(self) -> dict[str, int]:
        """The reader options that select this layout."""
        opts = {"height": self.height, "width": self.width}
        if self.head_columns:
            opts["head_columns"] = self.head_columns
        if self.frame_header_bytes:
            opts["frame_header_bytes"] = self.frame_header_bytes
        return opts


#: Layouts that inference chooses among, most common first: the first candidate is the
#: default when the content cannot tell (docs/formats.md, known sizes).
KNOWN_SIZES = (
    KnownSize("vidar", 250, 400),
    KnownSize("vidar-head", 250, 400, head_columns=16),
    KnownSize("spikestereonet-real", 250, 400, head_columns=16, frame_header_bytes=16),
    KnownSize("spift", 500, 800),
    KnownSize("sreds", 720, 1280),
    KnownSize("sps100", 1000, 1000),
)


@dataclass
class Inference:
    """The layout chosen for a file, and why.

    Attributes:
        known: the chosen layout.
        how: ``"size"`` (the only exact fit), ``"content"`` (coherence decided) or ``"default"``
            (the content could not tell; the most common candidate was taken).
        candidates: the layouts considered.
        exact: whether the candidates fit the size exactly (False: a cut-off capture).
        scores: coherence of each candidate (empty when the size decided).
    """

    known: KnownSize
    how: str
    candidates: list[KnownSize]
    exact: bool
    scores: dict[str, float] = field(default_factory=dict)


def candidates(size: int, head_columns: int | None = None,
               frame_header_bytes: int | None = None) -> tuple[list[KnownSize], list[KnownSize]]:
    """(layouts that fit ``size`` exactly, layouts with at least one whole frame), restricted by the options."""
    cands = [k for k in KNOWN_SIZES if (head_columns is None or k.head_columns == head_columns)
             and (frame_header_bytes is None or k.frame_header_bytes == frame_header_bytes)]
    return ([k for k in cands if size % k.layout.stride == 0],
            [k for k in cands if size >= k.layout.stride])


def _pread(fd: int, nbytes: int, pos: int, out: memoryview) -> bool:
    """Fill ``out[:nbytes]`` from byte ``pos``; False if the file ends first."""
    got = 0
    while got < nbytes:
        more = os.preadv(fd, [out[got:nbytes]], pos + got)
        if more == 0:
            return False
        got += more
    return True


def _vertical_correlation(img: np.ndarray) -> float:
    x = img.astype(np.float32)
    a, b = x[:-1].ravel(), x[1:].ravel()
    if a.size == 0:
        return 0.0
    a = a - a.mean()
    b = b - b.mean()
    den = float(np.sqrt(np.dot(a, a) * np.dot(b, b)))
    return float(np.dot(a, b)) / den if den > 0 else 0.0


def coherence(fd: int, layout: StoredLayout, n_frames: int) -> float:
    """Mean vertical-neighbour correlation of :data:`WINDOW`-frame spike counts at :data:`PLACES` places.

    Each place is a band of about :data:`BAND_PIXELS` pixels (whole rows; a different band at
    each place) in :data:`WINDOW` consecutive frames, so every candidate costs the same
    (about 400 kB read) whatever its frame size. About 1 for a smooth scene under its true
    layout, 0 for noise or a wrong layout.
    """
    if n_frames < 1:
        return 0.0
    m = min(WINDOW, n_frames)
    ws, h = layout.stored_width, layout.height
    align = 8 // math.gcd(ws, 8)  # rows per whole byte
    rows = min(h, max(2, -(-BAND_PIXELS // ws)))
    rows = max(align, rows - rows % align) if rows < h else h
    nbytes = rows * ws // 8 if rows < h else layout.frame_bytes
    buf = np.empty((m, nbytes), dtype=np.uint8)
    view = memoryview(buf).cast("B")
    scores = []
    for i in range(PLACES):
        f0 = int(round(i * (n_frames - m) / max(1, PLACES - 1)))
        r0 = int(round(i * (h - rows) / max(1, PLACES - 1)))
        r0 -= r0 % align
        off = layout.header + r0 * ws // 8
        if not all(_pread(fd, nbytes, (f0 + j) * layout.stride + off, view[j * nbytes:]) for j in range(m)):
            break  # the file shrank meanwhile
        counts = np.zeros(nbytes * 8, dtype=np.int64)
        _bits.count_bits(buf, counts)
        scores.append(_vertical_correlation(counts[: rows * ws].reshape(rows, ws)[:, : layout.width]))
    return float(np.mean(scores)) if scores else 0.0


def choose(fd: int | None, size: int, cands: list[KnownSize], exact: bool) -> Inference:
    """Pick among ``cands`` (in :data:`KNOWN_SIZES` order) by the content of open file ``fd``.

    One candidate is taken as is. With several, the most coherent wins when it leads the
    runner-up by :data:`MARGIN`; otherwise (or without ``fd``) the first candidate is the default.
    """
    if len(cands) == 1:
        return Inference(cands[0], "size", list(cands), exact)
    if fd is None:
        return Inference(cands[0], "default", list(cands), exact)
    scores = {k.name: coherence(fd, k.layout, size // k.layout.stride) for k in cands}
    ranked = sorted(cands, key=lambda k: -scores[k.name])
    if scores[ranked[0].name] - scores[ranked[1].name] >= MARGIN:
        return Inference(ranked[0], "content", list(cands), exact, scores)
    return Inference(cands[0], "default", list(cands), exact, scores)
