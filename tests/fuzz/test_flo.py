"""Fuzz Middlebury ``.flo``: damaged headers, truncations and hand-made hostile files.

A ``.flo`` has no checksum: a flipped bit in the flow values reads back as that damaged value, so
damage is aimed at the structure (magic, width, height, length), where it must raise.
"""

from __future__ import annotations

import pathlib

import numpy as np

from spikevision.io.flo import FLO_MAGIC, MAX_SIDE, read_flo, write_flo

from ._common import assert_no_bad, damage_check, hostile_check, run_target, sample_size
from ._harness import mutation_specs

FH, FW = 5, 7
_MAGIC = np.array(FLO_MAGIC, "<f4").tobytes()
_NONE = np.zeros((0, 1, 2), np.float32)  # no read may succeed: any flow returned is "wrong"


def _flow(rng: np.random.Generator) -> np.ndarray:
    return rng.normal(0, 3, (FH, FW, 2)).astype(np.float32)


def _bits(path: pathlib.Path) -> np.ndarray:
    """The flow read from ``path`` as its float32 bit patterns (exact, NaN included)."""
    return read_flo(path).view(np.uint32)


def _damaged_header(rng: np.random.Generator, n: int, workdir: pathlib.Path):
    flow = _flow(rng)
    write_flo(workdir / "base.flo", flow)
    data = (workdir / "base.flo").read_bytes()

    def expected(spec: tuple, damaged: bytes) -> np.ndarray:
        # a window that starts in the header may run into the first values: those read back damaged
        body = damaged[12: 12 + flow.nbytes]
        return np.frombuffer(body, "<u4").reshape(flow.shape) if len(body) == flow.nbytes else flow.view(np.uint32)

    return mutation_specs(len(data), rng, n, [(0, 12)]), damage_check(data, workdir, "x.flo", _bits, expected)


def _header(w: int, h: int, magic: bytes = _MAGIC, order: str = "<") -> bytes:
    return magic + np.array([w, h], order + "i4").tobytes()


def _hostile(flow: np.ndarray) -> dict[str, tuple[bytes | str, np.ndarray]]:
    body = flow.astype("<f4").tobytes()
    be = _MAGIC[::-1] + np.array([FW, FH], ">i4").tobytes() + flow.astype(">f4").tobytes()
    return {
        "empty": (b"", _NONE),
        "magic-only": (_MAGIC, _NONE),
        "dir": ("dir", _NONE),
        "fifo": ("fifo", _NONE),
        "max-side-squared": (_header(MAX_SIDE, MAX_SIDE) + bytes(1024), _NONE),
        "huge-width": (_header(2**31 - 1, 1) + bytes(64), _NONE),
        "negative": (_header(-FW, FH) + body, _NONE),
        "zero-width": (_header(0, FH) + body, _NONE),
        "swapped-sides": (_header(FH, FW) + body, flow.reshape(FW, FH, 2)),  # same size: no way to tell
        "one-value-short": (_header(FW, FH) + body[:-4], _NONE),
        "one-byte-long": (_header(FW, FH) + body + b"\0", _NONE),
        "png-magic": (b"\x89PNG\r\n\x1a\n" + bytes(64), _NONE),
        "big-endian": (be, flow),
        "good": (_header(FW, FH) + body, flow),
    }


def _make_hostile(rng: np.random.Generator, n: int, workdir: pathlib.Path):
    """Every hand-made hostile file once (``n`` is ignored: the set is fixed)."""
    table = _hostile(_flow(rng))
    table = {k: (c, want.view(np.uint32)) for k, (c, want) in table.items()}
    return hostile_check(table, workdir, ".flo", _bits)


FUZZ = {"flo-header": _damaged_header, "flo-hostile": _make_hostile}


def test_damaged_flo_header_reads_exactly_or_raises(tmp_path):
    cases, results = run_target(FUZZ, "flo-header", sample_size(40), tmp_path)
    assert_no_bad("flo-header", cases, results)


def test_hostile_flo_files(tmp_path):
    cases, results = run_target(FUZZ, "flo-hostile", 0, tmp_path)
    assert_no_bad("flo-hostile", cases, results)
    by_name = dict(zip(cases, results))
    assert by_name["good"][0] == by_name["big-endian"][0] == "exact"
    assert by_name["fifo"][0] == by_name["dir"][0] == "error"
