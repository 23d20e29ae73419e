"""Every reader classifies its input path in one place: the same spikevision error for the same mistake."""

from __future__ import annotations

import os

import pytest

import spikevision as sv
from spikevision.errors import FolderGivenError, InputPathError, MissingFileError
from spikevision.io import dat, flo, h5, npz, raw

READERS = {
    "open": lambda p: sv.open(p),
    "dat": lambda p: dat.read(p, height=16, width=16),
    "npz": lambda p: npz.read(p),
    "raw": lambda p: raw.read(p),
    "h5": lambda p: h5.read(p),
    "flo": lambda p: flo.read_flo(p),
}


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.timeout(60)
def test_missing_folder_and_fifo_get_one_error_each(tmp_path, reader):
    read = READERS[reader]
    with pytest.raises(MissingFileError, match="no such file"):
        read(tmp_path / "missing.dat")
    with pytest.raises(FolderGivenError, match="is a directory"):
        read(tmp_path)
    fifo = tmp_path / "pipe.dat"
    os.mkfifo(fifo)
    with pytest.raises(InputPathError, match="FIFO"):
        read(fifo)  # refused at once: opening it would block forever


def test_the_errors_are_also_the_builtin_kinds():
    assert issubclass(MissingFileError, FileNotFoundError) and issubclass(FolderGivenError, IsADirectoryError)
    assert issubclass(InputPathError, sv.FormatError) and issubclass(InputPathError, sv.SpikevisionError)
